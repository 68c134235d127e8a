import { describe, expect, it } from 'vitest'
import {
  DurationError,
  formatGoDuration,
  goDurationString,
  parseDurationNanoseconds,
  parseDurationSeconds,
  parseWrapTtlHeader,
} from './duration.ts'

describe('parseDurationSeconds', () => {
  it.each([
    [3600, 3600],
    ['3600', 3600],
    ['60m', 3600],
    ['1h30m', 5400],
    ['500ms', 0],
    ['1500ms', 1],
    ['2d', 172_800],
    ['-2d', -172_800],
    ['-5m', -300],
    ['', 0],
    [null, 0],
    [undefined, 0],
    ['0', 0],
    ['-0', 0],
    ['+5s', 5],
    ['-3600', -3600],
    ['0003600', 3600],
    ['1.5h', 5400],
    ['.5m', 30],
    ['1h0.5s', 3600],
    ['2000000\u00b5s', 2],
    ['2000000\u03bcs', 2],
    ['2000000us', 2],
    ['3000000000ns', 3],
    ['1h1m1s', 3661],
    ['9223372036854775807ns', 9_223_372_036],
  ])('%j → %d seconds', (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds)
  })

  it.each([
    ['abc', 'time: invalid duration "abc"'],
    ['1x', 'time: unknown unit "x" in duration "1x"'],
    ['1d2h', 'time: unknown unit "d" in duration "1d2h"'],
    ['1.5', 'time: missing unit in duration "1.5"'],
    [1.5, 'time: missing unit in duration "1.5"'],
    ['-', 'time: invalid duration "-"'],
    ['.s', 'time: invalid duration ".s"'],
    ['5m ', 'time: unknown unit "m " in duration "5m "'],
    [' 5m', 'time: invalid duration " 5m"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['99999999999999999999', 'time: invalid duration "99999999999999999999"'],
    ['1\u00e9', 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'],
    ['abcd', 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ['1.5d', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    ['d', 'strconv.ParseInt: parsing "": invalid syntax'],
    ['99999999999999999999d', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    [true, 'could not parse duration from input'],
    [{ ttl: 1 }, 'could not parse duration from input'],
    [['1h'], 'could not parse duration from input'],
  ])('%j fails with Vault text %j', (input, message) => {
    let caught: unknown
    try {
      parseDurationSeconds(input)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(DurationError)
    expect((caught as Error).message).toBe(message)
  })

  it('keeps sub-second negatives visible in nanoseconds', () => {
    expect(parseDurationNanoseconds('-500ms')).toBe(-500_000_000n)
    expect(parseDurationSeconds('-500ms')).toBe(0)
    expect(parseDurationNanoseconds('1.5s')).toBe(1_500_000_000n)
  })
})

describe('parseWrapTtlHeader', () => {
  it.each([
    ['60', 60],
    ['60s', 60],
    ['5m', 300],
    ['1d', 86_400],
    ['300', 300],
    ['0', 0],
    ['', 0],
  ])('%j → %d', (header, seconds) => {
    expect(parseWrapTtlHeader(header)).toBe(seconds)
  })

  it.each([
    ['abc', 'error parsing X-Vault-Wrap-TTL header: time: invalid duration "abc"'],
    ['-5m', 'error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative'],
    ['-1', 'error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative'],
    ['-1ns', 'error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative'],
  ])('%j fails with %j', (header, message) => {
    expect(() => parseWrapTtlHeader(header)).toThrow(new DurationError(message))
  })
})

describe('formatGoDuration', () => {
  it.each([
    [32_400_000, '9000h'],
    [2_764_800, '768h'],
    [3600, '1h'],
    [1800, '30m'],
    [5400, '1h30m'],
    // Vault prints 90 s as Go does: humanDuration only trims zero units after hours.
    [90, '1m30s'],
    [45, '45s'],
    [60, '1m'],
    [14_405, '4h5s'],
    [3661, '1h1m1s'],
    [86_400, '24h'],
    [0, '0s'],
    [0.5, '500ms'],
    [-3600, '-1h'],
  ])('%d s → %s', (seconds, text) => {
    expect(formatGoDuration(seconds)).toBe(text)
  })

  it.each([
    [0n, '0s'],
    [1n, '1ns'],
    [1_500n, '1.5\u00b5s'],
    [1_500_000n, '1.5ms'],
    [1_500_000_000n, '1.5s'],
    [5_400_000_000_000n, '1h30m0s'],
    [-90_000_000_000n, '-1m30s'],
  ])('Go Duration.String of %d ns is %s', (nanos, text) => {
    expect(goDurationString(nanos)).toBe(text)
  })
})
