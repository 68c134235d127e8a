/**
 * @module
 * Policy names as Vault handles them: sanitising lists (policyutil.SanitizePolicies),
 * reading the list-or-comma-string role fields (framework TypeCommaStringSlice), glob
 * matching of `allowed_policies_glob` (ryanuber/go-glob) and Go's `%q` rendering
 * used inside Vault's error messages. Vault's errors quote names the Go way, so
 * these helpers follow Go byte for byte rather than JavaScript's JSON quoting.
 */

/** A policy list field that Vault would refuse to decode (Vault answers 400 with the message). */
export class PolicyListError extends Error {}

/**
 * Trim, lowercase, drop empty names, dedupe, sort; a list containing `root` collapses to
 * `["root"]`. `default` is never added here.
 */
export function sanitizePolicies(names: readonly string[]): string[] {
  const result = new Set<string>()
  for (const raw of names) {
    const name = raw.trim().toLowerCase()
    if (name === '') continue
    if (name === 'root') return ['root']
    result.add(name)
  }
  return [...result].sort(compareGoStrings)
}

/** Trim, lowercase, drop empty, dedupe and sort (Vault's `strutil.RemoveDuplicates(list, true)`). */
export function lowercaseUniqueSorted(names: readonly string[]): string[] {
  const result = new Set<string>()
  for (const raw of names) {
    const name = raw.trim().toLowerCase()
    if (name !== '') result.add(name)
  }
  return [...result].sort(compareGoStrings)
}

export interface PolicyListOptions {
  /** Field name for error messages (default `policies`). */
  field?: string
  /**
   * true (default): a string is split on commas (role fields, TypeCommaStringSlice).
   * false: a string is one entry, commas kept (token create `policies`, TypeStringSlice).
   */
  splitCommas?: boolean
}

/**
 * A JSON array of names or a comma-separated string, as Vault's role fields accept them.
 * Returns the entries trimmed, in order, empty ones kept (callers sanitise or dedupe).
 * Numbers and booleans are weakly converted like Vault does (`3` → `"3"`, `true` → `"1"`);
 * `null` gives `[]`.
 * @throws PolicyListError for objects or nested arrays, with Vault's
 *   `error converting input <value> for field "<field>": ...` message.
 */
export function normalizePolicyList(value: unknown, options: PolicyListOptions = {}): string[] {
  const field = options.field ?? 'policies'
  const splitCommas = options.splitCommas ?? true
  const fail = (detail: string): PolicyListError =>
    new PolicyListError(`error converting input ${goValue(value)} for field ${goQuote(field)}: ${detail}`)
  if (value === undefined || value === null) return []
  if (typeof value === 'string') {
    if (value === '') return []
    return (splitCommas ? value.split(',') : [value]).map((entry) => entry.trim())
  }
  if (typeof value === 'number' || typeof value === 'boolean') return [weakString(value)]
  if (!Array.isArray(value)) throw fail("'': source data must be an array or slice, got map")
  const problems: string[] = []
  const entries = value.map((element: unknown, index) => {
    if (element === null || element === undefined) return ''
    if (typeof element === 'string') return element.trim()
    if (typeof element === 'number' || typeof element === 'boolean') return weakString(element)
    const goType = Array.isArray(element) ? '[]interface {}' : 'map[string]interface {}'
    problems.push(
      `'[${index}]' expected type 'string', got unconvertible type '${goType}', value: '${goValue(element)}'`,
    )
    return ''
  })
  if (problems.length > 0) {
    throw fail(`${problems.length} error(s) decoding:\n\n${problems.map((p) => `* ${p}`).join('\n')}`)
  }
  return entries
}

/** mapstructure's weak conversion of a JSON scalar to a string. */
function weakString(value: number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0'
  return String(value)
}

/**
 * Vault's glob match for policy names (`*` = any run of characters, anywhere, any number of
 * times; nothing else is special). Linear in the input: the pieces between stars are matched
 * leftmost-first, which is exact for this kind of pattern.
 */
export function policyGlobMatch(pattern: string, name: string): boolean {
  if (pattern === '') return name === ''
  if (pattern === '*') return true
  const parts = pattern.split('*')
  if (parts.length === 1) return name === pattern
  const last = parts.length - 1
  let rest = name
  for (let i = 0; i < last; i++) {
    const part = parts[i] ?? ''
    const index = rest.indexOf(part)
    if (i === 0 ? !pattern.startsWith('*') && index !== 0 : index < 0) return false
    rest = rest.slice(index + part.length)
  }
  return pattern.endsWith('*') || rest.endsWith(parts[last] ?? '')
}

/** Go's `fmt.Sprintf("%q", list)` for a `[]string`: `["db" "default" "web"]`, `[]` when empty. */
export function goQuotedList(names: readonly string[]): string {
  return `[${names.map(goQuote).join(' ')}]`
}

/** Go's `strconv.Quote`. */
export function goQuote(text: string): string {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    switch (char) {
      case '"':
        out += '\\"'
        continue
      case '\\':
        out += '\\\\'
        continue
      case '\x07':
        out += '\\a'
        continue
      case '\b':
        out += '\\b'
        continue
      case '\f':
        out += '\\f'
        continue
      case '\n':
        out += '\\n'
        continue
      case '\r':
        out += '\\r'
        continue
      case '\t':
        out += '\\t'
        continue
      case '\v':
        out += '\\v'
        continue
    }
    if (code >= 0x20 && code < 0x7f) out += char
    else if (code < 0x80) out += `\\x${hex(code, 2)}`
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd'
    else if (GO_PRINTABLE.test(char)) out += char
    else if (code < 0x10000) out += `\\u${hex(code, 4)}`
    else out += `\\U${hex(code, 8)}`
  }
  return `${out}"`
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols (ASCII space handled above). */
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0')
}

/** Go's `sort.Strings` order (bytewise UTF-8, i.e. by code point). */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      // Surrogates (astral code points) sort after U+E000..U+FFFF in code point order.
      const xs = x >= 0xd800 && x <= 0xdfff
      const ys = y >= 0xd800 && y <= 0xdfff
      if (xs !== ys) return xs ? 1 : -1
      return x - y
    }
  }
  return a.length - b.length
}

/** Go's `%v` of a decoded JSON value (enough for error messages). */
function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>'
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      compareGoStrings(a, b),
    )
    return `map[${entries.map(([key, item]) => `${key}:${goValue(item)}`).join(' ')}]`
  }
  return String(value)
}
