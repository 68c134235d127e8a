import { describe, expect, it } from 'vitest'
import { compileGlob, compileGlobList, globSurelyCovers } from './glob.ts'

describe('compileGlob', () => {
  it.each([
    // glob, name, matches
    ['shop', 'shop', true],
    ['shop', 'shop-a', false],
    ['shop', 'Shop', false],
    ['shop-*', 'shop-a', true],
    ['shop-*', 'shop-', true],
    ['shop-*', 'shop', false],
    ['shop*', 'shop', true],
    ['*', '', true],
    ['*', 'anything', true],
    ['*-reader', 'db-reader', true],
    ['*-reader', 'db-reader-2', false],
    ['team-*-read', 'team-a-read', true],
    ['team-*-read', 'team--read', true],
    ['team-*-read', 'team-read', false], // prefix and suffix must not overlap
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['a*b*c', 'abcb', false],
    ['a*bc*bc', 'abcbc', true],
    ['a*bc*bc', 'abc', false],
    ['*b*', 'abc', true],
    ['*b*', 'ac', false],
    ['a**b', 'ab', true],
    // No regular-expression semantics leak in: every character but `*` is literal.
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['a+b', 'aab', false],
    ['a+b', 'a+b', true],
    ['(a)', '(a)', true],
    ['(a)', 'a', false],
    ['a|b', 'a', false],
    ['[ab]', 'a', false],
    ['a\\', 'a\\', true],
    ['^a$', 'a', false],
    ['x.*', 'x.anything', true],
    ['x.*', 'xyz', false],
  ])('%j vs %j → %s', (glob, name, expected) => {
    expect(compileGlob(glob)(name)).toBe(expected)
  })

  it('stays linear on a pathological glob', () => {
    const glob = `${'a*'.repeat(50)}b`
    const name = 'a'.repeat(10_000)
    expect(compileGlob(glob)(name)).toBe(false)
    expect(compileGlob(glob)(`${name}b`)).toBe(true)
  })
})

describe('compileGlobList', () => {
  it('matches when any glob matches', () => {
    const matches = compileGlobList(['shop', 'shop-*', 'x*y'])
    expect(['shop', 'shop-a', 'xy', 'x-y'].map(matches)).toEqual([true, true, true, true])
    expect(['sho', 'shopa', 'yx', ''].map(matches)).toEqual([false, false, false, false])
  })

  it('matches nothing when empty', () => {
    expect(compileGlobList([])('a')).toBe(false)
  })
})

describe('globSurelyCovers', () => {
  it.each([
    ['*', 'anything-*', true],
    ['shop', 'shop', true],
    ['shop*', 'shop-*', true],
    ['shop-*', 'shop-a', true],
    ['shop-*', 'shop', false],
    ['shop-*', 'shop*', false],
    ['shop-*', '*', false],
    ['a', 'b', false],
    ['*-x', 'a-x', false], // could be proved, but the test is conservative
  ])('%j covers %j → %s', (outer, inner, expected) => {
    expect(globSurelyCovers(outer, inner)).toBe(expected)
  })
})
