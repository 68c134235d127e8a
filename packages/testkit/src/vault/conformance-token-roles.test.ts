import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConformanceVault, startConformanceVault, wrapped } from './conformance-fixtures.ts'

let v: ConformanceVault
beforeEach(async () => {
  v = await startConformanceVault()
})
afterEach(async () => {
  await v.close()
})

const POD_BODY = { policies: ['web'], meta: { pod_uid: 'u1' }, display_name: 'web-7d9c' }

function createFromRole(role: string, body: unknown, token = v.C, headers?: Record<string, string>) {
  return v.call('POST', `auth/token/create/${role}`, { token, body, ...(headers ? { headers } : {}) })
}

describe('spec §13.5 token roles', () => {
  it('29: writing a role answers 204 with an empty body', async () => {
    const response = await v.call('POST', 'auth/token/roles/pod-x', {
      token: v.R,
      body: { allowed_policies: ['web'], orphan: true },
    })
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
  })

  it('30: reading a role', async () => {
    const response = await v.call('GET', 'auth/token/roles/pod-tokens', { token: v.R })
    expect(response.status).toBe(200)
    const data = response.json.data
    expect(data).toMatchObject({
      name: 'pod-tokens',
      allowed_policies: ['db', 'web'],
      allowed_policies_glob: ['team-*'],
      disallowed_policies: [],
      disallowed_policies_glob: ['*-admin'],
      orphan: true,
      renewable: true,
      token_period: 3600,
      period: 0,
      token_explicit_max_ttl: 0,
      explicit_max_ttl: 0,
      path_suffix: '',
      token_type: 'default-service',
      token_no_default_policy: false,
    })
    expect(data).not.toHaveProperty('token_num_uses')
    expect(Object.keys(data)).toEqual([...Object.keys(data)].sort())
  })

  it('31: listing roles', async () => {
    const response = await v.call('GET', 'auth/token/roles?list=true', { token: v.R })
    expect(response.status).toBe(200)
    expect(response.json.data.keys).toEqual(['other', 'pod-capped', 'pod-child', 'pod-limited', 'pod-tokens'])
  })

  it('32: creating through a role without sudo', async () => {
    const response = await createFromRole('pod-tokens', POD_BODY)
    expect(response.status).toBe(200)
    expect(response.json.warnings).toBeNull()
    expect(response.json.auth).toMatchObject({
      policies: ['default', 'web'],
      orphan: true,
      renewable: true,
      lease_duration: 3600,
      metadata: { pod_uid: 'u1' },
    })
    const lookup = await v.call('POST', 'auth/token/lookup-accessor', {
      token: v.R,
      body: { accessor: response.json.auth.accessor },
    })
    expect(lookup.json.data).toMatchObject({
      role: 'pod-tokens',
      path: 'auth/token/create/pod-tokens',
      display_name: 'token-web-7d9c',
    })
  })

  it('33: a requested ttl has no effect with a periodic role', async () => {
    const response = await createFromRole('pod-tokens', { ...POD_BODY, ttl: '5m' })
    expect(response.json.auth.lease_duration).toBe(3600)
  })

  it('34: a request period still needs sudo', async () => {
    const response = await createFromRole('pod-tokens', { ...POD_BODY, period: '30m' })
    expect(response.status).toBe(400)
    expect(response.json).toEqual({ errors: ['root or sudo privileges required to create periodic token'] })
  })

  it('35: glob-allowed policies', async () => {
    const response = await createFromRole('pod-tokens', { policies: ['team-blue'] })
    expect(response.json.auth.policies).toEqual(['default', 'team-blue'])
  })

  it('36: a policy outside the role', async () => {
    const response = await createFromRole('pod-tokens', { policies: ['p3'] })
    expect(response.status).toBe(400)
    expect(response.json).toEqual({
      errors: [
        'token policies (["default" "p3"]) must be subset of the role\'s allowed policies (["db" "default" "web"]) or glob policies (["team-*"])',
      ],
    })
  })

  it('37: no policies gives the allowed list', async () => {
    const response = await createFromRole('pod-tokens', {})
    expect(response.json.auth.policies).toEqual(['db', 'default', 'web'])
  })

  it('38: no_default_policy', async () => {
    const response = await createFromRole('pod-tokens', { policies: ['web'], no_default_policy: true })
    expect(response.json.auth.policies).toEqual(['web'])
  })

  it('39: an unknown role', async () => {
    const response = await createFromRole('nope', {}, v.R)
    expect(response.status).toBe(400)
    expect(response.json).toEqual({ errors: ['unknown role nope'] })
  })

  it('40: the ACL decides before the role', async () => {
    const response = await createFromRole('other', { policies: ['web'] })
    expect(response.status).toBe(403)
    expect(response.json).toEqual({ errors: [wrapped('permission denied')] })
  })

  it('41: entity_alias not allowed by the role', async () => {
    const response = await createFromRole('pod-tokens', { policies: ['web'], entity_alias: 'x' })
    expect(response.status).toBe(400)
    expect(response.json).toEqual({ errors: ["invalid 'entity_alias' value"] })
  })

  it('42: wrapped creation through a role', async () => {
    const response = await createFromRole('pod-tokens', { policies: ['web'] }, v.C, {
      'X-Vault-Wrap-TTL': '60',
    })
    expect(response.status).toBe(200)
    expect(response.json.wrap_info.creation_path).toBe('auth/token/create/pod-tokens')
    const unwrap = await v.call('POST', 'sys/wrapping/unwrap', {
      token: v.R,
      body: { token: response.json.wrap_info.token },
    })
    expect(unwrap.json.auth).toMatchObject({ orphan: true, lease_duration: 3600 })
  })

  it('43: deleting a role', async () => {
    await v.call('POST', 'auth/token/roles/pod-x', {
      token: v.R,
      body: { allowed_policies: ['web'], orphan: true },
    })
    expect((await v.call('DELETE', 'auth/token/roles/pod-x', { token: v.R })).status).toBe(204)
    const read = await v.call('GET', 'auth/token/roles/pod-x', { token: v.R })
    expect(read.status).toBe(404)
    expect(read.json).toEqual({ errors: [] })
    const create = await createFromRole('pod-x', {})
    expect(create.status).toBe(400)
    expect(create.json).toEqual({ errors: ['unknown role pod-x'] })
  })

  it('44: a periodic role token renews to the role period', async () => {
    const k = await createFromRole('pod-tokens', { policies: ['web'] })
    v.vault.clock.advance(1_800_000)
    const renew = await v.call('POST', 'auth/token/renew-self', {
      token: k.json.auth.client_token,
      body: { increment: '10h' },
    })
    expect(renew.status).toBe(200)
    expect(renew.json.auth.lease_duration).toBe(3600)
  })
})

describe('spec §4 beyond the numbered cases', () => {
  it('role limits: uses, renewable, explicit max', async () => {
    const limited = await createFromRole('pod-limited', {}, v.R)
    expect(limited.json.auth).toMatchObject({ num_uses: 3, renewable: false, policies: ['default', 'web'] })
    expect(limited.json.auth.orphan).toBe(false)
    const capped = await createFromRole('pod-capped', {}, v.R)
    expect(capped.json.auth.lease_duration).toBe(7200)
  })

  it('a role with only disallowed lists inherits the parent policies', async () => {
    await v.call('POST', 'auth/token/roles/deny-only', { token: v.R, body: { disallowed_policies: 'p2' } })
    const denied = await createFromRole('deny-only', {}, v.B)
    expect(denied.status).toBe(403)
    await v.call('PUT', 'sys/policy/deny-user', {
      token: v.R,
      body: { policy: 'path "auth/token/create/deny-only" { capabilities = ["update"] }' },
    })
    const userToken = (
      await v.call('POST', 'auth/token/create-orphan', {
        token: v.R,
        body: { policies: ['deny-user', 'p1', 'p2'] },
      })
    ).json.auth.client_token
    const response = await createFromRole('deny-only', {}, userToken)
    expect(response.status).toBe(400)
    expect(response.json).toEqual({ errors: ['token policy "p2" is disallowed by this role'] })
    const ok = await createFromRole('deny-only', { policies: ['p3'] }, userToken)
    expect(ok.json.auth.policies).toEqual(['default', 'p3'])
  })

  it('role field errors and warnings', async () => {
    const badSuffix = await v.call('POST', 'auth/token/roles/r1', { token: v.R, body: { path_suffix: 'v1' } })
    expect(badSuffix.json).toEqual({
      errors: [String.raw`given role path suffix contains invalid characters; must match \w[\w-.]+\w`],
    })
    const badType = await v.call('POST', 'auth/token/roles/r1', { token: v.R, body: { token_type: 'x' } })
    expect(badType.json).toEqual({ errors: [`invalid 'token_type' value "x"`] })
    const negative = await v.call('POST', 'auth/token/roles/r1', { token: v.R, body: { token_num_uses: -1 } })
    expect(negative.json).toEqual({
      errors: ["error parsing role fields: 'token_num_uses' cannot be negative"],
    })
    const batch = await v.call('POST', 'auth/token/roles/r1', { token: v.R, body: { token_type: 'batch' } })
    expect(batch.json).toEqual({
      errors: ["'token_type' cannot be 'batch' when role is set to generate non-orphan tokens"],
    })
    const both = await v.call('POST', 'auth/token/roles/r1', {
      token: v.R,
      body: { token_period: '1h', period: '2h', bogus: 1 },
    })
    expect(both.status).toBe(200)
    expect(both.json.warnings).toEqual([
      "Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value",
      'Endpoint ignored these unrecognized parameters: [bogus]',
    ])
  })

  it('a role write changes only the fields present; list needs list on the roles path', async () => {
    await v.call('POST', 'auth/token/roles/pod-tokens', { token: v.R, body: { renewable: false } })
    const read = await v.call('GET', 'auth/token/roles/pod-tokens', { token: v.R })
    expect(read.json.data).toMatchObject({
      renewable: false,
      token_period: 3600,
      allowed_policies: ['db', 'web'],
    })
    expect((await v.call('GET', 'auth/token/roles?list=true', { token: v.C })).status).toBe(403)
  })

  it('a role write needs create for a new role and update for an existing one', async () => {
    const policy = 'path "auth/token/roles/*" { capabilities = ["update"] }'
    await v.call('PUT', 'sys/policy/role-updater', { token: v.R, body: { policy } })
    const updater = (
      await v.call('POST', 'auth/token/create-orphan', { token: v.R, body: { policies: ['role-updater'] } })
    ).json.auth.client_token
    expect((await v.call('POST', 'auth/token/roles/brand-new', { token: updater, body: {} })).status).toBe(
      403,
    )
    expect(
      (await v.call('POST', 'auth/token/roles/other', { token: updater, body: { orphan: false } })).status,
    ).toBe(204)
  })
})
