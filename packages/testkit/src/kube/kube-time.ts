/**
 * @module
 * The two timestamp types of the Kubernetes API (spec §1.4): `metav1.Time`, RFC 3339 with second
 * precision on output (fractions accepted and dropped on input), and `MicroTime`, which must be
 * sent with exactly six fractional digits. Parse failures carry Go's `time.Parse` wording so the
 * 400 answers read like the real server's.
 */

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
const rfc3339Micro = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/

/** `2026-11-10T09:00:00Z` for a millisecond epoch. */
export function formatTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** `2026-11-10T09:00:00.123000Z` (milliseconds padded to micro) for a millisecond epoch. */
export function formatMicroTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

export class TimeParseError extends Error {}

/** Epoch ms of an RFC 3339 timestamp (fraction dropped, as metav1.Time keeps seconds). */
export function parseTime(value: string): number {
  const match = rfc3339.exec(value)
  const epochMs = match ? Date.parse(value.replace(/\.\d+/, '')) : Number.NaN
  if (!Number.isFinite(epochMs)) {
    throw new TimeParseError(
      `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`,
    )
  }
  return epochMs
}

/** Normalises a metav1.Time input (`null` stays null). */
export function normalizeTime(value: unknown): string | null {
  if (value === null) return null
  if (typeof value !== 'string') throw new TimeParseError('Time.UnmarshalJSON: expected a string')
  return formatTime(parseTime(value))
}

/**
 * Normalises a MicroTime input: exactly six fractional digits or a Go parse error. The output keeps
 * the microseconds as sent, in UTC.
 */
export function normalizeMicroTime(value: unknown): string | null {
  if (value === null) return null
  if (typeof value !== 'string' || !rfc3339Micro.test(value)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    const rest = typeof value === 'string' ? value.slice(19) : text
    throw new TimeParseError(
      `parsing time ${JSON.stringify(text)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse ${JSON.stringify(rest)} as ".000000"`,
    )
  }
  const micros = value.slice(20, 26)
  const epochMs = Date.parse(value)
  if (!Number.isFinite(epochMs))
    throw new TimeParseError(`parsing time ${JSON.stringify(value)}: out of range`)
  const utc = new Date(Math.floor(epochMs / 1000) * 1000).toISOString().slice(0, 19)
  return `${utc}.${micros}Z`
}
