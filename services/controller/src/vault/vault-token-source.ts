/**
 * @module
 * The controller's own Vault identity over time. A `VaultTokenSource` holds the current token (a
 * {@link Secret}) and hands it to every Vault call, so the token can change under a running
 * client (node-vault never sees it outside a call: specs/vault-http-api.md §11, pitfall 3).
 *
 * Lifecycle:
 * - obtain a token by the configured method (vault-login.ts) at start, in the background;
 * - renew it with `renew-self` at about two thirds of its lease (with jitter); log in again when it
 *   is not renewable, when renewal can no longer restore a useful lease (the token's max TTL),
 *   when renewal keeps failing close to expiry, or when Vault refuses it (403);
 * - a 403 on any call is checked with `lookup-self` first: a valid token refused by its policy is
 *   a misconfiguration, not a reason to log in again; a dead token is replaced once, however many
 *   calls saw the 403 at the same time (single flight);
 * - a failed login is retried with capped exponential backoff, in the background, so readiness
 *   comes back on its own when Vault does;
 * - token file: the file is checked for a new token (e.g. Vault Agent's sink) every few seconds.
 *
 * Time and timers are passed in, so tests drive renewal without sleeping. Timers are `unref()`'d
 * and cleared by `close()`. Nothing here logs or throws a token, a JWT or a secret_id.
 */
import { readFile } from 'node:fs/promises'
import { BrokerError } from '../errors.ts'
import type { Secret } from '../secret.ts'
import type { VaultTokenProvider } from './vault-client.ts'
import { failedVaultStatus } from './vault-errors.ts'
import {
  digestOf,
  lookupSelf,
  type ObtainedToken,
  obtainToken,
  renewSelf,
  type VaultAuthSettings,
} from './vault-login.ts'
import type { VaultTransport } from './vault-transport.ts'

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Node's timers, `unref()`'d: a pending renewal never keeps the process alive. */
export const nodeTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms)
    handle.unref()
    return handle
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
}

/** pino's shape, so the app's logger can be attached. */
export interface TokenSourceLogger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
}

export interface VaultTokenSourceOptions {
  transport: VaultTransport
  auth: VaultAuthSettings
  clock?: { now(): number }
  timers?: Timers
  /** In [0, 1); default Math.random. Spreads renewals and retries of many replicas. */
  random?: () => number
  log?: TokenSourceLogger
  /** Token file: how often it is checked for a new token; default 5 s. */
  fileCheckIntervalMs?: number
  /** Backoff of failed logins; default 1 s doubling up to 30 s. */
  retryMinMs?: number
  retryMaxMs?: number
}

export interface VaultTokenStatus {
  method: VaultAuthSettings['method']
  /** A token is held, not known to be refused, and not expired. */
  usable: boolean
  /** Seconds left on the held token; `Infinity` if it never expires; 0 without a usable one. */
  ttlSeconds: number
  /** The held token's accessor (never the token). */
  accessor?: string
  /** Why the last attempt to obtain a token failed (token-free). */
  lastError?: string
}

interface Held {
  token: Secret
  accessor: string
  renewable: boolean
  /** Undefined: the token never expires. */
  expiresAtMs: number | undefined
  /** The TTL the last login gave: a renewal that restores less than a third of it means re-login. */
  loginTtlSeconds: number
  fileDigest?: string
  /** Vault answered 403 to it and lookup-self confirmed: never hand it out again. */
  refused: boolean
  /** When lookup-self last said the token is fine (a 403 was the policy's). */
  verifiedAtMs?: number
}

const RENEW_AT_FRACTION = 2 / 3
const JITTER_FRACTION = 0.1
const MIN_TIMER_MS = 1000
const VERIFY_QUIET_MS = 5000

export class VaultTokenSource implements VaultTokenProvider {
  readonly #transport: VaultTransport
  readonly #auth: VaultAuthSettings
  readonly #clock: { now(): number }
  readonly #timers: Timers
  readonly #random: () => number
  readonly #fileCheckIntervalMs: number
  readonly #retryMinMs: number
  readonly #retryMaxMs: number
  #log: TokenSourceLogger | undefined
  #held: Held | undefined
  #acquiring: Promise<Held> | undefined
  #verifying: Promise<boolean> | undefined
  #timer: unknown
  #failures = 0
  #lastError: string | undefined
  #lastFileCheckMs = Number.NEGATIVE_INFINITY
  #closed = false

  constructor(options: VaultTokenSourceOptions) {
    this.#transport = options.transport
    this.#auth = options.auth
    this.#clock = options.clock ?? { now: Date.now }
    this.#timers = options.timers ?? nodeTimers
    this.#random = options.random ?? Math.random
    this.#log = options.log
    this.#fileCheckIntervalMs = options.fileCheckIntervalMs ?? 5000
    this.#retryMinMs = options.retryMinMs ?? 1000
    this.#retryMaxMs = options.retryMaxMs ?? 30_000
  }

  /** Starts obtaining a token in the background (failures are retried; see {@link status}). */
  start(): void {
    this.#tryAcquire()
  }

  /** Attaches a logger (the app's, once it exists). */
  useLogger(log: TokenSourceLogger): void {
    this.#log = log
  }

  /** The current token; obtains one first if none is usable. */
  async token(): Promise<Secret> {
    if (this.#closed) throw new BrokerError('VC_VAULT_UNAVAILABLE', 'the Vault token source is closed')
    if (this.#auth.method === 'token') await this.#noticeNewTokenFile()
    const held = this.#held
    if (held !== undefined && this.#usable(held)) return held.token
    return (await this.#acquire()).token
  }

  async reportForbidden(rejected: Secret): Promise<boolean> {
    const held = this.#held
    // Already replaced (or dropped): the caller retries with whatever token() now gives.
    if (held === undefined || held.token !== rejected) return true
    if (held.verifiedAtMs !== undefined && this.#clock.now() - held.verifiedAtMs < VERIFY_QUIET_MS)
      return false
    this.#verifying ??= this.#verify(held).finally(() => {
      this.#verifying = undefined
    })
    return this.#verifying
  }

  /** Whether a usable token is held, once the login in flight (if any) has ended; for readiness. */
  async settled(): Promise<boolean> {
    await this.#acquiring?.catch(() => {})
    return this.status().usable
  }

  status(): VaultTokenStatus {
    const held = this.#held
    const base = {
      method: this.#auth.method,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    }
    if (held === undefined || !this.#usable(held)) return { ...base, usable: false, ttlSeconds: 0 }
    const ttlSeconds =
      held.expiresAtMs === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(0, Math.floor((held.expiresAtMs - this.#clock.now()) / 1000))
    return { ...base, usable: true, ttlSeconds, ...(held.accessor === '' ? {} : { accessor: held.accessor }) }
  }

  close(): void {
    this.#closed = true
    this.#clearTimer()
  }

  #usable(held: Held): boolean {
    return !held.refused && (held.expiresAtMs === undefined || this.#clock.now() < held.expiresAtMs)
  }

  /** Single flight: every caller waiting for a token shares one login. */
  #acquire(): Promise<Held> {
    this.#acquiring ??= this.#login().finally(() => {
      this.#acquiring = undefined
    })
    return this.#acquiring
  }

  #tryAcquire(): void {
    // A failure is recorded and retried by #login itself.
    this.#acquire().catch(() => {})
  }

  async #login(): Promise<Held> {
    try {
      const obtained = await obtainToken(this.#transport, this.#auth)
      const held = this.#adopt(obtained, obtained.ttlSeconds)
      this.#failures = 0
      this.#lastError = undefined
      this.#log?.info(
        { method: this.#auth.method, accessor: held.accessor, ttlSeconds: obtained.ttlSeconds },
        'obtained the controller’s Vault token',
      )
      return held
    } catch (error) {
      this.#failures += 1
      this.#lastError = describe(error)
      const retryInMs = this.#scheduleRetry()
      this.#log?.warn(
        { method: this.#auth.method, failures: this.#failures, retryInMs, reason: this.#lastError },
        'cannot obtain the controller’s Vault token',
      )
      throw error
    }
  }

  #adopt(obtained: ObtainedToken, loginTtlSeconds: number): Held {
    const held: Held = {
      token: obtained.token,
      accessor: obtained.accessor,
      renewable: obtained.renewable,
      expiresAtMs: obtained.ttlSeconds > 0 ? this.#clock.now() + obtained.ttlSeconds * 1000 : undefined,
      loginTtlSeconds,
      refused: false,
      ...(obtained.fileDigest === undefined ? {} : { fileDigest: obtained.fileDigest }),
    }
    this.#held = held
    this.#scheduleRefresh(held)
    return held
  }

  #scheduleRefresh(held: Held): void {
    if (held.expiresAtMs === undefined) {
      this.#clearTimer()
      return
    }
    const remainingMs = held.expiresAtMs - this.#clock.now()
    const delayMs = remainingMs * RENEW_AT_FRACTION * (1 - JITTER_FRACTION * this.#random())
    this.#schedule(Math.max(MIN_TIMER_MS, delayMs), () => this.#refresh())
  }

  #scheduleRetry(): number {
    const exponent = Math.min(this.#failures - 1, 20)
    const capped = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** exponent)
    const delayMs = Math.max(1, Math.round(capped * (1 - 2 * JITTER_FRACTION * this.#random())))
    this.#schedule(delayMs, () => this.#tryAcquire())
    return delayMs
  }

  #schedule(delayMs: number, run: () => void | Promise<void>): void {
    this.#clearTimer()
    if (this.#closed) return
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined
      void run()
    }, delayMs)
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  async #refresh(): Promise<void> {
    const held = this.#held
    if (held === undefined || this.#closed) return
    if (this.#auth.method === 'token') {
      const digest = await this.#tokenFileDigest()
      if (digest !== undefined && digest !== held.fileDigest) return this.#tryAcquire()
    }
    if (!held.renewable) {
      // A login method simply logs in again; a token file waits for whoever writes it.
      if (this.#auth.method !== 'token') return this.#tryAcquire()
      return this.#waitForNewTokenFile(held)
    }
    try {
      const renewed = await renewSelf(this.#transport, held.token)
      if (this.#held !== held) return
      const next = this.#adopt({ ...renewed, ...pick(held) }, held.loginTtlSeconds)
      if (this.#auth.method !== 'token' && renewed.ttlSeconds * 3 < held.loginTtlSeconds) {
        // Renewal is capped by the token's max TTL: log in again while this one still works.
        this.#log?.info(
          { accessor: next.accessor, ttlSeconds: renewed.ttlSeconds },
          'renewal capped; logging in again',
        )
        this.#tryAcquire()
      }
    } catch (error) {
      if (this.#held !== held) return
      const status = failedVaultStatus(error)
      if (status === 403 || status === 400) {
        // 403: revoked or expired; 400: no longer renewable.
        if (status === 403) held.refused = true
        this.#log?.warn({ accessor: held.accessor, reason: describe(error) }, 'cannot renew the Vault token')
        return this.#tryAcquire()
      }
      // Vault unreachable or failing: the token works until it expires; try again sooner.
      const remainingMs = (held.expiresAtMs ?? this.#clock.now()) - this.#clock.now()
      if (this.#auth.method !== 'token' && remainingMs * 6 < held.loginTtlSeconds * 1000) {
        return this.#tryAcquire()
      }
      this.#failures += 1
      const retryMs = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** Math.min(this.#failures - 1, 20))
      this.#log?.warn(
        { accessor: held.accessor, reason: describe(error), retryMs },
        'Vault token renewal failed',
      )
      this.#schedule(Math.max(MIN_TIMER_MS, Math.min(retryMs, remainingMs / 3)), () => this.#refresh())
    }
  }

  #waitForNewTokenFile(held: Held): void {
    const remainingMs = (held.expiresAtMs ?? this.#clock.now()) - this.#clock.now()
    if (remainingMs <= 0) {
      this.#tryAcquire()
      return
    }
    this.#schedule(Math.max(MIN_TIMER_MS, Math.min(this.#fileCheckIntervalMs, remainingMs)), () =>
      this.#refresh(),
    )
  }

  /** Token file: adopt a new token written since the last look (at most every few seconds). */
  async #noticeNewTokenFile(): Promise<void> {
    const held = this.#held
    if (held === undefined || this.#acquiring !== undefined) return
    const now = this.#clock.now()
    if (now - this.#lastFileCheckMs < this.#fileCheckIntervalMs) return
    this.#lastFileCheckMs = now
    const digest = await this.#tokenFileDigest()
    if (digest !== undefined && digest !== held.fileDigest) await this.#acquire().catch(() => {})
  }

  async #tokenFileDigest(): Promise<string | undefined> {
    if (this.#auth.method !== 'token') return undefined
    try {
      const text = (await readFile(this.#auth.tokenFile, 'utf8')).trim()
      return text === '' ? undefined : digestOf(text)
    } catch {
      return undefined
    }
  }

  async #verify(held: Held): Promise<boolean> {
    try {
      await lookupSelf(this.#transport, held.token)
      held.verifiedAtMs = this.#clock.now()
      return false
    } catch (error) {
      if (failedVaultStatus(error) !== 403) return false
    }
    held.refused = true
    this.#log?.warn({ accessor: held.accessor }, 'Vault refused the controller’s token; obtaining a new one')
    try {
      await this.#acquire()
      return true
    } catch {
      return false
    }
  }
}

function pick(held: Held): { fileDigest?: string } {
  return held.fileDigest === undefined ? {} : { fileDigest: held.fileDigest }
}

/** A token-free reason (BrokerError messages and their causes never hold credentials). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error'
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${error.message}${cause}`
}
