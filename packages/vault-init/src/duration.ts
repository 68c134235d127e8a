/**
 * @module
 * Durations as Vault writes them (`300`, `90s`, `5m`, `1h30m`, `2d`), parsed strictly: a bare
 * integer is whole seconds (Vault's reading, not milliseconds), every other number needs a unit,
 * and zero, negative or fractional-without-unit values are refused rather than guessed at.
 */

const UNIT_MS = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/y
const WHOLE_SECONDS = /^\d+$/

/** Milliseconds of a positive Vault duration, or an error message saying what is wrong. */
export function parseDurationMs(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const input = text.trim()
  if (input === '') return { ok: false, error: 'empty duration' }
  let ms = 0
  if (WHOLE_SECONDS.test(input)) {
    ms = Number(input) * 1000
  } else {
    PART.lastIndex = 0
    while (PART.lastIndex < input.length) {
      const start = PART.lastIndex
      const match = PART.exec(input)
      if (match === null || match.index !== start) {
        return { ok: false, error: 'not a duration (use whole seconds or units: 500ms, 90s, 5m, 1h30m, 2d)' }
      }
      ms += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
    }
  }
  if (!Number.isFinite(ms) || ms < 1) return { ok: false, error: 'must be at least 1ms' }
  return { ok: true, ms: Math.round(ms) }
}
