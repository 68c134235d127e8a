import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConformanceVault, startConformanceVault, wrapped } from './conformance-fixtures.ts'

let v: ConformanceVault
beforeEach(async () => {
  v = await startConformanceVault()
})
afterEach(async () => {
  await v.close()
})

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const ALWAYS_KEYS = [
  'accessor',
  'creation_time',
  'creation_ttl',
  'display_name',
  'entity_id',
  'expire_time',
  'explicit_max_ttl',
  'id',
  'issue_time',
  'meta',
  'num_uses',
  'orphan',
  'path',
  'policies',
  'renewable',
  'ttl',
  'type',
]

async function createOrphan(body: unknown, token = v.R): Promise<string> {
  const response = await v.call('POST', 'auth/token/create-orphan', { token, body })
  expect(response.status).toBe(200)
  return response.json.auth.client_token
}

const lookupSelf = (token: string) => v.call('GET', 'auth/token/lookup-self', { token })

describe('spec §13.4 lookup, renew, revoke', () => {
  it('23: lookup-self shows every always-present key', async () => {
    const T = await createOrphan({ policies: ['p1'], ttl: '1h' })
    const response = await lookupSelf(T)
    expect(response.status).toBe(200)
    const data = response.json.data
    expect(Object.keys(data)).toEqual(ALWAYS_KEYS)
    expect(data.id).toBe(T)
    expect(data.orphan).toBe(true)
    expect(data.ttl).toBeGreaterThan(0)
    expect(data.issue_time).toMatch(RFC3339)
    expect(data.expire_time).toMatch(RFC3339)
  })

  it('24: num_uses counts down, the lookup itself is a use', async () => {
    const token = await createOrphan({ policies: ['p1'], num_uses: 2 })
    const first = await lookupSelf(token)
    expect(first.status).toBe(200)
    expect(first.json.data.num_uses).toBe(1)
    const second = await lookupSelf(token)
    expect(second.status).toBe(200)
    expect(second.json.data.num_uses).toBe(-1)
    const third = await lookupSelf(token)
    expect(third.status).toBe(403)
    expect(third.json.errors[0]).toContain('permission denied')
  })

  it('25: renew-self with an increment', async () => {
    const T = await createOrphan({ policies: ['p1'], ttl: '1h' })
    const response = await v.call('POST', 'auth/token/renew-self', { token: T, body: { increment: '30m' } })
    expect(response.status).toBe(200)
    expect(response.json.auth).toMatchObject({ lease_duration: 1800, client_token: T, renewable: true })
    expect((await lookupSelf(T)).json.data).toHaveProperty('last_renewal_time')
  })

  it('26: a non-renewable token', async () => {
    const token = await createOrphan({ policies: ['p1'], renewable: false })
    const response = await v.call('POST', 'auth/token/renew-self', { token, body: {} })
    expect(response.status).toBe(400)
    expect(response.json).toEqual({ errors: ['lease is not renewable'] })
  })

  it('27: revoke-self', async () => {
    const T = await createOrphan({ policies: ['p1'], ttl: '1h' })
    const response = await v.call('POST', 'auth/token/revoke-self', { token: T })
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
    const after = await lookupSelf(T)
    expect(after.status).toBe(403)
    expect(after.json.errors[0]).toContain('invalid token')
  })

  async function parentAndChild() {
    const p = await v.call('POST', 'auth/token/create', { token: v.R, body: { policies: ['creator', 'p1'] } })
    const P = p.json.auth.client_token
    const q = await v.call('POST', 'auth/token/create', { token: P, body: { policies: ['p1'] } })
    expect(q.status).toBe(200)
    expect(q.json.auth.orphan).toBe(false)
    return { P, Q: q.json.auth.client_token as string, QA: q.json.auth.accessor as string }
  }

  it('28: revoke takes the children along, revoke-orphan does not', async () => {
    const first = await parentAndChild()
    expect((await v.call('POST', 'auth/token/revoke', { token: v.R, body: { token: first.P } })).status).toBe(
      204,
    )
    expect((await lookupSelf(first.Q)).status).toBe(403)

    const second = await parentAndChild()
    expect(
      (await v.call('POST', 'auth/token/revoke-orphan', { token: v.R, body: { token: second.P } })).status,
    ).toBe(204)
    expect((await lookupSelf(second.Q)).status).toBe(200)
    const lookup = await v.call('POST', 'auth/token/lookup-accessor', {
      token: v.R,
      body: { accessor: second.QA },
    })
    expect(lookup.json.data.orphan).toBe(true)
  })

  it('28: revoke-orphan needs sudo, checked by the handler', async () => {
    const policy = 'path "auth/token/revoke-orphan" { capabilities = ["update"] }'
    expect((await v.call('PUT', 'sys/policy/orphaner', { token: v.R, body: { policy } })).status).toBe(204)
    const { P } = await parentAndChild()
    const withUpdate = await createOrphan({ policies: ['orphaner'] })
    const noSudo = await v.call('POST', 'auth/token/revoke-orphan', { token: withUpdate, body: { token: P } })
    expect(noSudo.status).toBe(400)
    expect(noSudo.json).toEqual({ errors: ['root or sudo privileges required to revoke and orphan'] })
    const withoutUpdate = await createOrphan({ policies: ['p1'] })
    const denied = await v.call('POST', 'auth/token/revoke-orphan', {
      token: withoutUpdate,
      body: { token: P },
    })
    expect(denied.status).toBe(403)
    expect(denied.json).toEqual({ errors: [wrapped('permission denied')] })
  })
})

describe('spec §7 beyond the numbered cases', () => {
  it('lookup of another token echoes the string sent; unknown is "bad token"', async () => {
    const T = await createOrphan({ policies: ['p1'] })
    const lookup = await v.call('POST', 'auth/token/lookup', { token: v.R, body: { token: T } })
    expect(lookup.status).toBe(200)
    expect(lookup.json.data.id).toBe(T)
    const unknown = await v.call('POST', 'auth/token/lookup', { token: v.R, body: { token: 'nope' } })
    expect(unknown.status).toBe(403)
    expect(unknown.json).toEqual({ errors: ['bad token'] })
  })

  it('the root token never expires', async () => {
    const response = await lookupSelf(v.R)
    expect(response.json.data).toMatchObject({ id: 'root', policies: ['root'], ttl: 0, expire_time: null })
  })

  it('revoke-accessor of an unknown accessor answers 200 with a warning', async () => {
    const response = await v.call('POST', 'auth/token/revoke-accessor', {
      token: v.R,
      body: { accessor: 'doesnotexist000000000000' },
    })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual(['No token found with this accessor'])
    expect(response.json.data).toBeNull()
  })

  it('revoke errors', async () => {
    const missing = await v.call('POST', 'auth/token/revoke', { token: v.R, body: {} })
    expect(missing.json).toEqual({ errors: ['missing token ID'] })
    expect((await v.call('POST', 'auth/token/revoke', { token: v.R, body: { token: 'nope' } })).status).toBe(
      204,
    )
    const orphanMissing = await v.call('POST', 'auth/token/revoke-orphan', {
      token: v.R,
      body: { token: 'nope' },
    })
    expect(orphanMissing.json).toEqual({ errors: ['token to revoke not found'] })
  })

  it('tokens expire exactly at their TTL on the clock, children with them', async () => {
    const p = await v.call('POST', 'auth/token/create', {
      token: v.R,
      body: { policies: ['creator', 'p1'], ttl: '10s' },
    })
    const P = p.json.auth.client_token
    const q = await v.call('POST', 'auth/token/create', { token: P, body: { policies: ['p1'], ttl: '1h' } })
    const Q = q.json.auth.client_token
    v.vault.clock.advance(9_000)
    expect((await lookupSelf(Q)).status).toBe(200)
    v.vault.clock.advance(1_000)
    expect((await lookupSelf(Q)).status).toBe(403)
    expect((await lookupSelf(P)).status).toBe(403)
  })

  it('renewal is capped by the explicit max TTL with a warning', async () => {
    const token = await createOrphan({ policies: ['p1'], ttl: '1h', explicit_max_ttl: '2h' })
    const response = await v.call('POST', 'auth/token/renew-self', { token, body: { increment: '3h' } })
    expect(response.json.auth.lease_duration).toBe(7200)
    expect(response.json.warnings).toEqual([
      'TTL of "3h" exceeded the effective max_ttl of "2h"; TTL value is capped accordingly',
    ])
  })

  it('a periodic token renews to its period', async () => {
    const token = await createOrphan({ policies: ['p1'], period: '20m' })
    v.vault.clock.advance(600_000)
    const response = await v.call('POST', 'auth/token/renew-self', { token, body: { increment: '5h' } })
    expect(response.json.auth.lease_duration).toBe(1200)
    expect((await lookupSelf(token)).json.data.period).toBe(1200)
  })

  it('renew-accessor answers an empty client_token', async () => {
    const create = await v.call('POST', 'auth/token/create-orphan', {
      token: v.R,
      body: { policies: ['p1'] },
    })
    const response = await v.call('POST', 'auth/token/renew-accessor', {
      token: v.R,
      body: { accessor: create.json.auth.accessor },
    })
    expect(response.status).toBe(200)
    expect(response.json.auth.client_token).toBe('')
    expect(response.json.auth.lease_duration).toBe(2764800)
  })

  it('accessors list needs sudo', async () => {
    const list = await v.call('GET', 'auth/token/accessors?list=true', { token: v.R })
    expect(list.status).toBe(200)
    expect(list.json.data.keys.length).toBeGreaterThanOrEqual(3)
    const policy = 'path "auth/token/accessors" { capabilities = ["list"] }'
    await v.call('PUT', 'sys/policy/lister', { token: v.R, body: { policy } })
    const lister = await createOrphan({ policies: ['lister'] })
    expect((await v.call('GET', 'auth/token/accessors?list=true', { token: lister })).status).toBe(403)
  })

  it('a limited token cannot create children, and the attempt is a use', async () => {
    const token = await createOrphan({ policies: ['creator'], num_uses: 3 })
    const response = await v.call('POST', 'auth/token/create', { token, body: {} })
    expect(response.status).toBe(400)
    expect(response.json).toEqual({ errors: ['restricted use token cannot generate child tokens'] })
    expect((await lookupSelf(token)).json.data.num_uses).toBe(1)
  })

  it('an hvs. string never issued here is a bare permission denied', async () => {
    const response = await lookupSelf(`hvs.${'A'.repeat(90)}`)
    expect(response.status).toBe(403)
    expect(response.json).toEqual({ errors: ['permission denied'] })
  })

  it('Authorization: Bearer is read when X-Vault-Token is absent', async () => {
    const response = await v.call('GET', 'auth/token/lookup-self', {
      headers: { Authorization: `Bearer ${v.B}` },
    })
    expect(response.status).toBe(200)
    expect(response.json.data.id).toBe(v.B)
  })
})
