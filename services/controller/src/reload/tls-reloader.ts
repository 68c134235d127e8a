/**
 * @module
 * Reloads the controller's own TLS certificate and key when their files change (cert-manager
 * renewals, a rotated Secret) without a restart. The new pair is checked first
 * (`tls.createSecureContext` throws when the key does not belong to the certificate), then handed
 * to the listening server with `setSecureContext`: connections made from then on are served with
 * the new certificate, and connections already open (and requests on them) are not touched.
 *
 * The two files are often replaced one after the other (a plain `cp`, or two Secret keys mounted
 * separately), so a pair that does not match is expected for a moment. It is logged at `warn` and
 * retried at the next change or poll; only a pair that is still invalid after a full poll interval
 * is reported as an error, once. The previous certificate stays in force meanwhile. Nothing about
 * the key is ever logged: the certificate is named by its SHA-256 fingerprint, subject and expiry.
 */

import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createSecureContext, type SecureContextOptions } from 'node:tls'
import { sha256Hex } from './allow-list-source.ts'
import { type FileWatch, type ReloadLog, watchFiles } from './watch-files.ts'

/** The part of `tls.Server` (and so of Fastify's HTTPS server) that takes a new certificate. */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void
}

export interface TlsFiles {
  certFile: string
  keyFile: string
}

export interface TlsReloaderOptions extends TlsFiles {
  server: SecureContextTarget
  /** The PEM the server was started with. */
  initial: { cert: string; key: string }
  log: ReloadLog
  /** An invalid pair is reported as an error once it stayed invalid this long; default 10 s. */
  settleMs?: number
  /** Called after a pair was applied, or reported as rejected (metrics). */
  onReload?: (outcome: 'applied' | 'rejected') => void
  clock?: { now(): number }
}

export type TlsReloadOutcome = 'unchanged' | 'applied' | 'pending' | 'rejected'

/** The certificate in force, for logs and tests. */
export interface TlsCertificateStatus {
  /** `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprint256: string
  readonly subject: string
  readonly validTo: string
  /** 1 at start, +1 at each applied reload. */
  readonly generation: number
}

export class TlsReloader {
  readonly #options: TlsReloaderOptions
  readonly #clock: { now(): number }
  readonly #settleMs: number
  /** Hash of the cert and key bytes in force (never logged: it covers the key). */
  #applied: string
  #status: TlsCertificateStatus
  #invalid: { pair: string; since: number; reported: boolean } | undefined
  #watch: FileWatch | undefined

  constructor(options: TlsReloaderOptions) {
    this.#options = options
    this.#clock = options.clock ?? { now: Date.now }
    this.#settleMs = options.settleMs ?? 10_000
    this.#applied = pairHash(options.initial.cert, options.initial.key)
    this.#status = describeCertificate(options.initial.cert, 1)
  }

  status(): TlsCertificateStatus {
    return this.#status
  }

  /** Reads both files; applies them when they changed and form a valid pair. Never throws. */
  async reload(): Promise<TlsReloadOutcome> {
    const { certFile, keyFile, log } = this.#options
    let cert: string
    let key: string
    try {
      ;[cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')])
    } catch (error) {
      // A file between delete and create: the same as a pair that does not match yet.
      const code = (error as NodeJS.ErrnoException).code ?? 'error'
      return this.#refused(`unreadable-${code}`, `cannot read the certificate or the key: ${code}`)
    }
    const pair = pairHash(cert, key)
    if (pair === this.#applied) {
      this.#invalid = undefined
      return 'unchanged'
    }
    let status: TlsCertificateStatus
    try {
      createSecureContext({ cert, key })
      status = describeCertificate(cert, this.#status.generation + 1)
      this.#options.server.setSecureContext({ cert, key })
    } catch (error) {
      return this.#refused(pair, describeError(error))
    }
    this.#applied = pair
    this.#status = status
    this.#invalid = undefined
    log.info({ certFile, ...status }, 'TLS certificate reloaded')
    this.#options.onReload?.('applied')
    return 'applied'
  }

  #refused(pair: string, problem: string): TlsReloadOutcome {
    const { certFile, keyFile, log } = this.#options
    const now = this.#clock.now()
    if (this.#invalid?.pair !== pair) {
      this.#invalid = { pair, since: now, reported: false }
      log.warn(
        { certFile, keyFile, problem },
        'TLS certificate and key are not a valid pair (yet); the previous certificate stays in force, retrying at the next change',
      )
      return 'pending'
    }
    if (this.#invalid.reported) return 'rejected'
    if (now - this.#invalid.since < this.#settleMs) return 'pending'
    this.#invalid.reported = true
    log.error(
      { certFile, keyFile, problem, inForce: this.#status },
      `TLS certificate reload rejected; the previous certificate stays in force: ${problem}`,
    )
    this.#options.onReload?.('rejected')
    return 'rejected'
  }

  /** Starts watching both files (see `watch-files.ts`); `close()` stops. */
  watch(options: { intervalMs: number; debounceMs?: number; events?: boolean }): void {
    if (this.#watch !== undefined) throw new Error('the TLS files are already watched')
    this.#watch = watchFiles([this.#options.certFile, this.#options.keyFile], {
      ...options,
      log: this.#options.log,
      onChange: () => this.reload(),
    })
  }

  close(): void {
    this.#watch?.close()
    this.#watch = undefined
  }
}

function pairHash(cert: string, key: string): string {
  return sha256Hex(`${sha256Hex(cert)}:${sha256Hex(key)}`)
}

/** @throws when the PEM is not a certificate. */
function describeCertificate(cert: string, generation: number): TlsCertificateStatus {
  const parsed = new X509Certificate(cert)
  return Object.freeze({
    fingerprint256: parsed.fingerprint256,
    subject: parsed.subject.replaceAll('\n', ', '),
    validTo: parsed.validTo,
    generation,
  })
}

/** OpenSSL's words, made readable for the common case; never any PEM content. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  if (/key values mismatch/i.test(message)) return 'the private key does not belong to the certificate'
  return message
}
