import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConformanceVault, startConformanceVault, wrapped } from './conformance-fixtures.ts'

let v: ConformanceVault
beforeEach(async () => {
  v = await startConformanceVault()
})
afterEach(async () => {
  await v.close()
})

const CASE_1_BODY = { policies: ['p1'], ttl: '1h', meta: { k: 'v' }, display_name: 'ctl' }
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const INVALID_ACCESSOR = { errors: [wrapped('invalid accessor')] }
const NOT_VALID = { errors: ['wrapping token is not valid or does not exist'] }

/** Case 11's setup: W, WA, TA. */
async function wrappedCreate(wrapTtl = '60s') {
  const response = await v.call('POST', 'auth/token/create-orphan', {
    token: v.R,
    body: CASE_1_BODY,
    headers: { 'X-Vault-Wrap-TTL': wrapTtl },
  })
  return {
    response,
    W: response.json.wrap_info?.token,
    WA: response.json.wrap_info?.accessor,
    TA: response.json.wrap_info?.wrapped_accessor,
  }
}

function lookupAccessor(accessor: unknown, token = v.R) {
  return v.call('POST', 'auth/token/lookup-accessor', { token, body: { accessor } })
}

describe('spec §13.3 wrapping', () => {
  it('11: a wrapped creation answers wrap_info only', async () => {
    const { response } = await wrappedCreate()
    expect(response.status).toBe(200)
    const body = response.json
    expect(body).toMatchObject({ request_id: '', auth: null, data: null, warnings: null })
    expect(body.wrap_info.token).toMatch(/^hvs\./)
    expect(body.wrap_info.accessor).toMatch(/^[A-Za-z0-9]{24}$/)
    expect(body.wrap_info.ttl).toBe(60)
    expect(body.wrap_info.creation_path).toBe('auth/token/create-orphan')
    expect(body.wrap_info.creation_time).toMatch(RFC3339)
    expect(body.wrap_info.wrapped_accessor).toMatch(/^[A-Za-z0-9]{24}$/)
  })

  it.each([
    ['300', 300],
    ['5m', 300],
    ['1d', 86400],
  ])('12: wrap header %s gives ttl %i', async (header, ttl) => {
    const { response } = await wrappedCreate(header)
    expect(response.json.wrap_info.ttl).toBe(ttl)
  })

  it('12: wrap header 0 means no wrapping', async () => {
    const { response } = await wrappedCreate('0')
    expect(response.json.wrap_info).toBeNull()
    expect(response.json.auth.client_token).toMatch(/^hvs\./)
  })

  it('12: bad wrap headers are refused before anything is created', async () => {
    const bad = await wrappedCreate('abc')
    expect(bad.response.status).toBe(400)
    expect(bad.response.json).toEqual({
      errors: ['error parsing X-Vault-Wrap-TTL header: time: invalid duration "abc"'],
    })
    const negative = await wrappedCreate('-5s')
    expect(negative.response.status).toBe(400)
    expect(negative.response.json).toEqual({
      errors: ['error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative'],
    })
  })

  it('13: max_wrapping_ttl and min_wrapping_ttl make wrapping mandatory', async () => {
    const writePolicy = (rule: string) =>
      v.call('PUT', 'sys/policy/wrapcap', {
        token: v.R,
        body: { policy: `path "auth/token/create-orphan" { capabilities = ["update"] ${rule} }` },
      })
    expect((await writePolicy('max_wrapping_ttl = "90s"')).status).toBe(204)
    const e = await v.call('POST', 'auth/token/create-orphan', {
      token: v.R,
      body: { policies: ['wrapcap'] },
    })
    const E = e.json.auth.client_token
    const create = (wrapTtl?: string, token = E) =>
      v.call('POST', 'auth/token/create-orphan', {
        token,
        body: { policies: ['default'] },
        ...(wrapTtl ? { headers: { 'X-Vault-Wrap-TTL': wrapTtl } } : {}),
      })
    const ok = await create('60s')
    expect(ok.status).toBe(200)
    expect(ok.json.wrap_info.ttl).toBe(60)
    for (const response of [await create('120s'), await create()]) {
      expect(response.status).toBe(403)
      expect(response.json).toEqual({ errors: [wrapped('permission denied')] })
    }
    expect((await writePolicy('min_wrapping_ttl = "30s"')).status).toBe(204)
    expect((await create('10s')).status).toBe(403)
    expect((await create('120s', v.R)).status).toBe(200)
  })

  it('14: unwrap answers the stored creation response', async () => {
    const { W, TA } = await wrappedCreate()
    const response = await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.text.endsWith('\n')).toBe(false)
    expect(response.json.auth.accessor).toBe(TA)
    expect(response.json.auth.client_token).toMatch(/^hvs\./)
    expect(response.json.auth.metadata).toEqual({ k: 'v' })
    expect(response.json.wrap_info).toBeNull()
    expect(response.json.request_id).not.toBe('')
    expect(response.json.mount_type).toBe('token')
  })

  it('15: a second unwrap is refused', async () => {
    const { W } = await wrappedCreate()
    expect((await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })).status).toBe(200)
    const again = await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })
    expect(again.status).toBe(400)
    expect(again.json).toEqual(NOT_VALID)
  })

  it('16: first-party unwrap spends the token', async () => {
    const { W, TA } = await wrappedCreate()
    const response = await v.call('POST', 'sys/wrapping/unwrap', { token: W })
    expect(response.status).toBe(200)
    expect(response.json.auth.accessor).toBe(TA)
    const lookup = await v.call('POST', 'sys/wrapping/lookup', { body: { token: W } })
    expect(lookup.status).toBe(400)
    expect(lookup.json).toEqual(NOT_VALID)
  })

  it('17: an expired wrapping token is gone', async () => {
    const { W, WA } = await wrappedCreate()
    const advance = await v.call('POST', '/__testkit/clock/advance', { body: { seconds: 61 } })
    expect(advance.status).toBe(204)
    const unwrap = await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })
    expect(unwrap.status).toBe(400)
    expect(unwrap.json).toEqual(NOT_VALID)
    const lookup = await lookupAccessor(WA)
    expect(lookup.status).toBe(400)
    expect(lookup.json).toEqual(INVALID_ACCESSOR)
  })

  it('17: the wrapping token is valid until the expiry second', async () => {
    const { WA } = await wrappedCreate()
    v.vault.clock.advance(59_000)
    expect((await lookupAccessor(WA)).status).toBe(200)
  })

  it('18: lookup-accessor of the wrapping token does not spend it', async () => {
    const { W, WA } = await wrappedCreate()
    const response = await lookupAccessor(WA, v.B)
    expect(response.status).toBe(200)
    expect(response.json.data).toMatchObject({
      policies: ['response-wrapping'],
      num_uses: 1,
      path: 'auth/token/create-orphan',
      orphan: true,
      display_name: '',
      id: '',
      creation_ttl: 60,
      explicit_max_ttl: 60,
      renewable: false,
    })
    expect((await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })).status).toBe(200)
  })

  it('19: lookup-accessor of the wrapped token', async () => {
    const { TA } = await wrappedCreate()
    const response = await lookupAccessor(TA)
    expect(response.status).toBe(200)
    const data = response.json.data
    expect(data).toMatchObject({
      id: '',
      meta: { k: 'v' },
      policies: ['default', 'p1'],
      path: 'auth/token/create-orphan',
      type: 'service',
    })
    expect(data.ttl).toBeGreaterThan(0)
    expect(data.ttl).toBeLessThanOrEqual(3600)
    expect(typeof data.expire_time).toBe('string')
  })

  it('20: lookup-accessor errors', async () => {
    const missing = await v.call('POST', 'auth/token/lookup-accessor', { token: v.R, body: {} })
    expect(missing.status).toBe(400)
    expect(missing.json).toEqual({ errors: [wrapped('missing accessor')] })
    const unknown = await lookupAccessor('doesnotexist000000000000')
    expect(unknown.status).toBe(400)
    expect(unknown.json).toEqual(INVALID_ACCESSOR)
  })

  it('21: revoke-accessor of the unwrapped token', async () => {
    const { W, TA } = await wrappedCreate()
    const unwrap = await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })
    const U = unwrap.json.auth.client_token
    const revoke = await v.call('POST', 'auth/token/revoke-accessor', { token: v.R, body: { accessor: TA } })
    expect(revoke.status).toBe(204)
    expect(revoke.text).toBe('')
    expect((await lookupAccessor(TA)).json).toEqual(INVALID_ACCESSOR)
    const self = await v.call('GET', 'auth/token/lookup-self', { token: U })
    expect(self.status).toBe(403)
  })

  it('22: sys/wrapping/wrap', async () => {
    const unwrappedCall = await v.call('POST', 'sys/wrapping/wrap', { token: v.B, body: { a: 'b' } })
    expect(unwrappedCall.status).toBe(400)
    expect(unwrappedCall.json).toEqual({ errors: ['endpoint requires response wrapping to be used'] })
    const response = await v.call('POST', 'sys/wrapping/wrap', {
      token: v.B,
      body: { a: 'b' },
      headers: { 'X-Vault-Wrap-TTL': '30' },
    })
    expect(response.status).toBe(200)
    expect(response.json.wrap_info.creation_path).toBe('sys/wrapping/wrap')
    expect(response.json.wrap_info).not.toHaveProperty('wrapped_accessor')
    const unwrap = await v.call('POST', 'sys/wrapping/unwrap', {
      token: v.B,
      body: { token: response.json.wrap_info.token },
    })
    expect(unwrap.status).toBe(200)
    expect(unwrap.json.data).toEqual({ a: 'b' })
    expect(unwrap.json.auth).toBeNull()
  })
})

describe('spec §6 wrapping endpoints beyond the numbered cases', () => {
  it('lookup answers creation data without spending the token', async () => {
    const { W } = await wrappedCreate()
    const lookup = await v.call('POST', 'sys/wrapping/lookup', { body: { token: W } })
    expect(lookup.status).toBe(200)
    expect(lookup.json.data).toEqual({
      creation_path: 'auth/token/create-orphan',
      creation_time: expect.stringMatching(RFC3339),
      creation_ttl: 60,
    })
    expect(lookup.json.mount_type).toBe('system')
    expect((await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })).status).toBe(200)
  })

  it('body token validation', async () => {
    const notString = await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: 5 } })
    expect(notString.status).toBe(403)
    expect(notString.json).toEqual({
      errors: ['error validating wrapping token: could not decode token in request body'],
    })
    const empty = await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: '' } })
    expect(empty.status).toBe(403)
    expect(empty.json).toEqual({ errors: ['error validating wrapping token: empty token in request body'] })
    const service = await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: v.B } })
    expect(service.json).toEqual(NOT_VALID)
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.B })).status).toBe(200)
  })

  it('rewrap needs update on sys/wrapping/rewrap and keeps the original creation path', async () => {
    const { W, TA } = await wrappedCreate()
    const denied = await v.call('POST', 'sys/wrapping/rewrap', { token: v.B, body: { token: W } })
    expect(denied.status).toBe(403)
    const rewrap = await v.call('POST', 'sys/wrapping/rewrap', { token: v.R, body: { token: W } })
    expect(rewrap.status).toBe(200)
    expect(rewrap.json.wrap_info.creation_path).toBe('auth/token/create-orphan')
    expect(rewrap.json.wrap_info.ttl).toBe(60)
    expect(rewrap.json.wrap_info).not.toHaveProperty('wrapped_accessor')
    expect((await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })).json).toEqual(
      NOT_VALID,
    )
    const unwrap = await v.call('POST', 'sys/wrapping/unwrap', {
      token: v.R,
      body: { token: rewrap.json.wrap_info.token },
    })
    expect(unwrap.json.auth.accessor).toBe(TA)
  })

  it('a request presenting a wrapping token spends it even when denied', async () => {
    const { W } = await wrappedCreate()
    const denied = await v.call('GET', 'auth/token/lookup-self', { token: W })
    expect(denied.status).toBe(403)
    expect((await v.call('POST', 'sys/wrapping/unwrap', { token: v.R, body: { token: W } })).json).toEqual(
      NOT_VALID,
    )
  })
})
