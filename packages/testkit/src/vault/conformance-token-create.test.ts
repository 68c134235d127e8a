import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type ConformanceVault,
  startConformanceVault,
  type WireResponse,
  wrapped,
} from './conformance-fixtures.ts'

let v: ConformanceVault
beforeEach(async () => {
  v = await startConformanceVault()
})
afterEach(async () => {
  await v.close()
})

function expectJsonHeaders(response: WireResponse): void {
  expect(response.headers.get('content-type')).toBe('application/json')
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(response.text.endsWith('}\n')).toBe(true)
}

const CASE_1_BODY = { policies: ['p1'], ttl: '1h', meta: { k: 'v' }, display_name: 'ctl' }

describe('spec §13.2 token creation', () => {
  it('1: create-orphan answers the full envelope and auth block', async () => {
    const response = await v.call('POST', 'auth/token/create-orphan', { token: v.R, body: CASE_1_BODY })
    expect(response.status).toBe(200)
    expectJsonHeaders(response)
    const body = response.json
    expect(Object.keys(body)).toEqual([
      'request_id',
      'lease_id',
      'renewable',
      'lease_duration',
      'data',
      'wrap_info',
      'warnings',
      'auth',
      'mount_type',
    ])
    expect(body.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(body).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      mount_type: 'token',
    })
    const auth = body.auth
    expect(auth.client_token).toMatch(/^hvs\.[A-Za-z0-9_-]{80,}$/)
    expect(auth.accessor).toMatch(/^[A-Za-z0-9]{24}$/)
    expect(auth).toEqual({
      client_token: auth.client_token,
      accessor: auth.accessor,
      policies: ['default', 'p1'],
      token_policies: ['default', 'p1'],
      metadata: { k: 'v' },
      lease_duration: 3600,
      renewable: true,
      entity_id: '',
      token_type: 'service',
      orphan: true,
      mfa_requirement: null,
      num_uses: 0,
    })
  })

  it('2: no_default_policy strips default', async () => {
    const response = await v.call('POST', 'auth/token/create-orphan', {
      token: v.R,
      body: { ...CASE_1_BODY, no_default_policy: true },
    })
    expect(response.json.auth.policies).toEqual(['p1'])
  })

  it('3: a policy that does not exist gives a warning', async () => {
    const response = await v.call('POST', 'auth/token/create-orphan', {
      token: v.R,
      body: { policies: ['nope'] },
    })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual(['Policy "nope" does not exist'])
    expect(response.json.auth.policies).toEqual(['default', 'nope'])
  })

  it.each([3600, '3600', '60m'])('4: ttl %j is 3600 seconds', async (ttl) => {
    const response = await v.call('POST', 'auth/token/create-orphan', {
      token: v.R,
      body: { policies: ['p1'], ttl },
    })
    expect(response.json.auth.lease_duration).toBe(3600)
  })

  it('5: a period needs sudo', async () => {
    const response = await v.call('POST', 'auth/token/create-orphan', {
      token: v.B,
      body: { policies: ['p1'], period: '30m' },
    })
    expect(response.status).toBe(400)
    expectJsonHeaders(response)
    expect(response.json).toEqual({ errors: ['root or sudo privileges required to create periodic token'] })
  })

  it('6: without sudo, child policies must be a subset of the parent', async () => {
    const denied = await v.call('POST', 'auth/token/create-orphan', {
      token: v.B,
      body: { policies: ['p3'] },
    })
    expect(denied.status).toBe(400)
    expect(denied.json).toEqual({ errors: ['child policies must be subset of parent'] })
    const allowed = await v.call('POST', 'auth/token/create-orphan', {
      token: v.B,
      body: { policies: ['p1'] },
    })
    expect(allowed.status).toBe(200)
    expect(allowed.json.auth.policies).toEqual(['default', 'p1'])
    const noDefault = await v.call('POST', 'auth/token/create-orphan', {
      token: v.B,
      body: { policies: ['p1'], no_default_policy: true },
    })
    expect(noDefault.json.auth.policies).toEqual(['p1'])
  })

  it('7: entity_alias needs a role', async () => {
    const response = await v.call('POST', 'auth/token/create-orphan', {
      token: v.R,
      body: { policies: ['p1'], entity_alias: 'x' },
    })
    expect(response.status).toBe(400)
    expect(response.json).toEqual({
      errors: ["'entity_alias' is only allowed in combination with token role"],
    })
  })

  it('8: validation errors', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ttl: 'abc' }, 'time: invalid duration "abc"'],
      [{ num_uses: -1 }, 'number of uses cannot be negative'],
      [{ policies: ['response-wrapping'] }, 'cannot assign policy "response-wrapping"'],
    ]
    for (const [body, message] of cases) {
      const response = await v.call('POST', 'auth/token/create-orphan', { token: v.R, body })
      expect(response.status).toBe(400)
      expect(response.json).toEqual({ errors: [message] })
    }
  })

  it('9: a token without a grant on the path gets the wrapped permission denied', async () => {
    const d = await v.call('POST', 'auth/token/create-orphan', { token: v.R, body: { policies: ['p1'] } })
    const response = await v.call('POST', 'auth/token/create-orphan', {
      token: d.json.auth.client_token,
      body: { policies: ['p1'] },
    })
    expect(response.status).toBe(403)
    expectJsonHeaders(response)
    expect(response.json).toEqual({ errors: [wrapped('permission denied')] })
  })

  it('10: no token, or a token that does not exist', async () => {
    const none = await v.call('POST', 'auth/token/create-orphan', { body: {} })
    expect(none.status).toBe(403)
    expect(none.json).toEqual({ errors: ['permission denied'] })
    const bogus = await v.call('POST', 'auth/token/create-orphan', { token: 'not-a-real-token', body: {} })
    expect(bogus.status).toBe(403)
    expect(bogus.json.errors).toHaveLength(1)
    expect(bogus.json.errors[0]).toContain('permission denied')
    expect(bogus.json.errors[0]).toContain('invalid token')
  })
})
