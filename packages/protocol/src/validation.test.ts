import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { compileParser } from './validation.ts'

const parse = compileParser(
  Type.Object(
    {
      name: Type.String({ maxLength: 5 }),
      nested: Type.Object({ port: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
)

describe('compileParser', () => {
  it('returns the value when it is valid', () => {
    const value = { name: 'ok', nested: { port: 1 } }
    expect(parse(value)).toEqual({ ok: true, value })
  })

  it('names paths and rules in dotted form', () => {
    const result = parse({ name: 'toolong', nested: { port: 0 } })
    expect(result).toEqual({
      ok: false,
      errors: ['name: must not have more than 5 characters', 'nested.port: must be >= 1'],
    })
  })

  it('reports the root, missing properties and one line per unknown property', () => {
    expect(parse(null)).toEqual({ ok: false, errors: ['(root): must be object'] })
    expect(parse({ extra: 1, nested: { port: 1, also: 2 }, name: 'a' })).toEqual({
      ok: false,
      errors: ['extra: unknown property', 'nested.also: unknown property'],
    })
    expect(parse({})).toMatchObject({
      ok: false,
      errors: ['(root): must have required properties name, nested'],
    })
  })

  it('never repeats the values it was given', () => {
    const secret = 'hvs.CAESIJ-secret-value'
    const longKey = 'A1b2C3d4E5f6G7h8I9j0K'
    const result = parse({ name: secret, nested: { port: secret, [longKey]: 1 }, [secret]: secret })
    expect(result).toEqual({
      ok: false,
      errors: [
        '<unnamed>: unknown property',
        'name: must not have more than 5 characters',
        'nested.<unnamed>: unknown property',
        'nested.port: must be integer',
      ],
    })
  })

  it('bounds the number of errors', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, index]))
    const result = parse({ ...many, name: 'a', nested: { port: 1 } })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.errors.length).toBeGreaterThan(1)
      expect(result.errors.length).toBeLessThanOrEqual(10)
      expect(result.errors[0]).toBe('k0: unknown property')
    }
  })
})
