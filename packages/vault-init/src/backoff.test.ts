import { describe, expect, it } from 'vitest'
import { backoffDelayMs, parseRetryAfterMs } from './backoff.ts'

describe('backoffDelayMs', () => {
  it('draws a full-jitter delay below an exponential bound, capped', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelayMs(attempt, () => 0.999999))).toEqual([
      499, 999, 1999, 3999,
    ])
    expect(backoffDelayMs(3, () => 0)).toBe(0)
    expect(backoffDelayMs(40, () => 0.5)).toBe(15_000)
  })
})

describe('parseRetryAfterMs', () => {
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('7', 0)).toBe(7000)
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfterMs('Thu, 01 Jan 2025 00:00:30 GMT', now)).toBe(0)
  })

  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfterMs(null, 0)).toBeUndefined()
    expect(parseRetryAfterMs('-1', 0)).toBeUndefined()
    expect(parseRetryAfterMs('soon', 0)).toBeUndefined()
  })
})
