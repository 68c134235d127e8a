/**
 * @module
 * vault-init's sidecar mode (DESIGN §3 step 9): keeps the pod's periodic token alive for as long
 * as the pod runs. Meant for a Kubernetes native sidecar (an init container with
 * `restartPolicy: Always`), started right after the init container wrote the token files.
 *
 * - It renews at once (which also proves the token still works), then at about half the lease
 *   Vault granted (40-60 %, jittered so a node's pods do not renew in lockstep).
 * - After each renewal `secret.json` is rewritten atomically (same mode as before) with Vault's
 *   renewal answer, so `auth.lease_duration` and the rest keep the shape Vault returns; the
 *   `token` file never changes (renewal keeps the token).
 * - A failed renewal (network, timeout, 5xx, 429, any other error) is retried with capped,
 *   fully jittered backoff, never waiting past half the time left before the last known expiry;
 *   once that expiry passes it gives up (exit 9).
 * - Vault's 403 (revoked, bad token, permission denied) ends it at once (exit 8; exit 9 if the
 *   token was already past its expiry); `lease is not renewable` too (exit 10).
 * - SIGTERM/SIGINT (the abort signal) end it promptly with 0: an in-flight request is cut, a
 *   write in progress finishes. The kubelet sends SIGTERM to native sidecars once a Job's main
 *   containers finish, so they never hold a Job open.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { SECRET_FILE_NAME, TOKEN_FILE_NAME } from '@vault-controller/protocol'
import { writeFileAtomic } from './atomic-write.ts'
import { backoffDelayMs } from './backoff.ts'
import type { SidecarConfig } from './config.ts'
import { type ExitCode, exitCodes } from './exit-codes.ts'
import { createHttpTransport } from './http-transport.ts'
import { type Logger, silentLogger } from './logger.ts'
import { podMismatches } from './pod-identity.ts'
import { abortableSleep, errno, type RunDeps } from './run-deps.ts'
import { Secret } from './secret.ts'
import { renewSelf } from './vault-renew-self.ts'

/** The sidecar's dependencies: aborting `signal` (SIGTERM, SIGINT) stops it with exit 0. */
export type SidecarDeps = RunDeps

export interface SidecarResult {
  exitCode: ExitCode
  /** A stable code for `vault-init: <code>: <message>`. */
  code: string
  /** One line; never a token. */
  message: string
}

/** Renewal is due after this share of the granted lease, plus or minus half the jitter span. */
export const RENEW_FRACTION = 0.5
export const RENEW_JITTER = 0.2
/** Limit on one renew-self request (never longer than the time the token has left, nor under 1 s). */
const RENEW_TIMEOUT_MS = 10_000
/** Backoff for failed renewals: 1 s base, 60 s cap, then never beyond half the time left. */
const RETRY_BASE_MS = 1_000
const RETRY_CAP_MS = 60_000
const MIN_WAIT_MS = 250
/** setTimeout's limit; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Runs the sidecar until a signal or a failure that cannot be retried; never throws. */
export async function runRenewalSidecar(
  config: SidecarConfig,
  deps: SidecarDeps = {},
): Promise<SidecarResult> {
  const logger = deps.logger ?? silentLogger
  try {
    return await run(config, deps, logger)
  } catch (error) {
    logger.error('unexpected failure', { error })
    return { exitCode: exitCodes.LOCAL_FAILURE, code: 'INTERNAL', message: 'unexpected internal error' }
  }
}

/** What the init container left, read back. */
interface HeldToken {
  token: Secret
  accessor: string | undefined
  /** `secret.json` as last written, parsed. */
  secret: Record<string, unknown>
  fileMode: number
  /** Best estimate of when the token expires, from `secret.json`'s time and lease. */
  expiresAtMs: number
}

type Loaded = { ok: true; held: HeldToken } | { ok: false; result: SidecarResult }

async function run(config: SidecarConfig, deps: SidecarDeps, logger: Logger): Promise<SidecarResult> {
  const clock = deps.clock ?? { now: () => Date.now() }
  const random = deps.random ?? Math.random
  const sleep = deps.sleep ?? abortableSleep
  const signal = deps.signal ?? new AbortController().signal

  let caPem: string | undefined
  if (config.vaultCaFile !== undefined) {
    try {
      caPem = await readFile(config.vaultCaFile, 'utf8')
    } catch (error) {
      return fail(
        exitCodes.CONFIG,
        'CONFIG_INVALID',
        `VAULT_CACERT: cannot read ${config.vaultCaFile}: ${errno(error)}`,
      )
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      return fail(
        exitCodes.CONFIG,
        'CONFIG_INVALID',
        `VAULT_CACERT: ${config.vaultCaFile} holds no PEM certificate`,
      )
    }
  }
  const loaded = await loadHeldToken(config)
  if (!loaded.ok) return loaded.result
  const held = loaded.held
  logger.info('renewing the token vault-init wrote', {
    tokenAccessor: held.accessor,
    outputDir: config.outputDir,
    expireTime: iso(held.expiresAtMs),
  })

  const transport = (deps.createTransport ?? createHttpTransport)(caPem)
  const stopped = (): SidecarResult => {
    const reason = typeof signal.reason === 'string' ? signal.reason : 'a signal'
    logger.info('stopping: the token stays valid until its expiry unless renewed again', {
      signal: reason,
      tokenAccessor: held.accessor,
      expireTime: iso(held.expiresAtMs),
    })
    return { exitCode: exitCodes.OK, code: 'STOPPED', message: `stopped by ${reason}` }
  }
  try {
    let nextAtMs = clock.now()
    let failures = 0
    for (;;) {
      for (let now = clock.now(); now < nextAtMs && !signal.aborted; now = clock.now()) {
        await sleep(Math.min(nextAtMs - now, MAX_TIMER_MS), signal)
      }
      if (signal.aborted) return stopped()
      const startedMs = clock.now()
      const outcome = await renewSelf(held.token, {
        vaultAddr: config.vaultAddr,
        transport,
        timeoutMs: Math.min(RENEW_TIMEOUT_MS, Math.max(1_000, held.expiresAtMs - startedMs)),
        signal,
        nowMs: startedMs,
      })
      if (signal.aborted) return stopped()
      const now = clock.now()
      if (outcome.kind === 'denied') {
        if (now >= held.expiresAtMs) return expired(held, outcome.reason, logger)
        logger.error('Vault refused the token: it was revoked or is no longer valid', {
          tokenAccessor: held.accessor,
          reason: outcome.reason,
        })
        return fail(
          exitCodes.TOKEN_REVOKED,
          'TOKEN_REVOKED',
          `${outcome.reason}: the token (accessor ${held.accessor ?? 'unknown'}) was revoked or is invalid; the pod needs a new token (restart the pod)`,
        )
      }
      if (outcome.kind === 'not-renewable') {
        return fail(
          exitCodes.NOT_RENEWABLE,
          'TOKEN_NOT_RENEWABLE',
          `${outcome.reason}: the token (accessor ${held.accessor ?? 'unknown'}) cannot be renewed; check the token role's renewable setting`,
        )
      }
      if (outcome.kind === 'retry') {
        if (now >= held.expiresAtMs) return expired(held, outcome.reason, logger)
        const backoffMs =
          outcome.retryAfterMs ??
          backoffDelayMs(failures, random, { baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS })
        const waitMs = Math.min(backoffMs, Math.max(MIN_WAIT_MS, (held.expiresAtMs - now) / 2))
        failures++
        logger.warn('renewal failed; retrying', {
          tokenAccessor: held.accessor,
          reason: outcome.reason,
          failures,
          retryInMs: Math.round(waitMs),
          expireTime: iso(held.expiresAtMs),
        })
        nextAtMs = now + waitMs
        continue
      }
      if (outcome.leaseDurationSeconds <= 0) {
        return expired(held, 'Vault renewed the token with no time left (its max TTL was reached)', logger)
      }
      failures = 0
      held.expiresAtMs = startedMs + outcome.leaseDurationSeconds * 1000
      await rewriteSecret(config, held, outcome.body, outcome.auth, logger)
      const fraction = RENEW_FRACTION + (random() - 0.5) * RENEW_JITTER
      const waitMs = Math.max(MIN_WAIT_MS, outcome.leaseDurationSeconds * 1000 * fraction)
      nextAtMs = clock.now() + waitMs
      logger.info('token renewed', {
        tokenAccessor: held.accessor,
        leaseDurationSeconds: outcome.leaseDurationSeconds,
        expireTime: iso(held.expiresAtMs),
        nextRenewalInMs: Math.round(waitMs),
      })
    }
  } finally {
    transport.close()
  }
}

/** Reads `secret.json` and `token`; refuses anything that is not one pod's finished pair. */
async function loadHeldToken(config: SidecarConfig): Promise<Loaded> {
  const secretPath = join(config.outputDir, SECRET_FILE_NAME)
  const tokenPath = join(config.outputDir, TOKEN_FILE_NAME)
  const missing = (path: string): Loaded => ({
    ok: false,
    result: fail(
      exitCodes.NO_TOKEN_FILES,
      'NO_TOKEN_FILES',
      `${path} does not exist: the vault-init init container must run (and succeed) before the sidecar, with the same VAULT_INIT_OUTPUT_DIR volume`,
    ),
  })
  const foreign = (reason: string): Loaded => ({
    ok: false,
    result: fail(exitCodes.FOREIGN_FILES, 'FOREIGN_TOKEN_FILES', `${config.outputDir}: ${reason}`),
  })
  let secretText: string
  let tokenText: string
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(secretPath)
    secretText = await readFile(secretPath, 'utf8')
  } catch (error) {
    if (errno(error) === 'ENOENT') return missing(secretPath)
    return {
      ok: false,
      result: fail(exitCodes.LOCAL_FAILURE, 'LOCAL_FAILURE', `cannot read ${secretPath}: ${errno(error)}`),
    }
  }
  try {
    tokenText = await readFile(tokenPath, 'utf8')
  } catch (error) {
    if (errno(error) === 'ENOENT') return missing(tokenPath)
    return {
      ok: false,
      result: fail(exitCodes.LOCAL_FAILURE, 'LOCAL_FAILURE', `cannot read ${tokenPath}: ${errno(error)}`),
    }
  }
  let secret: unknown
  try {
    secret = JSON.parse(secretText)
  } catch {
    return foreign(`${SECRET_FILE_NAME} is not valid JSON`)
  }
  const auth = (secret as { auth?: unknown } | null)?.auth as Record<string, unknown> | null | undefined
  if (
    typeof auth !== 'object' ||
    auth === null ||
    typeof auth.client_token !== 'string' ||
    auth.client_token === ''
  ) {
    return foreign(`${SECRET_FILE_NAME} holds no auth.client_token`)
  }
  if (tokenText !== auth.client_token)
    return foreign(`${TOKEN_FILE_NAME} and ${SECRET_FILE_NAME} hold different tokens`)
  if (config.pod !== undefined) {
    const mismatches = podMismatches(auth.metadata, config.pod)
    if (mismatches.length > 0)
      return foreign(`${SECRET_FILE_NAME} names another pod (${mismatches.join(', ')} differ)`)
  }
  const lease = typeof auth.lease_duration === 'number' ? auth.lease_duration : 0
  return {
    ok: true,
    held: {
      token: new Secret(auth.client_token),
      accessor: typeof auth.accessor === 'string' ? auth.accessor : undefined,
      secret: secret as Record<string, unknown>,
      // Never group- or world-writable, whatever happened to the file since.
      fileMode: Number(info.mode) & 0o755,
      expiresAtMs: Number(info.mtimeMs) + lease * 1000,
    },
  }
}

/**
 * `secret.json` becomes Vault's renewal answer, its `auth` laid over the previous one (so a field
 * the renewal leaves out, or `metadata` it returns empty, keeps its value). A failed write is
 * logged, not fatal: the token itself was renewed, and the next renewal writes again.
 */
async function rewriteSecret(
  config: SidecarConfig,
  held: HeldToken,
  body: Record<string, unknown>,
  auth: Record<string, unknown>,
  logger: Logger,
): Promise<void> {
  const previous = (held.secret.auth ?? {}) as Record<string, unknown>
  const next = {
    ...body,
    auth: {
      ...previous,
      ...auth,
      client_token: held.token.reveal(),
      metadata: auth.metadata ?? previous.metadata ?? null,
    },
  }
  try {
    await writeFileAtomic(join(config.outputDir, SECRET_FILE_NAME), `${JSON.stringify(next)}\n`, {
      mode: held.fileMode,
    })
    held.secret = next
  } catch (error) {
    logger.error('token renewed, but secret.json could not be rewritten; will retry at the next renewal', {
      tokenAccessor: held.accessor,
      error,
    })
  }
}

function expired(held: HeldToken, lastError: string, logger: Logger): SidecarResult {
  logger.error('the token expired before it could be renewed', {
    tokenAccessor: held.accessor,
    expireTime: iso(held.expiresAtMs),
    lastError,
  })
  return fail(
    exitCodes.TOKEN_EXPIRED,
    'TOKEN_EXPIRED',
    `the token (accessor ${held.accessor ?? 'unknown'}) expired at ${iso(held.expiresAtMs)} without a successful renewal; last error: ${lastError}`,
  )
}

function fail(exitCode: ExitCode, code: string, message: string): SidecarResult {
  return { exitCode, code, message }
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'unknown'
}
