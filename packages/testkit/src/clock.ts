/**
 * @module
 * Time for the test servers. Both vault-dev and kube-dev run on wall-clock time
 * plus an offset that tests move forward (`/__testkit/clock/advance`), so token
 * expiry, TTLs and deletion timestamps can be tested without sleeping.
 */

/** A source of time in milliseconds since the epoch. Production code takes one of these too. */
export interface Clock {
  now(): number
}

/** A clock that follows real time and can be moved forward. */
export interface AdjustableClock extends Clock {
  /** Moves the clock forward by `ms` (never backward). */
  advance(ms: number): void
}

/** Real time plus an offset: what the servers use. */
export function offsetClock(base: Clock = { now: () => Date.now() }): AdjustableClock {
  let offsetMs = 0
  return {
    now: () => base.now() + offsetMs,
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock can only move forward, got ${ms}`)
      offsetMs += ms
    },
  }
}

/**
 * A clock that stands still until told to move: for unit tests of code that takes a clock.
 * @example
 * const clock = fakeClock(Date.parse('2026-01-01T00:00:00Z'))
 * clock.advance(61_000)
 */
export function fakeClock(startMs = 0): AdjustableClock {
  let nowMs = startMs
  return {
    now: () => nowMs,
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock can only move forward, got ${ms}`)
      nowMs += ms
    },
  }
}
