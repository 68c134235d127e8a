/**
 * @module
 * Vault's lenient reading of JSON request fields (spec §1.1). Two decoders exist in Vault and
 * their error texts differ, so both are modelled:
 * - mapstructure's weak decoding, used by token creation (`Error decoding request: …`);
 * - the plugin framework's typed fields, used by roles and auth methods
 *   (`error converting input … for field "…"`).
 * Numbers become strings, numeric strings become integers, `"true"` becomes a boolean, a single
 * value becomes a one-element list.
 */

/** A field that cannot be converted; `message` is the decoder's text for that one field. */
export class FieldDecodeError extends Error {}

/** Go's `%v` rendering of a decoded JSON value, for error texts. */
export function goValueText(value: unknown): string {
  if (value === null || value === undefined) return '<nil>'
  if (Array.isArray(value)) return `[${value.map(goValueText).join(' ')}]`
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${key}:${goValueText((value as Record<string, unknown>)[key])}`)
    return `map[${entries.join(' ')}]`
  }
  return String(value)
}

function goTypeName(value: unknown): string {
  if (Array.isArray(value)) return '[]interface {}'
  if (value === null) return 'nil'
  switch (typeof value) {
    case 'object':
      return 'map[string]interface {}'
    case 'number':
      return 'float64'
    default:
      return typeof value
  }
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  return undefined
}

function numberText(value: number): string {
  return Number.isInteger(value) ? value.toFixed(0) : String(value)
}

// ---- mapstructure.WeakDecode (token creation) ----

export function weakString(name: string, value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'number') return numberText(value)
  throw new FieldDecodeError(
    `'${name}' expected type 'string', got unconvertible type '${goTypeName(value)}', value: '${goValueText(value)}'`,
  )
}

export function weakBool(name: string, value: unknown): boolean {
  if (value === null || value === undefined) return false
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value !== 0
  if (typeof value === 'string') {
    if (value === '') return false
    const parsed = parseGoBool(value)
    if (parsed !== undefined) return parsed
    throw new FieldDecodeError(
      `cannot parse '${name}' as bool: strconv.ParseBool: parsing "${value}": invalid syntax`,
    )
  }
  throw new FieldDecodeError(
    `'${name}' expected type 'bool', got unconvertible type '${goTypeName(value)}', value: '${goValueText(value)}'`,
  )
}

export function weakInt(name: string, value: unknown): number {
  if (value === null || value === undefined) return 0
  if (typeof value === 'number') return Math.trunc(value)
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'string') {
    if (value === '') return 0
    if (/^[+-]?\d+$/.test(value)) return Number.parseInt(value, 10)
    throw new FieldDecodeError(
      `cannot parse '${name}' as int: strconv.ParseInt: parsing "${value}": invalid syntax`,
    )
  }
  throw new FieldDecodeError(
    `'${name}' expected type 'int', got unconvertible type '${goTypeName(value)}', value: '${goValueText(value)}'`,
  )
}

export function weakStringList(name: string, value: unknown): string[] {
  if (value === null || value === undefined) return []
  if (Array.isArray(value)) return value.map((item, index) => weakString(`${name}[${index}]`, item))
  return [weakString(name, value)]
}

export function weakStringMap(name: string, value: unknown): Record<string, string> | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new FieldDecodeError(
      `'${name}' expected a map, got '${Array.isArray(value) ? 'slice' : typeof value}'`,
    )
  }
  const result: Record<string, string> = {}
  for (const [key, inner] of Object.entries(value)) result[key] = weakString(`${name}[${key}]`, inner)
  return result
}

/** mapstructure's aggregate error text for the given per-field messages. */
export function mapstructureErrorText(messages: readonly string[]): string {
  return `${messages.length} error(s) decoding:\n\n${messages.map((message) => `* ${message}`).join('\n')}`
}

// ---- framework field types (roles, auth methods) ----

function conversionError(name: string, value: unknown, reason: string): FieldDecodeError {
  return new FieldDecodeError(`error converting input ${goValueText(value)} for field "${name}": ${reason}`)
}

export function fieldString(name: string, value: unknown): string {
  try {
    return weakString(name, value)
  } catch (error) {
    throw conversionError(name, value, (error as Error).message)
  }
}

export function fieldBool(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const parsed = parseGoBool(value)
    if (parsed !== undefined) return parsed
    throw conversionError(name, value, `strconv.ParseBool: parsing "${value}": invalid syntax`)
  }
  if (typeof value === 'number') return value !== 0
  if (value === null || value === undefined) return false
  throw conversionError(name, value, `'' expected type 'bool', got unconvertible type '${goTypeName(value)}'`)
}

export function fieldInt(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) return Number.parseInt(value.trim(), 10)
  if (value === null || value === undefined) return 0
  throw conversionError(name, value, 'could not parse value as an integer')
}

/** `TypeCommaStringSlice`: a list, or a comma-separated string; entries trimmed, empties dropped. */
export function fieldCommaList(name: string, value: unknown): string[] {
  if (value === null || value === undefined) return []
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value]
  return items.map((item) => fieldString(name, item).trim()).filter((item) => item !== '')
}

/** `TypeStringSlice`: a list, or a single value as a one-element list. */
export function fieldStringList(name: string, value: unknown): string[] {
  if (value === null || value === undefined) return []
  const items = Array.isArray(value) ? value : [value]
  return items.map((item) => fieldString(name, item))
}
