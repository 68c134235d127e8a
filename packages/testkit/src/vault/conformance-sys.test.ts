import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConformanceVault, startConformanceVault, wrapped } from './conformance-fixtures.ts'

let v: ConformanceVault
beforeEach(async () => {
  v = await startConformanceVault()
})
afterEach(async () => {
  await v.close()
})

describe('spec §13.6 policies, health, seal, errors', () => {
  it('45: policy write, read through both paths, missing, parse error', async () => {
    const policy = 'path "x/*" {capabilities=["read"]}'
    expect((await v.call('PUT', 'sys/policy/p9', { token: v.R, body: { policy } })).status).toBe(204)
    const read = await v.call('GET', 'sys/policy/p9', { token: v.R })
    expect(read.status).toBe(200)
    expect(read.json).toMatchObject({ name: 'p9', rules: policy, data: { name: 'p9', rules: policy } })
    expect(read.text.startsWith('{"name":"p9","rules":')).toBe(true)
    const acl = await v.call('GET', 'sys/policies/acl/p9', { token: v.R })
    expect(acl.json.data).toEqual({ name: 'p9', policy })
    expect(acl.json).not.toHaveProperty('name')
    const missing = await v.call('GET', 'sys/policy/nope', { token: v.R })
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({ errors: [] })
    const broken = await v.call('PUT', 'sys/policy/p10', { token: v.R, body: { policy: 'path "x" {' } })
    expect(broken.status).toBe(400)
    expect(broken.json.errors).toHaveLength(1)
    expect(broken.json.errors[0].startsWith('failed to parse policy: ')).toBe(true)
  })

  it('46: health, sealed health, sealedcode', async () => {
    const healthy = await v.call('GET', 'sys/health')
    expect(healthy.status).toBe(200)
    expect(healthy.json).toMatchObject({ initialized: true, sealed: false, standby: false })
    expect((await v.call('PUT', 'sys/seal', { token: v.R })).status).toBe(204)
    const sealed = await v.call('GET', 'sys/health')
    expect(sealed.status).toBe(503)
    expect(sealed.json.sealed).toBe(true)
    expect(sealed.json).not.toHaveProperty('cluster_id')
    expect((await v.call('GET', 'sys/health?sealedcode=200')).status).toBe(200)
  })

  it('47: sealed answers 503 everywhere; unseal keeps the state', async () => {
    expect((await v.call('PUT', 'sys/seal', { token: v.R })).status).toBe(204)
    const create = await v.call('POST', 'auth/token/create-orphan', { token: v.R, body: {} })
    expect(create.status).toBe(503)
    expect(create.json).toEqual({ errors: ['Vault is sealed'] })
    const noToken = await v.call('GET', 'auth/token/lookup-self')
    expect(noToken.status).toBe(503)
    const unseal = await v.call('PUT', 'sys/unseal', { body: { key: v.vault.unsealKey } })
    expect(unseal.status).toBe(200)
    expect(unseal.json.sealed).toBe(false)
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.B })).status).toBe(200)
  })

  it('49: AppRole basics', async () => {
    expect((await v.call('POST', 'sys/auth/approle', { token: v.R, body: { type: 'approle' } })).status).toBe(
      204,
    )
    expect(
      (await v.call('POST', 'auth/approle/role/app', { token: v.R, body: { token_policies: ['p1'] } }))
        .status,
    ).toBe(204)
    const roleId = await v.call('GET', 'auth/approle/role/app/role-id', { token: v.R })
    expect(roleId.status).toBe(200)
    const secret = await v.call('POST', 'auth/approle/role/app/secret-id', { token: v.R, body: {} })
    expect(secret.status).toBe(200)
    expect(Object.keys(secret.json.data).sort()).toEqual([
      'secret_id',
      'secret_id_accessor',
      'secret_id_num_uses',
      'secret_id_ttl',
    ])
    const login = await v.call('POST', 'auth/approle/login', {
      body: { role_id: roleId.json.data.role_id, secret_id: secret.json.data.secret_id },
    })
    expect(login.status).toBe(200)
    expect(login.json.mount_type).toBe('approle')
    expect(login.json.auth).toMatchObject({
      metadata: { role_name: 'app' },
      orphan: true,
      policies: ['default', 'p1'],
    })
    const self = await v.call('GET', 'auth/token/lookup-self', { token: login.json.auth.client_token })
    expect(self.json.data).toMatchObject({ display_name: 'approle', path: 'auth/approle/login' })
    const wrong = await v.call('POST', 'auth/approle/login', {
      body: { role_id: roleId.json.data.role_id, secret_id: 'wrong' },
    })
    expect(wrong.status).toBe(400)
    expect(wrong.json).toEqual({ errors: ['invalid role or secret ID'] })
    const missing = await v.call('POST', 'auth/approle/login', { body: {} })
    expect(missing.json).toEqual({ errors: ['missing role_id'] })
  })

  it('50: bad JSON, wrong method, unknown route', async () => {
    const badJson = await v.call('POST', 'auth/token/create-orphan', { token: v.R, rawBody: '{bad json' })
    expect(badJson.status).toBe(400)
    expect(badJson.json).toEqual({ errors: ['error parsing JSON'] })
    const get = await v.call('GET', 'auth/token/create-orphan', { token: v.R })
    expect(get.status).toBe(405)
    expect(get.json).toEqual({ errors: [wrapped('unsupported operation')] })
    const unknown = await v.call('POST', 'foo/bar', { token: v.R, body: {} })
    expect(unknown.status).toBe(404)
    expect(unknown.json).toEqual({ errors: ['no handler for route "foo/bar". route entry not found.'] })
  })
})

describe('spec §1–2 beyond the numbered cases', () => {
  it('routing errors are 403 for a token without a grant (ACL before routing)', async () => {
    for (const [method, path] of [
      ['POST', 'foo/bar'],
      ['POST', 'auth/token/nonsense'],
      ['GET', 'auth/token/create-orphan'],
    ] as const) {
      const response = await v.call(method, path, { token: v.C, body: method === 'POST' ? {} : undefined })
      expect(response.status).toBe(403)
      expect(response.json).toEqual({ errors: [wrapped('permission denied')] })
    }
    const unsupported = await v.call('POST', 'auth/token/nonsense', { token: v.R, body: {} })
    expect(unsupported.status).toBe(404)
    expect(unsupported.json).toEqual({ errors: [wrapped('unsupported path')] })
  })

  it('a write to a path ending in / and an unknown method', async () => {
    const slash = await v.call('POST', 'sys/policy/p1/', { token: v.R, body: {} })
    expect(slash.status).toBe(400)
    expect(slash.json).toEqual({ errors: ["cannot write to a path ending in '/'"] })
    const options = await v.call('OPTIONS', 'sys/policy', { token: v.R })
    expect(options.status).toBe(405)
  })

  it('unrecognized parameters are warned about only when there is a body', async () => {
    const create = await v.call('POST', 'auth/token/create-orphan', { token: v.R, body: { zz: 1, aa: 2 } })
    expect(create.json.warnings).toEqual(['Endpoint ignored these unrecognized parameters: [aa zz]'])
    const policy = await v.call('PUT', 'sys/policy/q', {
      token: v.R,
      body: { policy: 'path "a" {capabilities=["read"]}', x: 1 },
    })
    expect(policy.status).toBe(204)
  })

  it('policy names are lowercased with a warning; default and root cannot be deleted', async () => {
    const upper = await v.call('PUT', 'sys/policy/MyPol', {
      token: v.R,
      body: { policy: 'path "a" {capabilities=["read"]}' },
    })
    expect(upper.status).toBe(200)
    expect(upper.json.warnings).toEqual(['policy name was converted to mypol'])
    const list = await v.call('GET', 'sys/policy', { token: v.R })
    expect(list.json.keys).toContain('mypol')
    expect(list.json.policies).toContain('root')
    expect(list.json.data.keys).toContain('default')
    expect((await v.call('DELETE', 'sys/policy/default', { token: v.R })).status).toBe(400)
    expect((await v.call('DELETE', 'sys/policy/mypol', { token: v.R })).status).toBe(204)
    const base64 = Buffer.from('path "b/*" {capabilities=["list"]}').toString('base64')
    expect(
      (await v.call('PUT', 'sys/policies/acl/b64', { token: v.R, body: { policy: base64 } })).status,
    ).toBe(204)
    const read = await v.call('GET', 'sys/policies/acl/b64', { token: v.R })
    expect(read.json.data.policy).toBe('path "b/*" {capabilities=["list"]}')
  })

  it('policy management needs a grant; sys/seal needs sudo', async () => {
    const write = await v.call('PUT', 'sys/policy/x', {
      token: v.B,
      body: { policy: 'path "a" {capabilities=["read"]}' },
    })
    expect(write.status).toBe(403)
    await v.call('PUT', 'sys/policy/sealer', {
      token: v.R,
      body: { policy: 'path "sys/seal" { capabilities = ["update"] }' },
    })
    const sealer = (
      await v.call('POST', 'auth/token/create-orphan', { token: v.R, body: { policies: ['sealer'] } })
    ).json.auth.client_token
    expect((await v.call('PUT', 'sys/seal', { token: sealer })).status).toBe(403)
  })

  it('seal-status and HEAD health', async () => {
    const status = await v.call('GET', 'sys/seal-status')
    expect(status.json).toMatchObject({ type: 'shamir', initialized: true, sealed: false, t: 1, n: 1 })
    const head = await v.call('HEAD', 'sys/health')
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
    expect((await v.call('GET', 'sys/health?activecode=abc')).status).toBe(400)
  })
})

describe('test control API', () => {
  it('faults, stats, seal and reset', async () => {
    const fault = await v.call('POST', '/__testkit/faults', {
      body: { pathPrefix: '/v1/auth/token/lookup-self', status: 503, times: 1 },
    })
    expect(fault.status).toBe(201)
    const faulted = await v.call('GET', 'auth/token/lookup-self', { token: v.R })
    expect(faulted.status).toBe(503)
    expect(faulted.json).toEqual({ errors: ['Vault is sealed'] })
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.R })).status).toBe(200)
    const stats = await v.call('GET', '/__testkit/stats')
    expect(stats.json.byRoute['GET auth/token/lookup-self']).toBe(2)
    expect((await v.call('POST', '/__testkit/faults', { body: { status: 9 } })).status).toBe(400)

    expect((await v.call('POST', '/__testkit/seal')).status).toBe(204)
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.R })).status).toBe(503)
    expect((await v.call('POST', '/__testkit/reset')).status).toBe(204)
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.R })).status).toBe(200)
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.B })).status).toBe(403)
    expect((await v.call('GET', 'auth/token/roles/pod-tokens', { token: v.R })).status).toBe(404)
  })
})
