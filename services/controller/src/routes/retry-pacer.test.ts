/** Retry slots for requests refused while too many are in progress (token.ts). */
import { describe, expect, it } from 'vitest'
import { RetryPacer } from './token.ts'

describe('RetryPacer', () => {
  it('spreads refused requests over the next seconds at the assumed rate', () => {
    const pacer = new RetryPacer(2)
    const now = 10_000
    expect(Array.from({ length: 6 }, () => pacer.retryAfterSeconds(now))).toEqual([1, 2, 2, 3, 3, 4])
  })

  it('paces by the completions it has seen, once a second', () => {
    const pacer = new RetryPacer(1)
    let now = 10_000
    pacer.retryAfterSeconds(now)
    for (let done = 0; done < 10; done++) pacer.completed(now)
    now += 1000
    // Ten completed in the last second: ten refused requests share the next second.
    const waits = Array.from({ length: 20 }, () => pacer.retryAfterSeconds(now))
    expect(waits.filter((seconds) => seconds <= 2).length).toBeGreaterThanOrEqual(10)
    expect(waits.filter((seconds) => seconds <= 2).length).toBeLessThanOrEqual(11)
    expect(Math.max(...waits)).toBe(3)
  })

  it('never asks for more than a minute', () => {
    const pacer = new RetryPacer(1)
    const waits = Array.from({ length: 500 }, () => pacer.retryAfterSeconds(0))
    expect(Math.max(...waits)).toBe(60)
  })
})
