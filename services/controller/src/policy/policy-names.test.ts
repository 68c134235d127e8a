import { describe, expect, it } from 'vitest'
import { isAcceptablePolicyName, normalisePolicyNames, readPoliciesAnnotation } from './policy-names.ts'

describe('normalisePolicyNames (Vault sanitising)', () => {
  it.each([
    [['web'], ['web']],
    [
      [' Web ', 'DB', 'web', '', '  '],
      ['db', 'web'],
    ],
    [
      ['b', 'a', 'c', 'a'],
      ['a', 'b', 'c'],
    ],
    [[], []],
  ])('%j → %j', (names, expected) => {
    expect(normalisePolicyNames(names)).toEqual(expected)
  })
})

describe('isAcceptablePolicyName', () => {
  it.each(['web', 'db-read', 'team_a', 'team/app', 'v1.2', 'a', '_x', '0'])('accepts %j', (name) => {
    expect(isAcceptablePolicyName(name)).toBe(true)
  })
  it.each(['', 'Web', 'a b', 'a*', 'a"b', '-web', 'web-', 'web/', '.web', 'é', 'a,b', 'x'.repeat(129)])(
    'refuses %j',
    (name) => {
      expect(isAcceptablePolicyName(name)).toBe(false)
    },
  )
})

describe('readPoliciesAnnotation', () => {
  it.each([
    ['web', ['web']],
    ['default,microservice', ['default', 'microservice']],
    [' Web , db-read ,,web', ['db-read', 'web']],
    ['default', ['default']],
  ])('%j → %j', (value, policies) => {
    expect(readPoliciesAnnotation(value)).toEqual({ ok: true, policies })
  })

  it.each([
    [undefined, 'invalid', 'is missing'],
    ['', 'invalid', 'names no policy'],
    [' , ,', 'invalid', 'names no policy'],
    ['root', 'root', 'policy "root" is never granted'],
    [' ROOT ', 'root', 'policy "root" is never granted'],
    ['Root', 'root', 'policy "root" is never granted'],
    ['default,root', 'root', 'policy "root" is never granted'],
    ['web, rOoT ,bad name!', 'root', 'policy "root" is never granted'], // root wins over other problems
    ['response-wrapping', 'not-assignable', 'Vault reserves it for wrapping tokens'],
    ['web,Response-Wrapping', 'not-assignable', 'Vault reserves it for wrapping tokens'],
    ['web,bad name', 'invalid', 'invalid policy name "bad name"'],
    ['a*,b"c', 'invalid', 'invalid policy names "a*", "b\\"c"'],
    ['r\u00f6ot', 'invalid', 'invalid policy name'],
    [Array.from({ length: 65 }, (_, i) => `p${i}`).join(','), 'invalid', 'names 65 policies; at most 64'],
  ])('%j → %s', (value, problem, message) => {
    const reading = readPoliciesAnnotation(value)
    expect(reading.ok).toBe(false)
    if (reading.ok) return
    expect(reading.problem).toBe(problem)
    expect(reading.message).toContain(message)
  })

  it('keeps the message short when many names are bad', () => {
    const reading = readPoliciesAnnotation(Array.from({ length: 20 }, (_, i) => `bad ${i}`).join(','))
    expect(reading).toMatchObject({ ok: false, problem: 'invalid' })
    if (reading.ok) return
    expect(reading.message).toContain('and 15 more')
    expect(reading.message.length).toBeLessThan(300)
  })
})
