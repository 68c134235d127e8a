/**
 * @module
 * What both of vault-init's modes (the init run and the renewal sidecar) take from outside: a
 * logger, time, waiting, randomness, the HTTP client factory and the stop signal. Tests pass fakes;
 * the CLI passes only the signal. The defaults and the error wording both modes share live here
 * too, so the two runs cannot drift apart.
 */
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { HttpTransport } from './http-transport.ts'
import type { Logger } from './logger.ts'

export interface RunDeps {
  logger?: Logger
  /** Time for deadlines, expiries and `Retry-After` dates. Default: `Date.now`. */
  clock?: { now(): number }
  /** Waits; resolves early (without throwing) when `signal` aborts. Default: {@link abortableSleep}. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** Jitter source in [0, 1). */
  random?: () => number
  /** Makes an HTTP client (for Vault, and for the controller in the init run), given the CA PEM configured for it. */
  createTransport?: (caPem: string | undefined) => HttpTransport
  /** Aborting (SIGTERM, SIGINT) stops the run; each mode says with which exit code. */
  signal?: AbortSignal
}

/** Waits `ms`, or less when `signal` aborts; never throws. */
export async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  await sleepFor(ms, undefined, { signal }).catch(() => {})
}

/** A file-system error's code (`ENOENT`…), else its message: for one-line reports. */
export function errno(error: unknown): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
}
