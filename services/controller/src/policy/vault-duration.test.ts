import { describe, expect, it } from 'vitest'
import {
  DurationSyntaxError,
  describeDuration,
  formatVaultDuration,
  MAX_DURATION_SECONDS,
  parseVaultDurationSeconds,
} from './vault-duration.ts'

describe('parseVaultDurationSeconds', () => {
  it.each([
    ['3600', 3600], // a bare integer is seconds, as in Vault (parse-duration would say 3.6 s)
    ['10', 10],
    ['1', 1],
    ['90s', 90],
    ['1m', 60],
    ['1h', 3600],
    ['24h', 86_400],
    ['1h30m', 5400],
    ['1h30m15s', 5415],
    ['1.5h', 5400],
    ['1.1h', 3960], // exact, no floating-point residue
    ['.5h', 1800],
    ['5.m', 300],
    ['2d', 172_800],
    ['768h', 2_764_800],
  ])('%j → %d s', (text, seconds) => {
    expect(parseVaultDurationSeconds(text)).toBe(seconds)
  })

  it.each([
    ['2000ms', 2],
    ['1000000us', 1],
    ['1000000µs', 1], // micro sign
    ['1000000μs', 1], // Greek mu
    ['1000000000ns', 1],
    ['0.5s500ms', 1],
    ['1h0m0s', 3600],
  ])('sub-second units that add up to whole seconds: %j → %d s', (text, seconds) => {
    expect(parseVaultDurationSeconds(text)).toBe(seconds)
  })

  it.each([
    ['', 'empty'],
    ['0', 'greater than zero'],
    ['0s', 'greater than zero'],
    ['0d', 'greater than zero'],
    ['00', 'greater than zero'],
    ['-5m', 'must be positive'],
    ['-10', 'must be positive'],
    ['+10s', 'sign'],
    ['500ms', 'shorter than one second'],
    ['0.5s', 'shorter than one second'],
    ['1.5s', 'whole number of seconds'],
    ['1500ms', 'whole number of seconds'],
    ['abc', 'number before each unit'],
    ['1w', 'unknown unit "w"'],
    ['1y', 'unknown unit "y"'],
    ['1 h', 'unknown unit " h"'],
    ['1hour', 'unknown unit "hour"'],
    ['1e3', 'unknown unit "e"'],
    ['1.5d', 'unknown unit "d"'], // Vault: days must be a whole number
    ['1d12h', 'unknown unit "d"'], // Vault: no days inside a Go duration
    ['d', 'number before each unit'],
    ['.s', 'number before each unit'],
    ['1h.', 'number before each unit'],
    ['1.2.3s', 'missing unit'],
    [' 1h', 'whitespace'],
    ['1h ', 'whitespace'],
    ['1h,30m', 'unknown unit'],
    ['99999999999999999999', 'too large'],
    ['9999999999999h', 'too large'],
    ['x'.repeat(100), 'too long'],
  ])('refuses %j (%s)', (text, reason) => {
    expect(() => parseVaultDurationSeconds(text)).toThrow(DurationSyntaxError)
    expect(() => parseVaultDurationSeconds(text)).toThrow(reason)
  })

  it('keeps the text on the error', () => {
    const error = (() => {
      try {
        parseVaultDurationSeconds('1w')
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(DurationSyntaxError)
    expect((error as DurationSyntaxError).text).toBe('1w')
    expect((error as DurationSyntaxError).message).toBe(
      'invalid duration "1w": unknown unit "w" (Vault knows ns, us, ms, s, m, h)',
    )
  })

  it('accepts up to Go int64 nanoseconds and not beyond', () => {
    expect(parseVaultDurationSeconds(String(MAX_DURATION_SECONDS))).toBe(MAX_DURATION_SECONDS)
    expect(() => parseVaultDurationSeconds(String(MAX_DURATION_SECONDS + 1))).toThrow('too large')
  })
})

describe('formatVaultDuration', () => {
  it.each([
    [1, '1s'],
    [60, '60s'],
    [3600, '3600s'],
    [2_764_800, '2764800s'],
  ])('%d → %j (always with a unit)', (seconds, text) => {
    expect(formatVaultDuration(seconds)).toBe(text)
    expect(parseVaultDurationSeconds(formatVaultDuration(seconds))).toBe(seconds)
  })

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d', (seconds) => {
    expect(() => formatVaultDuration(seconds)).toThrow(RangeError)
  })
})

describe('describeDuration', () => {
  it.each([
    [1, '1s'],
    [90, '1m30s'],
    [1800, '30m'],
    [3600, '1h'],
    [5400, '1h30m'],
    [5415, '1h30m15s'],
    [86_400, '24h'],
    [2_764_800, '768h'],
  ])('%d → %j', (seconds, text) => {
    expect(describeDuration(seconds)).toBe(text)
    expect(parseVaultDurationSeconds(text)).toBe(seconds)
  })
})
