import { describe, expect, it } from 'vitest'
import {
  compareGoStrings,
  goQuote,
  goQuotedList,
  lowercaseUniqueSorted,
  normalizePolicyList,
  PolicyListError,
  policyGlobMatch,
  sanitizePolicies,
} from './policy-names.ts'

describe('sanitizePolicies', () => {
  it.each([
    [
      [' Web ', 'db', 'DB', '', '  ', 'default'],
      ['db', 'default', 'web'],
    ],
    [
      ['p2', 'broker', 'p1', 'default'],
      ['broker', 'default', 'p1', 'p2'],
    ],
    [['web', 'ROOT', 'db'], ['root']],
    [[], []],
    [['', ' '], []],
  ])('%j → %j', (input, expected) => {
    expect(sanitizePolicies(input)).toEqual(expected)
  })

  it('never adds default', () => {
    expect(sanitizePolicies(['web'])).toEqual(['web'])
  })

  it('lowercaseUniqueSorted keeps root among the others', () => {
    expect(lowercaseUniqueSorted(['*-Admin', 'root', ' x ', '', 'x'])).toEqual(['*-admin', 'root', 'x'])
  })
})

describe('normalizePolicyList', () => {
  it.each([
    [
      ['web', 'db'],
      ['web', 'db'],
    ],
    ['web', ['web']],
    ['web, db,,x', ['web', 'db', '', 'x']],
    ['', []],
    [null, []],
    [undefined, []],
    [3, ['3']],
    [true, ['1']],
    [
      [' a ', 7, false, null],
      ['a', '7', '0', ''],
    ],
    [['a,b'], ['a,b']],
  ])('%j → %j', (input, expected) => {
    expect(normalizePolicyList(input)).toEqual(expected)
  })

  it('keeps commas when asked (token create `policies`)', () => {
    expect(normalizePolicyList('a, b', { splitCommas: false })).toEqual(['a, b'])
  })

  it('rejects an object like Vault', () => {
    expect(() => normalizePolicyList({ a: 'b' }, { field: 'allowed_policies' })).toThrow(
      new PolicyListError(
        `error converting input map[a:b] for field "allowed_policies": '': source data must be an array or slice, got map`,
      ),
    )
  })

  it('rejects nested values like Vault', () => {
    expect(() => normalizePolicyList(['ok', ['x'], { k: 1 }])).toThrow(
      new PolicyListError(
        'error converting input [ok [x] map[k:1]] for field "policies": 2 error(s) decoding:\n\n' +
          "* '[1]' expected type 'string', got unconvertible type '[]interface {}', value: '[x]'\n" +
          "* '[2]' expected type 'string', got unconvertible type 'map[string]interface {}', value: 'map[k:1]'",
      ),
    )
  })
})

describe('policyGlobMatch', () => {
  it.each([
    ['team-*', 'team-blue', true],
    ['team-*', 'team-', true],
    ['team-*', 'xteam-blue', false],
    ['*-admin', 'team-admin', true],
    ['*-admin', 'team-admins', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['a*', 'a', true],
    ['**', 'x', true],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['web', 'web', true],
    ['web', 'Web', false],
    ['w?b', 'web', false],
    ['w[e]b', 'web', false],
  ])('%j matches %j: %s', (pattern, name, expected) => {
    expect(policyGlobMatch(pattern, name)).toBe(expected)
  })

  it('stays linear on hostile input', () => {
    const name = 'a'.repeat(200_000)
    expect(policyGlobMatch(`${'*a'.repeat(5_000)}b`, name)).toBe(false)
    expect(policyGlobMatch(`${'*aa'.repeat(5_000)}*`, name)).toBe(true)
    expect(policyGlobMatch('*ab*ab*ab*ab*ab', name)).toBe(false)
  })
})

describe('goQuotedList and goQuote', () => {
  it.each([
    [['db', 'default', 'web'], '["db" "default" "web"]'],
    [[], '[]'],
    [['team-*'], '["team-*"]'],
  ])('%j → %s', (names, text) => {
    expect(goQuotedList(names)).toBe(text)
  })

  it.each([
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\there\n', '"tab\\there\\n"'],
    ['\x01\x7f', '"\\x01\\x7f"'],
    ['\u00e9\u4e16', '"\u00e9\u4e16"'],
    ['\u200b', '"\\u200b"'],
  ])('quotes %j as Go does', (text, quoted) => {
    expect(goQuote(text)).toBe(quoted)
  })

  it('renders the role subset error of conformance case 36', () => {
    const message =
      `token policies (${goQuotedList(['default', 'p3'])}) must be subset of the role's allowed policies ` +
      `(${goQuotedList(['db', 'default', 'web'])}) or glob policies (${goQuotedList(['team-*'])})`
    expect(JSON.stringify({ errors: [message] })).toBe(
      String.raw`{"errors":["token policies ([\"default\" \"p3\"]) must be subset of the role's allowed policies ([\"db\" \"default\" \"web\"]) or glob policies ([\"team-*\"])"]}`,
    )
  })
})

describe('compareGoStrings', () => {
  it('sorts by bytes like Go', () => {
    expect(['b', 'B', 'a', 'ab', '', '\uffff', '\u{1f600}'].sort(compareGoStrings)).toEqual([
      '',
      'B',
      'a',
      'ab',
      'b',
      '\uffff',
      '\u{1f600}',
    ])
  })
})
