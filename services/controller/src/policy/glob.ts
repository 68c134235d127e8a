/**
 * @module
 * The allow-list's one wildcard: `*` matches any run of characters (including none), anywhere, any
 * number of times; every other character matches only itself. The same semantics as Vault's
 * `allowed_policies_glob`, so a rule and the Vault role that mirrors it agree.
 *
 * Globs are compiled once, when the allow-list is loaded, into plain string comparisons
 * (equality, prefix, suffix, then ordered `indexOf` for the middle pieces). No regular expression is
 * built from the file, so names containing `.`, `+`, `(` or `\` are literal by construction and a
 * pathological glob cannot cause catastrophic backtracking: a match is linear in the name's length
 * for each piece.
 */

/** A compiled glob: `true` when the whole name matches. */
export type GlobMatcher = (name: string) => boolean

/** Compiles one glob. `*` is the only special character. */
export function compileGlob(glob: string): GlobMatcher {
  const pieces = glob.split('*')
  const [first = '', ...others] = pieces
  if (others.length === 0) return (name) => name === glob
  const last = others.pop() ?? ''
  const middle = others.filter((piece) => piece !== '')
  const minimumLength = first.length + last.length + middle.reduce((sum, piece) => sum + piece.length, 0)
  if (middle.length === 0) {
    if (last === '') return first === '' ? () => true : (name) => name.startsWith(first)
    return (name) => name.length >= minimumLength && name.startsWith(first) && name.endsWith(last)
  }
  return (name) => {
    if (name.length < minimumLength || !name.startsWith(first) || !name.endsWith(last)) return false
    // Leftmost placement of each middle piece is optimal when the only wildcard is `*`.
    let position = first.length
    const end = name.length - last.length
    for (const piece of middle) {
      const found = name.indexOf(piece, position)
      if (found === -1 || found + piece.length > end) return false
      position = found + piece.length
    }
    return true
  }
}

/** Compiles a list of globs into one matcher: `true` when any of them matches. */
export function compileGlobList(globs: readonly string[]): GlobMatcher {
  const exact = new Set(globs.filter((glob) => !glob.includes('*')))
  const wildcards = globs.filter((glob) => glob.includes('*')).map(compileGlob)
  if (wildcards.length === 0) return (name) => exact.has(name)
  return (name) => exact.has(name) || wildcards.some((matches) => matches(name))
}

/**
 * A conservative "every name `inner` matches, `outer` matches too" test, used to find rules that an
 * earlier rule makes unreachable. It answers `true` only when that is certain: `outer` is `*`,
 * identical to `inner`, or a prefix glob `p*` while everything `inner` matches starts with `p`.
 */
export function globSurelyCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true
  const star = outer.indexOf('*')
  if (star !== outer.length - 1) return false // literal (and different), or a star before the end
  const prefix = outer.slice(0, star)
  const innerStar = inner.indexOf('*')
  const innerFixedPrefix = innerStar === -1 ? inner : inner.slice(0, innerStar)
  return innerFixedPrefix.startsWith(prefix)
}
