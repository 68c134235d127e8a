import { describe, expect, it } from 'vitest'
import { parseTokenRequest, parseTokenResponse, TOKEN_PATH, TokenRequest } from './token-request.ts'

const certSha256 = 'a'.repeat(64)
const valid = { namespace: 'payments', name: 'web-7d9f5c-x2x4q', callback: { port: 9443, certSha256 } }

describe('parseTokenRequest', () => {
  it('accepts a valid body', () => {
    expect(TOKEN_PATH).toBe('/v1/token')
    expect(parseTokenRequest(valid)).toEqual({ ok: true, value: valid })
    expect(parseTokenRequest({ ...valid, name: 'a'.repeat(253), namespace: 'n'.repeat(63) }).ok).toBe(true)
    expect(parseTokenRequest({ ...valid, callback: { port: 1, certSha256 } }).ok).toBe(true)
    expect(parseTokenRequest({ ...valid, callback: { port: 65_535, certSha256 } }).ok).toBe(true)
  })

  it.each([
    ['not an object', 'namespace=a', '(root): must be object'],
    ['an array', [valid], '(root): must be object'],
    [
      'missing namespace',
      { name: 'a', callback: valid.callback },
      '(root): must have required properties namespace',
    ],
    ['missing callback', { namespace: 'a', name: 'b' }, '(root): must have required properties callback'],
    ['extra field', { ...valid, policies: ['root'] }, 'policies: unknown property'],
    [
      'extra callback field',
      { ...valid, callback: { ...valid.callback, host: 'x' } },
      'callback.host: unknown property',
    ],
    ['port 0', { ...valid, callback: { port: 0, certSha256 } }, 'callback.port: must be >= 1'],
    ['port 65536', { ...valid, callback: { port: 65_536, certSha256 } }, 'callback.port: must be <= 65535'],
    [
      'fractional port',
      { ...valid, callback: { port: 9443.5, certSha256 } },
      'callback.port: must be integer',
    ],
    ['string port', { ...valid, callback: { port: '9443', certSha256 } }, 'callback.port: must be integer'],
    [
      'short hash',
      { ...valid, callback: { port: 1, certSha256: 'ab' } },
      'callback.certSha256: must match pattern',
    ],
    [
      'uppercase hash',
      { ...valid, callback: { port: 1, certSha256: 'A'.repeat(64) } },
      'callback.certSha256:',
    ],
    ['colon hash', { ...valid, callback: { port: 1, certSha256: 'ab:'.repeat(32) } }, 'callback.certSha256:'],
    ['oversize namespace', { ...valid, namespace: 'n'.repeat(64) }, 'namespace: must not have more than 63'],
    ['oversize name', { ...valid, name: 'a'.repeat(254) }, 'name: must not have more than 253'],
    ['uppercase name', { ...valid, name: 'Web' }, 'name: must match pattern'],
    ['dotted namespace', { ...valid, namespace: 'a.b' }, 'namespace: must match pattern'],
    ['numeric name', { ...valid, name: 42 }, 'name: must be string'],
  ])('refuses %s', (_, body, expected) => {
    const result = parseTokenRequest(body)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors.join('\n')).toContain(expected)
  })

  it('is strict JSON Schema Fastify can use as is', () => {
    const schema = JSON.parse(JSON.stringify(TokenRequest))
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['namespace', 'name', 'callback'],
      properties: { callback: { additionalProperties: false, required: ['port', 'certSha256'] } },
    })
  })
})

describe('parseTokenResponse', () => {
  const delivered = {
    status: 'delivered',
    requestId: 'req-1',
    wrappingAccessor: 'Xq1b2c3d4e5f6g7h8i9j0kLm',
    tokenAccessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm',
    policies: ['default', 'web'],
    ttlSeconds: 86_400,
  }
  const wrapped = {
    status: 'wrapped',
    requestId: 'req-1',
    wrapInfo: {
      token: 'hvs.CAESIAbcdefghijklmnopqrstuvwxyz',
      accessor: 'Xq1b2c3d4e5f6g7h8i9j0kLm',
      ttlSeconds: 60,
      creationTime: '2024-05-01T10:00:00Z',
      creationPath: 'auth/token/create/pod-tokens',
      wrappedAccessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm',
    },
    policies: ['web'],
    ttlSeconds: 3600,
  }

  it('accepts both delivery modes', () => {
    expect(parseTokenResponse(delivered)).toEqual({ ok: true, value: delivered })
    expect(parseTokenResponse(wrapped)).toEqual({ ok: true, value: wrapped })
  })

  it('refuses a delivered answer that carries a token', () => {
    const result = parseTokenResponse({ ...delivered, tokenAccessor: 'hvs.CAESIAbc' })
    expect(result).toEqual({
      ok: false,
      errors: ['tokenAccessor: must match pattern "^(?!(hv[sbr]|[sbr])\\.)[A-Za-z0-9._-]+$"'],
    })
    expect(parseTokenResponse({ ...delivered, wrapInfo: wrapped.wrapInfo })).toEqual({
      ok: false,
      errors: ['wrapInfo: unknown property'],
    })
  })

  it('refuses unknown statuses and bad variants with errors for the named variant', () => {
    expect(parseTokenResponse({ ...delivered, status: 'ok' })).toEqual({
      ok: false,
      errors: ["status: must be 'delivered' or 'wrapped'"],
    })
    expect(parseTokenResponse(null).ok).toBe(false)
    const result = parseTokenResponse({ ...wrapped, policies: [] })
    expect(result).toEqual({ ok: false, errors: ['policies: must not have fewer than 1 items'] })
  })
})
