/**
 * @module
 * How long to wait before asking the controller again: what its `Retry-After` says when it says
 * something, else exponential backoff with full jitter (a random wait between zero and the
 * exponential bound), so a node full of pods restarting together does not retry in lockstep.
 * @see https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
 */

export interface BackoffOptions {
  baseMs?: number
  capMs?: number
}

export const DEFAULT_BACKOFF_BASE_MS = 500
export const DEFAULT_BACKOFF_CAP_MS = 30_000

/** Full-jitter delay before retry number `attempt` (0 for the first retry). `random` is in [0, 1). */
export function backoffDelayMs(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const { baseMs = DEFAULT_BACKOFF_BASE_MS, capMs = DEFAULT_BACKOFF_CAP_MS } = options
  const bound = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30))
  return Math.floor(random() * bound)
}

/** `Retry-After` as milliseconds: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return undefined
  return Math.max(0, date - nowMs)
}
