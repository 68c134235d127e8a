/**
 * @module
 * Waiting on a condition instead of sleeping: tests and e2e poll for the state they
 * expect, with a deadline, and fail with the last error seen.
 */
import { setTimeout as delay } from 'node:timers/promises'

export interface WaitForOptions {
  /** Give up after this long. Default 5000 ms. */
  timeoutMs?: number
  /** Time between attempts. Default 20 ms. */
  intervalMs?: number
  /** What is being waited for, for the timeout message. */
  description?: string
}

/**
 * Calls `check` until it returns a value other than `undefined`/`false` without throwing,
 * and resolves to that value.
 * @example
 * const pod = await waitFor(async () => (await getPod()).status?.podIP, { timeoutMs: 2000 })
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const { timeoutMs = 5000, intervalMs = 20, description = 'condition' } = options
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`, { cause: lastError })
    }
    await delay(intervalMs)
  }
}
