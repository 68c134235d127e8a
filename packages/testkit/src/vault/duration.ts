/**
 * @module
 * Vault's durations, as vault-dev must read and print them.
 *
 * Vault reads every duration field through `parseutil.ParseDurationSecond`
 * (hashicorp/go-secure-stdlib): an integer string is seconds, a `d` suffix is
 * days, anything else goes to Go's `time.ParseDuration`. Clients see Go's error
 * texts verbatim (`time: invalid duration "abc"`), so this module reproduces
 * that grammar and its messages instead of using a JavaScript duration library.
 * Values are kept in nanoseconds (as Go's `time.Duration`) and truncated to
 * whole seconds at the end, like `int64(d.Seconds())` in Vault.
 */
import { goQuote } from './policy-names.ts'

/** A value that Vault would refuse as a duration; the message is Vault's own text. */
export class DurationError extends Error {}

const NANOS_PER_SECOND = 1_000_000_000n
const TWO_POW_63 = 1n << 63n
const INT64_MAX = TWO_POW_63 - 1n

/** Go's `time` unit table (both micro signs included). */
const UNIT_NANOS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', NANOS_PER_SECOND],
  ['m', 60n * NANOS_PER_SECOND],
  ['h', 3600n * NANOS_PER_SECOND],
])

/**
 * Vault's lenient duration, in nanoseconds (Go's `time.Duration`):
 * `3600`, `"3600"` → seconds; `"2d"` → days; `"1h30m"`, `"500ms"`, `"-5m"` → Go durations;
 * `""`, `null`, `undefined` → 0. Negative values are returned as such.
 * @throws DurationError with Vault's message.
 */
export function parseDurationNanoseconds(value: unknown): bigint {
  if (value === undefined || value === null) return 0n
  if (typeof value === 'bigint') return BigInt.asIntN(64, value * NANOS_PER_SECOND)
  if (typeof value === 'number') {
    // Vault decodes JSON numbers as json.Number, i.e. as their text: 1.5 fails like "1.5".
    if (Number.isSafeInteger(value)) return BigInt.asIntN(64, BigInt(value) * NANOS_PER_SECOND)
    return parseDurationString(String(value))
  }
  if (typeof value === 'string') return parseDurationString(value)
  throw new DurationError('could not parse duration from input')
}

/**
 * Like {@link parseDurationNanoseconds}, in whole seconds (truncated towards zero, as Vault's
 * `int64(d.Seconds())`). Note that `"-500ms"` gives 0 here while Vault still sees it as negative;
 * callers that must reject it use {@link parseDurationNanoseconds}.
 */
export function parseDurationSeconds(value: unknown): number {
  return nanosToSeconds(parseDurationNanoseconds(value))
}

/**
 * Go's own `time.ParseDuration` (no bare seconds, no `d` suffix), in nanoseconds: what Vault
 * applies to the deprecated `lease` field of token creation (spec §3.2).
 * @throws DurationError with Go's message, e.g. `time: missing unit in duration "3600"`.
 */
export function parseStrictGoDurationNanoseconds(text: string): bigint {
  return parseGoDuration(text)
}

/** Whole seconds of a nanosecond duration, truncated towards zero. */
export function nanosecondsToSeconds(nanos: bigint): number {
  return nanosToSeconds(nanos)
}

/**
 * The `X-Vault-Wrap-TTL` header in whole seconds; `""` gives 0 (no wrapping, like `"0"`).
 * @throws DurationError `error parsing X-Vault-Wrap-TTL header: ...` (Vault answers 400 with it).
 */
export function parseWrapTtlHeader(value: string): number {
  const prefix = 'error parsing X-Vault-Wrap-TTL header: '
  let nanos: bigint
  try {
    nanos = parseDurationNanoseconds(value)
  } catch (error) {
    if (error instanceof DurationError) throw new DurationError(prefix + error.message, { cause: error })
    throw error
  }
  if (nanos < 0n) throw new DurationError(`${prefix}requested wrap ttl cannot be negative`)
  return nanosToSeconds(nanos)
}

/**
 * A duration as Vault prints it in TTL warnings (sdk/framework `humanDuration`): Go's
 * `Duration.String()` with zero minutes/seconds dropped after hours: 9000h, 768h, 1h, 30m, 1h30m,
 * 4h5s. Below one hour Go's own form stays, so 90 seconds is `1m30s`.
 */
export function formatGoDuration(seconds: number): string {
  const nanos = Number.isInteger(seconds)
    ? BigInt(seconds) * NANOS_PER_SECOND
    : BigInt(Math.round(seconds * 1e9))
  if (nanos === 0n) return '0s'
  let text = goDurationString(nanos)
  if (text.endsWith('m0s')) text = text.slice(0, -2)
  const index = text.indexOf('h0m')
  if (index > 0) text = text.slice(0, index + 1) + text.slice(index + 3)
  return text
}

/** Go's `time.Duration.String()`. */
export function goDurationString(nanos: bigint): string {
  const negative = nanos < 0n
  let rest = negative ? -nanos : nanos
  let text: string
  if (rest < NANOS_PER_SECOND) {
    if (rest === 0n) return '0s'
    if (rest < 1_000n) text = `${rest}ns`
    else if (rest < 1_000_000n) text = `${fixedPoint(rest, 3)}\u00b5s`
    else text = `${fixedPoint(rest, 6)}ms`
  } else {
    text = `${fixedPoint(rest % (60n * NANOS_PER_SECOND), 9)}s`
    rest /= 60n * NANOS_PER_SECOND
    if (rest > 0n) {
      text = `${rest % 60n}m${text}`
      rest /= 60n
      if (rest > 0n) text = `${rest}h${text}`
    }
  }
  return negative ? `-${text}` : text
}

/** `value / 10^decimals` with trailing fractional zeros dropped (Go's fmtFrac + fmtInt). */
function fixedPoint(value: bigint, decimals: number): string {
  const scale = 10n ** BigInt(decimals)
  const fraction = (value % scale).toString().padStart(decimals, '0').replace(/0+$/, '')
  return fraction === '' ? `${value / scale}` : `${value / scale}.${fraction}`
}

function nanosToSeconds(nanos: bigint): number {
  return Number(nanos / NANOS_PER_SECOND)
}

/** parseutil.ParseDurationSecond for a string. */
function parseDurationString(input: string): bigint {
  if (input === '') return 0n
  const seconds = parseGoInt64(input)
  if (typeof seconds === 'bigint') return BigInt.asIntN(64, seconds * NANOS_PER_SECOND)
  if (input.endsWith('d')) {
    const days = parseGoInt64(input.slice(0, -1))
    if (typeof days === 'string') throw new DurationError(days)
    return BigInt.asIntN(64, days * 86_400n * NANOS_PER_SECOND)
  }
  return parseGoDuration(input)
}

/** Go's `strconv.ParseInt(s, 10, 64)`: the value, or the error message. */
function parseGoInt64(input: string): bigint | string {
  const fail = (reason: string) => `strconv.ParseInt: parsing ${goQuote(input)}: ${reason}`
  let digits = input
  const negative = digits.startsWith('-')
  if (negative || digits.startsWith('+')) digits = digits.slice(1)
  if (digits === '') return fail('invalid syntax')
  let value = 0n
  let overflow = false
  for (const char of digits) {
    if (char < '0' || char > '9') return fail('invalid syntax')
    if (overflow) return fail('value out of range')
    value = value * 10n + BigInt(char.charCodeAt(0) - 48)
    if (value > TWO_POW_63) overflow = true
  }
  if (overflow || (negative ? value > TWO_POW_63 : value > INT64_MAX)) return fail('value out of range')
  return negative ? -value : value
}

/** Go's `time.ParseDuration`, error texts included. */
function parseGoDuration(original: string): bigint {
  const invalid = () => new DurationError(`time: invalid duration ${timeQuote(original)}`)
  let rest = original
  let negative = false
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-')
    rest = rest.slice(1)
  }
  if (rest === '0') return 0n
  if (rest === '') throw invalid()
  let total = 0n
  while (rest !== '') {
    if (!(rest[0] === '.' || isDigit(rest[0]))) throw invalid()
    let end = 0
    while (end < rest.length && isDigit(rest[end])) end++
    const whole = rest.slice(0, end)
    let integer = 0n
    for (const char of whole) {
      integer = integer * 10n + BigInt(char.charCodeAt(0) - 48)
      if (integer > TWO_POW_63) throw invalid()
    }
    rest = rest.slice(end)
    let fraction = 0
    let scale = 1
    let hasFraction = false
    if (rest.startsWith('.')) {
      rest = rest.slice(1)
      let fractionEnd = 0
      let exact = 0n
      let overflowed = false
      while (fractionEnd < rest.length && isDigit(rest[fractionEnd])) {
        if (!overflowed) {
          const next = exact * 10n + BigInt(rest.charCodeAt(fractionEnd) - 48)
          if (exact > INT64_MAX / 10n || next > TWO_POW_63) overflowed = true
          else {
            exact = next
            scale *= 10
          }
        }
        fractionEnd++
      }
      hasFraction = fractionEnd > 0
      fraction = Number(exact)
      rest = rest.slice(fractionEnd)
    }
    if (whole === '' && !hasFraction) throw invalid()
    let unitEnd = 0
    while (unitEnd < rest.length && rest[unitEnd] !== '.' && !isDigit(rest[unitEnd])) unitEnd++
    if (unitEnd === 0) throw new DurationError(`time: missing unit in duration ${timeQuote(original)}`)
    const unitName = rest.slice(0, unitEnd)
    rest = rest.slice(unitEnd)
    const unit = UNIT_NANOS.get(unitName)
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${timeQuote(unitName)} in duration ${timeQuote(original)}`)
    }
    if (integer > TWO_POW_63 / unit) throw invalid()
    let value = integer * unit
    if (fraction > 0) {
      // Go computes the fractional part in float64, like this.
      value += BigInt(Math.trunc(fraction * (Number(unit) / scale)))
      if (value > TWO_POW_63) throw invalid()
    }
    total += value
    if (total > TWO_POW_63) throw invalid()
  }
  if (negative) return -total
  if (total > INT64_MAX) throw invalid()
  return total
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9'
}

/** The `time` package's own quoting: bytes outside printable ASCII become `\xNN`. */
function timeQuote(text: string): string {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    if (code >= 0x80 || code < 0x20) {
      for (const byte of new TextEncoder().encode(char)) out += `\\x${byte.toString(16).padStart(2, '0')}`
    } else {
      out += char === '"' || char === '\\' ? `\\${char}` : char
    }
  }
  return `${out}"`
}
