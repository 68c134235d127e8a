/**
 * @module
 * Vault durations, read the way Vault reads them and written so Vault cannot misread them.
 *
 * Pods ask for a TTL through the `vaultproject.io/ttl` annotation, and the allow-list file writes its
 * limits the same way, so both must mean exactly what Vault would understand. Vault
 * (`parseutil.ParseDurationSecond`) accepts three forms:
 * - a bare integer: seconds (`3600` is one hour, not 3600 ms);
 * - an integer followed by `d`: days (`2d`; `1.5d` and `1d12h` are rejected by Vault);
 * - a Go duration (`time.ParseDuration`): one or more `<number><unit>` pairs, units `ns`, `us`/`µs`,
 *   `ms`, `s`, `m`, `h`, decimal fractions allowed (`90s`, `1h30m`, `1.5h`).
 *
 * This is a small hand-written parser rather than `parse-duration`: that library accepts far more than
 * Vault does (`1w`, `1 hour`, `1y`, `1e3`, spaces, commas), reads a bare number as milliseconds unless
 * told otherwise, accepts negatives and computes in floating point. Making it safe would take a regular
 * expression that already is the whole grammar, after which the arithmetic is a few lines. Here the
 * arithmetic is exact (BigInt nanoseconds, like Go's int64), so `1.1h` is exactly 3960 s.
 *
 * On top of Vault's grammar we are stricter where Vault's answer would be useless or surprising:
 * zero, negative and signed values, anything that is not a whole number of seconds (`500ms`, `1.5s`),
 * surrounding whitespace and values beyond Go's int64 nanoseconds (~292 years) are refused.
 *
 * Output is always whole seconds; what we send back to Vault always carries a unit (`"3600s"`).
 */

/** A duration that Vault would not accept, or that we refuse to pass on. The message is safe to show. */
export class DurationSyntaxError extends Error {
  override readonly name = 'DurationSyntaxError'
  /** The text that failed to parse. */
  readonly text: string
  constructor(text: string, reason: string) {
    super(`invalid duration ${JSON.stringify(text)}: ${reason}`)
    this.text = text
  }
}

const NANOS_PER_SECOND = 1_000_000_000n
/** Go's `time.Duration` is an int64 of nanoseconds; Vault cannot represent anything longer. */
const MAX_NANOS = 2n ** 63n - 1n
/** The longest duration we accept, in whole seconds (about 292 years). */
export const MAX_DURATION_SECONDS = Number(MAX_NANOS / NANOS_PER_SECOND)
/** Longer texts are refused before any arithmetic: no legitimate duration comes close. */
const MAX_TEXT_LENGTH = 64

const NANOS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: NANOS_PER_SECOND,
  m: 60n * NANOS_PER_SECOND,
  h: 3_600n * NANOS_PER_SECOND,
}

const BARE_SECONDS = /^[0-9]+$/
const WHOLE_DAYS = /^([0-9]+)d$/
/** One Go duration component: digits, an optional fraction, then a unit (any run of non-digits, non-dots). */
const GO_COMPONENT = /([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/y

/**
 * Parses a Vault duration into whole seconds.
 * @throws DurationSyntaxError when Vault would reject the text, or when it is zero, negative, signed,
 *   not a whole number of seconds, or too large.
 * @example parseVaultDurationSeconds('1h30m') // 5400
 * @example parseVaultDurationSeconds('3600') // 3600 (bare integers are seconds, as in Vault)
 */
export function parseVaultDurationSeconds(text: string): number {
  if (text.length === 0) throw new DurationSyntaxError(text, 'empty')
  if (text.length > MAX_TEXT_LENGTH) throw new DurationSyntaxError(text.slice(0, 16), 'too long')
  if (text.trim() !== text) throw new DurationSyntaxError(text, 'surrounding whitespace is not allowed')
  if (text.startsWith('-')) throw new DurationSyntaxError(text, 'must be positive')
  if (text.startsWith('+')) throw new DurationSyntaxError(text, 'a sign is not allowed')

  let nanos: bigint
  if (BARE_SECONDS.test(text)) {
    nanos = BigInt(text) * NANOS_PER_SECOND
  } else {
    const days = WHOLE_DAYS.exec(text)
    nanos =
      days?.[1] !== undefined ? BigInt(days[1]) * 86_400n * NANOS_PER_SECOND : parseGoDurationNanos(text)
  }

  if (nanos === 0n) throw new DurationSyntaxError(text, 'must be greater than zero')
  if (nanos > MAX_NANOS) throw new DurationSyntaxError(text, 'too large')
  if (nanos < NANOS_PER_SECOND) throw new DurationSyntaxError(text, 'shorter than one second')
  if (nanos % NANOS_PER_SECOND !== 0n) throw new DurationSyntaxError(text, 'not a whole number of seconds')
  return Number(nanos / NANOS_PER_SECOND)
}

/** Go's `time.ParseDuration` without the sign (handled by the caller), in exact nanoseconds. */
function parseGoDurationNanos(text: string): bigint {
  if (text === '0') return 0n
  let total = 0n
  let position = 0
  while (position < text.length) {
    GO_COMPONENT.lastIndex = position
    const match = GO_COMPONENT.exec(text)
    const [whole, integerDigits = '', fractionDigits, unit = ''] = match ?? []
    if (whole === undefined || whole.length === 0) throw new DurationSyntaxError(text, 'not a duration')
    if (integerDigits === '' && (fractionDigits ?? '') === '') {
      throw new DurationSyntaxError(text, 'expected a number before each unit')
    }
    if (unit === '') throw new DurationSyntaxError(text, 'missing unit (use s, m or h, e.g. "90s")')
    const unitNanos = NANOS_PER_UNIT[unit]
    if (unitNanos === undefined) {
      throw new DurationSyntaxError(
        text,
        `unknown unit ${JSON.stringify(unit)} (Vault knows ns, us, ms, s, m, h)`,
      )
    }
    const integerNanos = BigInt(integerDigits === '' ? '0' : integerDigits) * unitNanos
    const fractionNanos =
      fractionDigits === undefined || fractionDigits === ''
        ? 0n
        : (BigInt(fractionDigits) * unitNanos) / 10n ** BigInt(fractionDigits.length)
    total += integerNanos + fractionNanos
    if (total > MAX_NANOS) throw new DurationSyntaxError(text, 'too large')
    position += whole.length
  }
  return total
}

/**
 * The form we send to Vault: whole seconds with an explicit unit, so no reader can take it for
 * milliseconds or a bare number (`3600` → `"3600s"`).
 */
export function formatVaultDuration(seconds: number): string {
  assertPositiveWholeSeconds(seconds)
  return `${seconds}s`
}

/**
 * The form for people (messages, audit, docs), in Vault's warning style with zero units dropped:
 * `86400` → `"24h"`, `5400` → `"1h30m"`, `90` → `"1m30s"`.
 */
export function describeDuration(seconds: number): string {
  assertPositiveWholeSeconds(seconds)
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  const rest = seconds % 60
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${rest > 0 ? `${rest}s` : ''}`
}

function assertPositiveWholeSeconds(seconds: number): void {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new RangeError(`a duration must be a positive whole number of seconds, got ${seconds}`)
  }
}
