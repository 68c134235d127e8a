/**
 * @module
 * How Vault writes JSON and time on the wire. Go's encoding/json sorts map keys (every
 * `data` object is a Go map) and escapes `<`, `>`, `&`, U+2028 and U+2029; structs keep their
 * declared field order. Times are RFC 3339 with Go's trimmed fractional seconds.
 */

const HTML_UNSAFE = /[<>&\u2028\u2029]/g

function escapeForGo(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** `JSON.stringify` with Go's escaping of HTML-sensitive characters. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(HTML_UNSAFE, escapeForGo)
}

/** A deep copy whose object keys are sorted, like a Go map marshalled by encoding/json. */
export function sortedKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeysDeep)
  if (value === null || typeof value !== 'object') return value
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const inner = (value as Record<string, unknown>)[key]
    if (inner !== undefined) sorted[key] = sortedKeysDeep(inner)
  }
  return sorted
}

/** Go's `time.RFC3339Nano` in UTC: fractional seconds without trailing zeros. */
export function rfc3339Nano(epochMs: number): string {
  const iso = new Date(epochMs).toISOString()
  return iso.replace(/\.(\d*?)0*Z$/, (_match, digits: string) => (digits ? `.${digits}Z` : 'Z'))
}

/** Whole seconds since the epoch. */
export function unixSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000)
}
