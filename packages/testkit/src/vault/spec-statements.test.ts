/**
 * Statement-by-statement checks of specs/vault-http-api.md §1–§12 that the §13 conformance
 * cases do not already show. Grouped by spec section (the number is in each `describe`), so
 * coverage can be read off this file. Every test starts from the §13.1 fixtures.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type ConformanceVault,
  type RequestOptions,
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

let policyCounter = 0

/** A fresh orphan token (created by R) whose only non-default policy is `text`. */
async function tokenWith(text: string, extra: Record<string, unknown> = {}): Promise<string> {
  policyCounter += 1
  const name = `t-${policyCounter}`
  const written = await v.call('PUT', `sys/policy/${name}`, { token: v.R, body: { policy: text } })
  expect(written.status).toBe(204)
  const created = await v.call('POST', 'auth/token/create-orphan', {
    token: v.R,
    body: { policies: [name], ...extra },
  })
  expect(created.status).toBe(200)
  return created.json.auth.client_token
}

function post(path: string, token: string | undefined, body?: unknown, headers?: Record<string, string>) {
  const options: RequestOptions = {}
  if (token !== undefined) options.token = token
  if (body !== undefined) options.body = body
  if (headers !== undefined) options.headers = headers
  return v.call('POST', path, options)
}

function rootCreate(body: unknown, headers?: Record<string, string>) {
  return post('auth/token/create-orphan', v.R, body, headers)
}

async function lookupAccessor(accessor: string): Promise<WireResponse> {
  return post('auth/token/lookup-accessor', v.R, { accessor })
}

async function writeRole(name: string, body: unknown): Promise<WireResponse> {
  return post(`auth/token/roles/${name}`, v.R, body)
}

async function tokenCount(): Promise<number> {
  return (await v.call('GET', '/__testkit/state')).json.tokens
}

function expectError(response: WireResponse, status: number, message: string): void {
  expect({ status: response.status, body: response.json }).toEqual({ status, body: { errors: [message] } })
}

const SUDO_CREATE_ORPHAN = 'path "auth/token/create-orphan" { capabilities = ["update", "sudo"] }'
const CREATE_ORPHAN = 'path "auth/token/create-orphan" { capabilities = ["update"] }'

describe('spec §1.1 requests', () => {
  it('reads the token from Authorization: Bearer when X-Vault-Token is absent; X-Vault-Token wins', async () => {
    const bearer = await v.call('GET', 'auth/token/lookup-self', {
      headers: { Authorization: `Bearer ${v.B}` },
    })
    expect(bearer.status).toBe(200)
    expect(bearer.json.data.id).toBe(v.B)
    const both = await v.call('GET', 'auth/token/lookup-self', {
      token: v.C,
      headers: { Authorization: `Bearer ${v.B}` },
    })
    expect(both.json.data.id).toBe(v.C)
    const emptyHeader = await v.call('GET', 'auth/token/lookup-self', {
      token: '',
      headers: { Authorization: `Bearer ${v.B}` },
    })
    expect(emptyHeader.json.data.id).toBe(v.B)
  })

  it('GET ?list=1 lists like ?list=true (Go booleans); a non-boolean list → 400 {"errors":[]}', async () => {
    for (const value of ['1', 'true', 't', 'TRUE']) {
      const listed = await v.call('GET', `auth/token/roles?list=${value}`, { token: v.R })
      expect(listed.status).toBe(200)
      expect(listed.json.data.keys).toContain('pod-tokens')
    }
    const read = await v.call('GET', 'auth/token/roles/pod-tokens?list=false', { token: v.R })
    expect(read.json.data.name).toBe('pod-tokens')
    const bad = await v.call('GET', 'auth/token/roles?list=yes', { token: v.R })
    expect(bad.status).toBe(400)
    expect(bad.text).toBe('{"errors":[]}\n')
  })

  it('POST and PUT are the same write', async () => {
    const put = await v.call('PUT', 'auth/token/create-orphan', { token: v.R, body: { policies: ['p1'] } })
    expect(put.status).toBe(200)
    expect(put.json.auth.policies).toEqual(['default', 'p1'])
  })

  it('PATCH without application/merge-patch+json → 415; with it → 405 (no patch handler)', async () => {
    const plain = await v.call('PATCH', 'auth/token/roles/pod-tokens', {
      token: v.R,
      body: { orphan: false },
    })
    expect(plain.status).toBe(415)
    expect(plain.text).toBe('{"errors":[]}\n')
    expect(plain.headers.get('cache-control')).toBe('no-store')
    const lookalike = await v.call('PATCH', 'auth/token/roles/pod-tokens', {
      token: v.R,
      rawBody: '{}',
      headers: { 'Content-Type': 'application/merge-patch+jsonx' },
    })
    expect(lookalike.status).toBe(415)
    const merge = await v.call('PATCH', 'auth/token/roles/pod-tokens', {
      token: v.R,
      rawBody: '{"orphan":false}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    })
    expect(merge.status).toBe(405)
    expect(merge.json).toEqual({ errors: [wrapped('unsupported operation')] })
  })

  it('any other HTTP method → 405', async () => {
    const response = await v.call('PROPFIND', 'auth/token/lookup-self', { token: v.R })
    expect(response.status).toBe(405)
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('a role write is create when the role is new and update when it exists (existence check)', async () => {
    const createOnly = await tokenWith('path "auth/token/roles/*" { capabilities = ["create"] }')
    const updateOnly = await tokenWith('path "auth/token/roles/*" { capabilities = ["update"] }')
    expect((await post('auth/token/roles/fresh', updateOnly, { allowed_policies: 'web' })).status).toBe(403)
    expect((await post('auth/token/roles/fresh', createOnly, { allowed_policies: 'web' })).status).toBe(204)
    expect((await post('auth/token/roles/fresh', createOnly, { orphan: true })).status).toBe(403)
    expect((await post('auth/token/roles/fresh', updateOnly, { orphan: true })).status).toBe(204)
  })

  it('create-orphan is always update: create alone is not enough', async () => {
    const createOnly = await tokenWith('path "auth/token/create-orphan" { capabilities = ["create"] }')
    const response = await post('auth/token/create-orphan', createOnly, { policies: ['default'] })
    expectError(response, 403, wrapped('permission denied'))
  })

  it('an empty body is allowed', async () => {
    const response = await v.call('POST', 'auth/token/create-orphan', { token: v.R, rawBody: '' })
    expect(response.status).toBe(200)
  })

  it('unparseable JSON → 400 error parsing JSON', async () => {
    expectError(
      await v.call('PUT', 'sys/policy/x', { token: v.R, rawBody: '{"policy":' }),
      400,
      'error parsing JSON',
    )
  })

  it("a write to a path ending in '/' → 400", async () => {
    for (const path of ['auth/token/create/', 'sys/policy/p1/', 'auth/token/roles/']) {
      expectError(await post(path, v.R, {}), 400, "cannot write to a path ending in '/'")
    }
  })

  it('durations accept seconds, numeric strings, Go durations and day suffixes', async () => {
    for (const [ttl, seconds] of [
      [5400, 5400],
      ['5400', 5400],
      ['1h30m', 5400],
      ['2d', 172800],
    ] as const) {
      const response = await rootCreate({ policies: ['p1'], ttl })
      expect(response.json.auth.lease_duration).toBe(seconds)
    }
  })

  it('integers accept numeric strings and booleans accept "true"/"false"', async () => {
    const response = await rootCreate({
      policies: ['p1'],
      num_uses: '3',
      renewable: 'false',
      no_default_policy: 'true',
    })
    expect(response.status).toBe(200)
    expect(response.json.auth).toMatchObject({ num_uses: 3, renewable: false, policies: ['p1'] })
    const role = await writeRole('lenient', { allowed_policies: 'web', orphan: 'true', token_num_uses: '2' })
    expect(role.status).toBe(204)
    const read = await v.call('GET', 'auth/token/roles/lenient', { token: v.R })
    expect(read.json.data).toMatchObject({ orphan: true, token_num_uses: 2 })
  })

  it('unknown fields: a warning with sorted names when the endpoint answers with a body', async () => {
    const response = await rootCreate({ policies: ['p1'], zeta: 1, alpha: 'x' })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual(['Endpoint ignored these unrecognized parameters: [alpha zeta]'])
  })

  it('unknown fields: no warning (still 204) when the endpoint answers 204', async () => {
    const policy = await v.call('PUT', 'sys/policy/p8', {
      token: v.R,
      body: { policy: 'path "a" { capabilities = ["read"] }', extra: 1 },
    })
    expect(policy.status).toBe(204)
    expect(policy.text).toBe('')
    expect((await writeRole('quiet', { allowed_policies: 'web', extra: true })).status).toBe(204)
    expect((await post('auth/token/revoke', v.R, { token: 'nope', extra: 1 })).status).toBe(204)
  })

  it('unknown fields on a 200 role write (it has warnings) are reported with them', async () => {
    const response = await writeRole('w200', { token_period: '1h', period: '1h', bogus: 1 })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual([
      "Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value",
      'Endpoint ignored these unrecognized parameters: [bogus]',
    ])
  })

  it('X-Vault-Request is not needed and X-Vault-Namespace is ignored', async () => {
    const response = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Namespace': 'team-a' })
    expect(response.status).toBe(200)
  })
})

describe('spec §1.2 successful responses', () => {
  it('Cache-Control: no-store on every response, JSON bodies end with one newline', async () => {
    const answers = [
      await rootCreate({ policies: ['p1'] }),
      await v.call('PUT', 'sys/policy/p7', {
        token: v.R,
        body: { policy: 'path "a" {capabilities=["read"]}' },
      }),
      await v.call('GET', 'sys/policy/nope', { token: v.R }),
      await v.call('GET', 'auth/token/create', { token: v.R }),
      await v.call('POST', 'foo/bar', { token: v.R }),
      await v.call('GET', 'sys/health'),
      await v.call('HEAD', 'sys/health'),
      await v.call('GET', 'sys/seal-status'),
      await v.call('GET', 'auth/token/lookup-self'),
    ]
    for (const answer of answers) {
      expect(answer.headers.get('cache-control')).toBe('no-store')
      if (answer.text !== '') {
        expect(answer.headers.get('content-type')).toBe('application/json')
        expect(answer.text.endsWith('}\n')).toBe(true)
        expect(answer.text.endsWith('\n\n')).toBe(false)
      }
    }
  })

  it('a handler that returns nothing → 204 with an empty body', async () => {
    const response = await post('auth/token/revoke', v.R, { token: 'unknown' })
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
  })

  it('the envelope has every key, in order, and warnings null (never [])', async () => {
    const response = await v.call('GET', 'auth/token/lookup-self', { token: v.B })
    expect(Object.keys(response.json)).toEqual([
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
    expect(response.json.request_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(response.text).toContain('"warnings":null')
    expect(response.json.auth).toBeNull()
  })

  it('mount_type is token, system, kubernetes or approle after the mount that served the path', async () => {
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.R })).json.mount_type).toBe('token')
    expect((await v.call('GET', 'sys/policy/p1', { token: v.R })).json.mount_type).toBe('system')
    await post('sys/auth/kubernetes', v.R, { type: 'kubernetes' })
    await post('auth/kubernetes/config', v.R, { kubernetes_host: 'https://127.0.0.1:1' })
    expect((await v.call('GET', 'auth/kubernetes/config', { token: v.R })).json.mount_type).toBe('kubernetes')
    await post('sys/auth/approle', v.R, { type: 'approle' })
    await post('auth/approle/role/app', v.R, { token_policies: ['p1'] })
    expect((await v.call('GET', 'auth/approle/role/app/role-id', { token: v.R })).json.mount_type).toBe(
      'approle',
    )
  })

  it('the auth block has every key in order; metadata null without meta; no identity_policies', async () => {
    const response = await rootCreate({ policies: ['p1'] })
    expect(Object.keys(response.json.auth)).toEqual([
      'client_token',
      'accessor',
      'policies',
      'token_policies',
      'metadata',
      'lease_duration',
      'renewable',
      'entity_id',
      'token_type',
      'orphan',
      'mfa_requirement',
      'num_uses',
    ])
    expect(response.json.auth.metadata).toBeNull()
    expect(response.json.auth.policies).toEqual(response.json.auth.token_policies)
  })

  it('sys/policy (list) copies keys and policies to the top level; sys/policies/acl does not', async () => {
    const list = await v.call('GET', 'sys/policy', { token: v.R })
    expect(list.status).toBe(200)
    expect(list.json.keys).toEqual(list.json.data.keys)
    expect(list.json.policies).toEqual(list.json.data.policies)
    const acl = await v.call('GET', 'sys/policies/acl?list=true', { token: v.R })
    expect(acl.json).not.toHaveProperty('keys')
    expect(acl.json.data.keys).toContain('p1')
  })
})

describe('spec §1.3 errors', () => {
  it('no token → 403 bare permission denied, also through an empty X-Vault-Token', async () => {
    expectError(await v.call('GET', 'auth/token/lookup-self'), 403, 'permission denied')
    expectError(await v.call('GET', 'auth/token/lookup-self', { token: '' }), 403, 'permission denied')
  })

  it('an unknown, expired, revoked or used-up token → 403 with permission denied and invalid token', async () => {
    const twoErrors = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'
    expectError(await v.call('GET', 'auth/token/lookup-self', { token: 'nope' }), 403, twoErrors)
    const short = await rootCreate({ policies: ['p1'], ttl: '10s' })
    await post('/__testkit/clock/advance', undefined, { seconds: 10 })
    expectError(
      await v.call('GET', 'auth/token/lookup-self', { token: short.json.auth.client_token }),
      403,
      twoErrors,
    )
    const revoked = (await rootCreate({ policies: ['p1'] })).json.auth.client_token
    await post('auth/token/revoke', v.R, { token: revoked })
    expectError(await v.call('GET', 'auth/token/lookup-self', { token: revoked }), 403, twoErrors)
    const once = (await rootCreate({ policies: ['p1'], num_uses: 1 })).json.auth.client_token
    expect((await v.call('GET', 'auth/token/lookup-self', { token: once })).status).toBe(200)
    expectError(await v.call('GET', 'auth/token/lookup-self', { token: once }), 403, twoErrors)
  })

  it('an hvs. string longer than 33 characters that was never issued → bare permission denied', async () => {
    const forged = `hvs.${'A'.repeat(40)}`
    expectError(await v.call('GET', 'auth/token/lookup-self', { token: forged }), 403, 'permission denied')
    const short = `hvs.${'A'.repeat(20)}`
    expect((await v.call('GET', 'auth/token/lookup-self', { token: short })).json.errors[0]).toContain(
      'invalid token',
    )
  })

  it('routing errors for root; a token without a grant sees 403 in all three cases', async () => {
    expectError(await post('foo/bar', v.R, {}), 404, 'no handler for route "foo/bar". route entry not found.')
    expectError(await post('auth/token/nothing-here', v.R, {}), 404, wrapped('unsupported path'))
    expectError(
      await v.call('DELETE', 'auth/token/create', { token: v.R }),
      405,
      wrapped('unsupported operation'),
    )
    for (const [method, path] of [
      ['POST', 'foo/bar'],
      ['POST', 'auth/token/nothing-here'],
      ['DELETE', 'auth/token/create'],
    ] as const) {
      expectError(await v.call(method, path, { token: v.B, body: {} }), 403, wrapped('permission denied'))
    }
  })

  it('a list with no keys → 404 {"errors":[]}', async () => {
    for (const name of ['other', 'pod-capped', 'pod-child', 'pod-limited', 'pod-tokens']) {
      await v.call('DELETE', `auth/token/roles/${name}`, { token: v.R })
    }
    const response = await v.call('GET', 'auth/token/roles?list=true', { token: v.R })
    expect(response.status).toBe(404)
    expect(response.text).toBe('{"errors":[]}\n')
  })
})

describe('spec §1.4 tokens and accessors on the wire', () => {
  it('service tokens start hvs., accessors are 24 alphanumerics, lookups echo the string sent', async () => {
    const response = await rootCreate({ policies: ['p1'] })
    expect(response.json.auth.client_token).toMatch(/^hvs\.[A-Za-z0-9_-]{20,}$/)
    expect(response.json.auth.accessor).toMatch(/^[A-Za-z0-9]{24}$/)
    const lookup = await post('auth/token/lookup', v.R, { token: response.json.auth.client_token })
    expect(lookup.json.data.id).toBe(response.json.auth.client_token)
  })

  it('a custom id is returned exactly as chosen', async () => {
    const response = await rootCreate({ policies: ['p1'], id: 'My-Custom_Token' })
    expect(response.json.auth.client_token).toBe('My-Custom_Token')
    expect((await v.call('GET', 'auth/token/lookup-self', { token: 'My-Custom_Token' })).status).toBe(200)
  })
})

describe('spec §1.5 time', () => {
  it('an expired token is gone from every index (accessor invalid, not listed)', async () => {
    const response = await rootCreate({ policies: ['p1'], ttl: 60 })
    const { accessor } = response.json.auth
    await post('/__testkit/clock/advance', undefined, { seconds: 60 })
    expectError(await lookupAccessor(accessor), 400, wrapped('invalid accessor'))
    const listed = await v.call('GET', 'auth/token/accessors?list=true', { token: v.R })
    expect(listed.json.data.keys).not.toContain(accessor)
  })
})

describe('spec §2.1 policy endpoints', () => {
  const TEXT = 'path "x/*" { capabilities = ["read"] }'

  it('`rules` is an alias of `policy`', async () => {
    expect((await v.call('PUT', 'sys/policy/viarules', { token: v.R, body: { rules: TEXT } })).status).toBe(
      204,
    )
    expect((await v.call('GET', 'sys/policy/viarules', { token: v.R })).json.rules).toBe(TEXT)
  })

  it('an upper-case name is lowercased with a warning and answers 200', async () => {
    const response = await v.call('PUT', 'sys/policy/MyPol', { token: v.R, body: { policy: TEXT } })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual(['policy name was converted to mypol'])
    expect((await v.call('GET', 'sys/policy/mypol', { token: v.R })).json.name).toBe('mypol')
    const acl = await v.call('PUT', 'sys/policies/acl/OtherPol', { token: v.R, body: { policy: TEXT } })
    expect(acl.status).toBe(200)
    expect(acl.json.warnings).toEqual(['policy name was converted to otherpol'])
  })

  it('the text may be base64-encoded', async () => {
    const encoded = Buffer.from(TEXT).toString('base64')
    expect((await v.call('PUT', 'sys/policy/b64', { token: v.R, body: { policy: encoded } })).status).toBe(
      204,
    )
    expect((await v.call('GET', 'sys/policies/acl/b64', { token: v.R })).json.data.policy).toBe(TEXT)
  })

  it('GET sys/policy lists sorted names including default and root', async () => {
    const response = await v.call('GET', 'sys/policy', { token: v.R })
    const names = response.json.data.keys as string[]
    expect(names).toContain('default')
    expect(names).toContain('root')
    expect(names).toEqual([...names].sort())
    expect(response.json.data.policies).toEqual(names)
  })

  it('default and root cannot be deleted (400) through either path', async () => {
    for (const path of [
      'sys/policy/default',
      'sys/policy/root',
      'sys/policies/acl/default',
      'sys/policies/acl/root',
    ]) {
      expect((await v.call('DELETE', path, { token: v.R })).status).toBe(400)
    }
    expect((await v.call('GET', 'sys/policy/default', { token: v.R })).status).toBe(200)
  })

  it('root cannot be written (400)', async () => {
    for (const path of ['sys/policy/root', 'sys/policies/acl/root']) {
      const response = await v.call('PUT', path, { token: v.R, body: { policy: TEXT } })
      expect(response.status).toBe(400)
    }
  })

  it('sys/policies/acl: write 204, read data only, list data.keys, delete 204, missing 404', async () => {
    expect((await v.call('PUT', 'sys/policies/acl/a1', { token: v.R, body: { policy: TEXT } })).status).toBe(
      204,
    )
    const read = await v.call('GET', 'sys/policies/acl/a1', { token: v.R })
    expect(read.json.data).toEqual({ name: 'a1', policy: TEXT })
    expect(read.json).not.toHaveProperty('policy')
    expect((await v.call('GET', 'sys/policies/acl?list=true', { token: v.R })).json.data.keys).toContain('a1')
    expect((await v.call('DELETE', 'sys/policies/acl/a1', { token: v.R })).status).toBe(204)
    const missing = await v.call('GET', 'sys/policies/acl/a1', { token: v.R })
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({ errors: [] })
    const broken = await v.call('PUT', 'sys/policies/acl/a2', { token: v.R, body: { policy: 'path "x" {' } })
    expect(broken.status).toBe(400)
    expect(broken.json.errors[0].startsWith('failed to parse policy: ')).toBe(true)
  })

  it('policy management needs the capability on sys/policy/* or sys/policies/acl/*', async () => {
    expectError(
      await v.call('PUT', 'sys/policy/z', { token: v.B, body: { policy: TEXT } }),
      403,
      wrapped('permission denied'),
    )
    const manager = await tokenWith('path "sys/policies/acl/*" { capabilities = ["update"] }')
    expect(
      (await v.call('PUT', 'sys/policies/acl/z', { token: manager, body: { policy: TEXT } })).status,
    ).toBe(204)
    expect((await v.call('PUT', 'sys/policy/z', { token: manager, body: { policy: TEXT } })).status).toBe(403)
  })
})

describe('spec §2.3 wrapping limits on the wire', () => {
  it('max below min (from two policies on the same path) denies every wrap TTL', async () => {
    const limits = [
      'path "auth/token/create-orphan" { capabilities = ["update"] min_wrapping_ttl = "2m" }',
      'path "auth/token/create-orphan" { capabilities = ["update"] max_wrapping_ttl = "1m" }',
    ]
    for (const [index, policy] of limits.entries()) {
      expect((await v.call('PUT', `sys/policy/lim${index}`, { token: v.R, body: { policy } })).status).toBe(
        204,
      )
    }
    const token = (await rootCreate({ policies: ['lim0', 'lim1'] })).json.auth.client_token
    for (const ttl of ['30s', '90s', '3m']) {
      const response = await post('auth/token/create-orphan', token, {}, { 'X-Vault-Wrap-TTL': ttl })
      expectError(response, 403, wrapped('permission denied'))
    }
  })
})

describe('spec §2.4 built-in policies', () => {
  it('default allows lookup-self (GET), renew-self, revoke-self, wrapping wrap/lookup/unwrap only', async () => {
    const token = (await rootCreate({ policies: ['default'] })).json.auth.client_token
    expect((await v.call('GET', 'auth/token/lookup-self', { token })).status).toBe(200)
    expect((await post('auth/token/lookup-self', token, {})).status).toBe(403)
    expect((await post('auth/token/renew-self', token, {})).status).toBe(200)
    expect((await post('sys/wrapping/wrap', token, { a: 1 }, { 'X-Vault-Wrap-TTL': '60' })).status).toBe(200)
    for (const path of ['auth/token/lookup', 'auth/token/lookup-accessor', 'auth/token/revoke-accessor']) {
      expect((await post(path, token, {})).status).toBe(403)
    }
    const wrappedAnswer = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '60' })
    const rewrap = await post('sys/wrapping/rewrap', token, { token: wrappedAnswer.json.wrap_info.token })
    expect(rewrap.status).toBe(403)
    expect((await post('auth/token/revoke-self', token, {})).status).toBe(204)
  })

  it('response-wrapping cannot be written', async () => {
    const response = await v.call('PUT', 'sys/policy/response-wrapping', {
      token: v.R,
      body: { policy: 'path "x" { capabilities = ["read"] }' },
    })
    expect(response.status).toBe(400)
  })
})

describe('spec §2.5 capabilities', () => {
  it('sending id needs sudo on that exact create path', async () => {
    const noSudo = await tokenWith(CREATE_ORPHAN)
    expectError(
      await post('auth/token/create-orphan', noSudo, { id: 'abc' }),
      400,
      'root or sudo privileges required to specify token id',
    )
    const sudo = await tokenWith(SUDO_CREATE_ORPHAN)
    const response = await post('auth/token/create-orphan', sudo, { id: 'abc' })
    expect(response.status).toBe(200)
    expect(response.json.auth.client_token).toBe('abc')
  })
})

describe('spec §3.1 creation endpoints', () => {
  it('GET on each create endpoint → 405', async () => {
    for (const path of ['auth/token/create', 'auth/token/create-orphan', 'auth/token/create/pod-tokens']) {
      expectError(await v.call('GET', path, { token: v.R }), 405, wrapped('unsupported operation'))
    }
  })

  it('role names match \\w([\\w-.]*\\w)?: a name ending in - is not a route', async () => {
    expect((await writeRole('a.b-c_d', { allowed_policies: 'web' })).status).toBe(204)
    expect((await post('auth/token/create/a.b-c_d', v.R, {})).status).toBe(200)
    expect((await post('auth/token/create/bad-', v.R, {})).status).toBe(404)
  })
})

describe('spec §3.2 parameters', () => {
  it('a plain-string policies is one name (commas are not split)', async () => {
    const response = await rootCreate({ policies: 'p1,p2' })
    expect(response.json.auth.policies).toEqual(['default', 'p1,p2'])
    const single = await rootCreate({ policies: 'p1' })
    expect(single.json.auth.policies).toEqual(['default', 'p1'])
  })

  it('meta is stored and returned without a warning', async () => {
    const response = await rootCreate({ policies: ['p1'], meta: { b: '2', a: '1' } })
    expect(response.json.warnings).toBeNull()
    expect(response.json.auth.metadata).toEqual({ a: '1', b: '2' })
    const lookup = await lookupAccessor(response.json.auth.accessor)
    expect(lookup.json.data.meta).toEqual({ a: '1', b: '2' })
  })

  it('lease is a deprecated alias of ttl that takes Go durations only', async () => {
    expect((await rootCreate({ policies: ['p1'], lease: '1h' })).json.auth.lease_duration).toBe(3600)
    expectError(
      await rootCreate({ policies: ['p1'], lease: '3600' }),
      400,
      'time: missing unit in duration "3600"',
    )
    expect((await rootCreate({ policies: ['p1'], lease: '1h', ttl: '2h' })).json.auth.lease_duration).toBe(
      7200,
    )
    expectError(await rootCreate({ policies: ['p1'], lease: '-1h' }), 400, 'lease must be positive')
  })

  it('type service is accepted; an invalid type is refused', async () => {
    expect((await rootCreate({ policies: ['p1'], type: 'service' })).status).toBe(200)
    expectError(await rootCreate({ policies: ['p1'], type: 'weird' }), 400, "invalid 'token_type' value")
  })
})

describe('spec §3.3 processing order and errors', () => {
  it('step 1: the ACL check comes before everything (even a broken body or unknown role)', async () => {
    expectError(await post('auth/token/create/nope', v.B, { ttl: 'abc' }), 403, wrapped('permission denied'))
  })

  it('step 2: a restricted-use parent cannot create tokens, and the request spends one of its uses', async () => {
    const limited = (await rootCreate({ policies: ['root'], num_uses: 3, ttl: '1h' })).json.auth.client_token
    expectError(
      await post('auth/token/create-orphan', limited, { policies: ['p1'] }),
      400,
      'restricted use token cannot generate child tokens',
    )
    const lookup = await v.call('GET', 'auth/token/lookup-self', { token: limited })
    expect(lookup.json.data.num_uses).toBe(1)
  })

  it('step 3: sudo is decided on the exact request path, wildcard rules included', async () => {
    const token = await tokenWith('path "auth/token/create/pod-*" { capabilities = ["update", "sudo"] }')
    const response = await post('auth/token/create/pod-tokens', token, { policies: ['web'], period: '30m' })
    expect(response.status).toBe(200)
    expect(response.json.auth.lease_duration).toBe(1800)
  })

  it('step 4: a body that cannot be decoded → bare Error decoding request', async () => {
    const response = await rootCreate({ policies: ['p1'], meta: { nested: { a: 1 } } })
    expect(response.status).toBe(400)
    expect(response.json.errors).toHaveLength(1)
    expect(response.json.errors[0].startsWith('Error decoding request: ')).toBe(true)
  })

  it('step 5: token type before uses; batch rejects explicit_max_ttl, num_uses and period', async () => {
    expectError(await rootCreate({ type: 'x', num_uses: -1 }), 400, "invalid 'token_type' value")
    expectError(
      await rootCreate({ type: 'batch', explicit_max_ttl: '1h' }),
      400,
      'batch tokens cannot have "explicit_max_ttl" set',
    )
    expectError(
      await rootCreate({ type: 'batch', num_uses: 2 }),
      400,
      'batch tokens cannot have "num_uses" set',
    )
    expectError(
      await rootCreate({ type: 'batch', period: '1h' }),
      400,
      'batch tokens cannot have "period" set',
    )
  })

  it('step 5: a role token_type overrides the request', async () => {
    await writeRole('pod-svc', { allowed_policies: 'web', token_type: 'service' })
    const response = await post('auth/token/create/pod-svc', v.C, { policies: ['web'], type: 'batch' })
    expect(response.status).toBe(200)
    expect(response.json.auth.token_type).toBe('service')
  })

  it('step 6 before 7: negative uses beat a stray entity_alias', async () => {
    expectError(
      await rootCreate({ num_uses: -1, entity_alias: 'x' }),
      400,
      'number of uses cannot be negative',
    )
  })

  it('step 7: entity_alias matches allowed_entity_aliases exactly or by glob, in lowercase', async () => {
    await writeRole('pod-ent', { allowed_policies: 'web', allowed_entity_aliases: ['App-*', 'Exact'] })
    const globbed = await post('auth/token/create/pod-ent', v.C, {
      policies: ['web'],
      entity_alias: 'APP-one',
    })
    expect(globbed.status).toBe(200)
    expect(globbed.json.auth.entity_id).not.toBe('')
    const exact = await post('auth/token/create/pod-ent', v.C, { policies: ['web'], entity_alias: 'exact' })
    expect(exact.status).toBe(200)
    expectError(
      await post('auth/token/create/pod-ent', v.C, { policies: ['web'], entity_alias: 'other' }),
      400,
      "invalid 'entity_alias' value",
    )
  })

  it('step 8 before 9: the id check answers before the policy subset check', async () => {
    const token = await tokenWith(CREATE_ORPHAN)
    expectError(
      await post('auth/token/create-orphan', token, { id: 'x', policies: ['p3'] }),
      400,
      'root or sudo privileges required to specify token id',
    )
  })

  it('step 8: a custom id must not start with hvs. or s. nor contain a dot; it adds a warning', async () => {
    for (const id of ['hvs.abc', 's.abc', 'a.b']) {
      expect((await rootCreate({ id })).status).toBe(400)
    }
    const response = await rootCreate({ id: 'plain-id', policies: ['p1'] })
    expect(response.json.warnings).toEqual([
      'Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.',
    ])
  })

  it('step 9: root in the result while the parent is not root', async () => {
    const sudo = await tokenWith(SUDO_CREATE_ORPHAN)
    expectError(
      await post('auth/token/create-orphan', sudo, { policies: ['root'] }),
      400,
      'root tokens may not be created without parent token being root',
    )
  })

  it('step 9 before 10: a policy error beats the orphan error', async () => {
    const creator = await tokenWith('path "auth/token/create" { capabilities = ["update"] }')
    expectError(
      await post('auth/token/create', creator, { policies: ['p3'], no_parent: true }),
      400,
      'child policies must be subset of parent',
    )
  })

  it('step 10: no_parent without sudo is refused on create and on create-orphan', async () => {
    const creator = await tokenWith('path "auth/token/create" { capabilities = ["update"] }')
    expectError(
      await post('auth/token/create', creator, { no_parent: true }),
      400,
      'root or sudo privileges required to create orphan token',
    )
    expectError(
      await post('auth/token/create-orphan', v.B, { policies: ['p1'], no_parent: true }),
      400,
      'root or sudo privileges required to create orphan token',
    )
    const rootOrphan = await post('auth/token/create', v.R, { policies: ['p1'], no_parent: true })
    expect(rootOrphan.json.auth.orphan).toBe(true)
  })

  it('step 10: with a role, no_parent is ignored (no error, no effect)', async () => {
    const response = await post('auth/token/create/pod-child', v.C, { policies: ['web'], no_parent: true })
    expect(response.status).toBe(200)
    expect(response.json.auth.orphan).toBe(false)
  })

  it('step 10: a child inherits the parent entity_id', async () => {
    await writeRole('ent-parent', { allowed_policies: ['creator'], allowed_entity_aliases: 'a' })
    const parent = await post('auth/token/create/ent-parent', v.R, {
      policies: ['creator'],
      entity_alias: 'a',
    })
    const entityId = parent.json.auth.entity_id
    expect(entityId).not.toBe('')
    const child = await post('auth/token/create', parent.json.auth.client_token, { policies: ['creator'] })
    expect(child.status).toBe(200)
    expect(child.json.auth.entity_id).toBe(entityId)
  })

  it('steps 10 → 11 → 12 → 13 in order', async () => {
    expectError(
      await post('auth/token/create-orphan', v.B, { no_parent: true, explicit_max_ttl: 'x' }),
      400,
      'root or sudo privileges required to create orphan token',
    )
    expectError(
      await rootCreate({ explicit_max_ttl: 'x', period: 'y', ttl: 'z' }),
      400,
      'time: invalid duration "x"',
    )
    expectError(await rootCreate({ period: 'y', ttl: 'z' }), 400, 'time: invalid duration "y"')
    expectError(await rootCreate({ ttl: 'z' }), 400, 'time: invalid duration "z"')
  })

  it('steps 11–13: negative values', async () => {
    expectError(await rootCreate({ explicit_max_ttl: '-1h' }), 400, 'explicit_max_ttl must be positive')
    expectError(await rootCreate({ period: '-1h' }), 400, 'period must be positive')
    expectError(await rootCreate({ ttl: '-1h' }), 400, 'ttl must be positive')
    expectError(await rootCreate({ ttl: -5 }), 400, 'ttl must be positive')
    expectError(await rootCreate({ ttl: '-500ms' }), 400, 'ttl must be positive')
    expectError(await rootCreate({ period: '-1ms' }), 400, 'period must be positive')
  })

  it('step 11: explicit_max_ttl needs no sudo; step 12: period 0 is ignored', async () => {
    const capped = await post('auth/token/create-orphan', v.B, { policies: ['p1'], explicit_max_ttl: '1h' })
    expect(capped.status).toBe(200)
    expect(capped.json.auth.lease_duration).toBe(3600)
    expect((await post('auth/token/create-orphan', v.B, { policies: ['p1'], period: 0 })).status).toBe(200)
  })

  it('step 12: a period on a role endpoint needs sudo whatever the role says', async () => {
    expectError(
      await post('auth/token/create/pod-child', v.C, { policies: ['web'], period: '1h' }),
      400,
      'root or sudo privileges required to create periodic token',
    )
  })
})

describe('spec §3.4 policies without a role', () => {
  it('sanitising: trim, lowercase, drop empty, dedupe, sort; root collapses', async () => {
    const response = await rootCreate({ policies: [' P2 ', '', 'p1', 'p2'] })
    expect(response.json.auth.policies).toEqual(['default', 'p1', 'p2'])
    const root = await rootCreate({ policies: ['p1', 'root'] })
    expect(root.json.auth.policies).toEqual(['root'])
  })

  it('a root caller omitting policies creates a root token that never expires and is not renewable', async () => {
    const response = await rootCreate({})
    expect(response.json.auth).toMatchObject({ policies: ['root'], lease_duration: 0, renewable: false })
    const lookup = await lookupAccessor(response.json.auth.accessor)
    expect(lookup.json.data).toMatchObject({ ttl: 0, expire_time: null, renewable: false })
  })

  it('no policies → the parent policies as they are, default included', async () => {
    expect((await post('auth/token/create-orphan', v.B, {})).json.auth.policies).toEqual([
      'broker',
      'default',
      'p1',
      'p2',
    ])
  })

  it('without sudo default is added only when the parent has it', async () => {
    const parent = await post('auth/token/create', v.R, {
      policies: ['creator', 'p1'],
      no_default_policy: true,
    })
    expect(parent.json.auth.policies).toEqual(['creator', 'p1'])
    const child = await post('auth/token/create', parent.json.auth.client_token, { policies: ['p1'] })
    expect(child.json.auth.policies).toEqual(['p1'])
    const withDefault = await post('auth/token/create', parent.json.auth.client_token, {
      policies: ['p1', 'default'],
    })
    expect(withDefault.json.auth.policies).toEqual(['p1'])
  })

  it('with sudo anything goes and default is added unless no_default_policy', async () => {
    const sudo = await tokenWith(SUDO_CREATE_ORPHAN)
    expect((await post('auth/token/create-orphan', sudo, { policies: ['p3'] })).json.auth.policies).toEqual([
      'default',
      'p3',
    ])
    expect(
      (await post('auth/token/create-orphan', sudo, { policies: ['p3'], no_default_policy: true })).json.auth
        .policies,
    ).toEqual(['p3'])
  })

  it('no_default_policy also strips an inherited default', async () => {
    const response = await post('auth/token/create-orphan', v.B, { no_default_policy: true })
    expect(response.json.auth.policies).toEqual(['broker', 'p1', 'p2'])
  })

  it("a role's token_no_default_policy has no effect when the role has no policy lists", async () => {
    await writeRole('pod-nolists', { token_no_default_policy: true })
    const response = await post('auth/token/create/pod-nolists', v.C, { policies: ['ctl'] })
    expect(response.json.auth.policies).toEqual(['ctl', 'default'])
    expectError(
      await post('auth/token/create/pod-nolists', v.C, { policies: ['web'] }),
      400,
      'child policies must be subset of parent',
    )
  })
})

describe('spec §3.5 TTL', () => {
  it('a TTL above the mount max is capped with a Go-duration warning', async () => {
    const response = await rootCreate({ policies: ['p1'], ttl: '9000h' })
    expect(response.json.auth.lease_duration).toBe(2764800)
    expect(response.json.warnings).toEqual([
      'TTL of "9000h" exceeded the effective max_ttl of "768h"; TTL value is capped accordingly',
    ])
  })

  it('a period above the mount max is capped with its own warning', async () => {
    const response = await rootCreate({ policies: ['p1'], period: '9000h' })
    expect(response.json.auth.lease_duration).toBe(2764800)
    expect(response.json.warnings).toEqual([
      'period of "9000h" exceeded the effective max_ttl of "768h"; period value is capped accordingly',
    ])
  })

  it('the explicit max lowers the max for the TTL and the period', async () => {
    const ttl = await rootCreate({ policies: ['p1'], ttl: '2h', explicit_max_ttl: '1h' })
    expect(ttl.json.auth.lease_duration).toBe(3600)
    expect(ttl.json.warnings).toEqual([
      'TTL of "2h" exceeded the effective max_ttl of "1h"; TTL value is capped accordingly',
    ])
    const period = await rootCreate({ policies: ['p1'], period: '2h', explicit_max_ttl: '1h30m' })
    expect(period.json.auth.lease_duration).toBe(5400)
    expect(period.json.warnings).toEqual([
      'period of "2h" exceeded the effective max_ttl of "1h30m"; period value is capped accordingly',
    ])
  })

  it('with a period the requested ttl is ignored; without any the mount default 768h applies', async () => {
    expect((await rootCreate({ policies: ['p1'], period: '30m', ttl: '2h' })).json.auth.lease_duration).toBe(
      1800,
    )
    const plain = await rootCreate({ policies: ['p1'] })
    expect(plain.json.auth.lease_duration).toBe(2764800)
    expect(plain.json.warnings).toBeNull()
  })

  it('a root token with a ttl expires', async () => {
    const response = await rootCreate({ ttl: '1h' })
    expect(response.json.auth).toMatchObject({ policies: ['root'], lease_duration: 3600, renewable: true })
  })
})

describe('spec §3.6 display name and path', () => {
  it.each([
    ['', 'token'],
    ['my app/1!', 'token-my-app-1'],
    ['a--', 'token-a-'],
    ['Web_7', 'token-Web-7'],
  ])('display_name %j → %j', async (requested, expected) => {
    const body: Record<string, unknown> = { policies: ['p1'] }
    if (requested !== '') body.display_name = requested
    const response = await rootCreate(body)
    expect((await lookupAccessor(response.json.auth.accessor)).json.data.display_name).toBe(expected)
  })

  it('path is auth/token/create, create-orphan or create/<role>/<suffix>', async () => {
    const child = await post('auth/token/create', v.R, { policies: ['p1'] })
    expect((await lookupAccessor(child.json.auth.accessor)).json.data.path).toBe('auth/token/create')
    const orphan = await rootCreate({ policies: ['p1'] })
    expect((await lookupAccessor(orphan.json.auth.accessor)).json.data.path).toBe('auth/token/create-orphan')
    await writeRole('pod-suffix', { allowed_policies: 'web', path_suffix: 'v123' })
    const role = await post('auth/token/create/pod-suffix', v.C, { policies: ['web'] })
    const lookup = await lookupAccessor(role.json.auth.accessor)
    expect(lookup.json.data).toMatchObject({ path: 'auth/token/create/pod-suffix/v123', role: 'pod-suffix' })
  })
})

describe('spec §3.8 warnings, in order', () => {
  it('role merge, TTL cap, custom id, missing policy, unrecognized parameters', async () => {
    await writeRole('warn-all', { token_explicit_max_ttl: '2h' })
    const response = await post('auth/token/create/warn-all', v.R, {
      explicit_max_ttl: '3h',
      ttl: '5h',
      id: 'custom1',
      policies: ['nope', 'alsonope'],
      zzz: 1,
    })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual([
      'Explicit max TTL specified both during creation call and in role; using the lesser value of 7200 seconds',
      'TTL of "5h" exceeded the effective max_ttl of "2h"; TTL value is capped accordingly',
      'Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.',
      'Policy "alsonope" does not exist',
      'Policy "nope" does not exist',
      'Endpoint ignored these unrecognized parameters: [zzz]',
    ])
  })
})

describe('spec §4.1 role endpoints', () => {
  it('a write with warnings answers 200; a delete of a missing role 204', async () => {
    const response = await writeRole('warned', { token_period: '1h', period: '2h' })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual([
      "Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value",
    ])
    expect((await v.call('DELETE', 'auth/token/roles/never-was', { token: v.R })).status).toBe(204)
  })

  it('a write to an existing role changes only the fields present', async () => {
    expect((await writeRole('pod-tokens', { orphan: false })).status).toBe(204)
    const read = await v.call('GET', 'auth/token/roles/pod-tokens', { token: v.R })
    expect(read.json.data).toMatchObject({
      orphan: false,
      allowed_policies: ['db', 'web'],
      allowed_policies_glob: ['team-*'],
      token_period: 3600,
    })
  })

  it('list needs list on auth/token/roles (with or without slash) or a covering prefix rule', async () => {
    for (const rule of ['auth/token/roles', 'auth/token/roles/', 'auth/token/*']) {
      const token = await tokenWith(`path "${rule}" { capabilities = ["list"] }`)
      const response = await v.call('GET', 'auth/token/roles?list=true', { token })
      expect(response.status).toBe(200)
      expect(response.json.data.keys).toEqual([
        'other',
        'pod-capped',
        'pod-child',
        'pod-limited',
        'pod-tokens',
      ])
    }
    const reader = await tokenWith('path "auth/token/roles" { capabilities = ["read"] }')
    expect((await v.call('GET', 'auth/token/roles?list=true', { token: reader })).status).toBe(403)
  })
})

describe('spec §4.2 role fields', () => {
  it('lists accept comma strings: allowed sanitised without default, disallowed lowercased and sorted', async () => {
    await writeRole('commas', {
      allowed_policies: ' Web ,db,web,',
      disallowed_policies: 'Zed, alpha ,alpha',
      allowed_policies_glob: 'Team-*',
      disallowed_policies_glob: '*-Admin',
      allowed_entity_aliases: 'Foo,foo,BAR',
    })
    const data = (await v.call('GET', 'auth/token/roles/commas', { token: v.R })).json.data
    expect(data).toMatchObject({
      allowed_policies: ['db', 'web'],
      disallowed_policies: ['alpha', 'zed'],
      allowed_policies_glob: ['team-*'],
      disallowed_policies_glob: ['*-admin'],
    })
    expect([...data.allowed_entity_aliases].sort()).toEqual(['bar', 'foo'])
  })

  it('path_suffix must match \\w[\\w-.]+\\w and contain no ..', async () => {
    expectError(
      await writeRole('sfx', { path_suffix: 'v1' }),
      400,
      String.raw`given role path suffix contains invalid characters; must match \w[\w-.]+\w`,
    )
    expectError(
      await writeRole('sfx', { path_suffix: 'a..b' }),
      400,
      'error registering path suffix: path cannot contain parent references',
    )
    expect((await writeRole('sfx', { path_suffix: 'v12' })).status).toBe(204)
  })

  it('token_type errors', async () => {
    expectError(await writeRole('tt', { token_type: 'weird' }), 400, `invalid 'token_type' value "weird"`)
    expectError(await writeRole('tt', { token_type: null }), 400, "Invalid 'token_type' value: null")
  })

  it('negative token_num_uses and token_period', async () => {
    expectError(
      await writeRole('neg', { token_num_uses: -1 }),
      400,
      "error parsing role fields: 'token_num_uses' cannot be negative",
    )
    expectError(
      await writeRole('neg', { token_period: -5 }),
      400,
      "error parsing role fields: 'token_period' cannot be negative",
    )
  })

  it('batch roles: non-orphan, then periodic, then renewable, then explicit max', async () => {
    const prefix = "'token_type' cannot be 'batch' when role is set to generate"
    expectError(
      await writeRole('b', { token_type: 'batch', token_period: '1h', renewable: true }),
      400,
      `${prefix} non-orphan tokens`,
    )
    expectError(
      await writeRole('b', { token_type: 'batch', orphan: true, token_period: '1h' }),
      400,
      `${prefix} periodic tokens`,
    )
    expectError(
      await writeRole('b', { token_type: 'batch', orphan: true }),
      400,
      `${prefix} renewable tokens`,
    )
    expectError(
      await writeRole('b', {
        token_type: 'batch',
        orphan: true,
        renewable: false,
        token_explicit_max_ttl: '1h',
      }),
      400,
      `${prefix} tokens with an explicit max TTL`,
    )
  })

  it('deprecated alias warnings for explicit_max_ttl and bound_cidrs', async () => {
    const response = await writeRole('al', {
      token_explicit_max_ttl: '1h',
      explicit_max_ttl: '2h',
      token_bound_cidrs: ['127.0.0.1/32'],
      bound_cidrs: ['10.0.0.0/8'],
    })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual([
      "Both 'token_explicit_max_ttl' and deprecated 'explicit_max_ttl' value supplied, ignoring the deprecated value",
      "Both 'token_bound_cidrs' and deprecated 'bound_cidrs' value supplied, ignoring the deprecated value",
    ])
  })

  it('an explicit max above the mount max warns', async () => {
    const response = await writeRole('big', { token_explicit_max_ttl: '9000h' })
    expect(response.status).toBe(200)
    expect(response.json.warnings).toEqual([
      'Given explicit max TTL of 32400000 is greater than system/mount allowed value of 2764800 seconds; until this is fixed attempting to create tokens against this role will result in an error',
    ])
  })

  it('token_ttl, token_max_ttl and token_policies are ignored without a warning', async () => {
    const response = await writeRole('ign', {
      allowed_policies: 'web',
      token_ttl: '1m',
      token_max_ttl: '2m',
      token_policies: ['db'],
    })
    expect(response.status).toBe(204)
    const token = await post('auth/token/create/ign', v.R, {})
    expect(token.json.auth).toMatchObject({ policies: ['default', 'web'], lease_duration: 2764800 })
  })
})

describe('spec §4.3 role read data', () => {
  it('defaults: [] lists, allowed_entity_aliases null, no optional keys', async () => {
    await writeRole('bare', {})
    const data = (await v.call('GET', 'auth/token/roles/bare', { token: v.R })).json.data
    expect(Object.keys(data).sort()).toEqual(
      [
        'name',
        'allowed_policies',
        'disallowed_policies',
        'allowed_policies_glob',
        'disallowed_policies_glob',
        'orphan',
        'renewable',
        'path_suffix',
        'token_type',
        'token_period',
        'period',
        'token_explicit_max_ttl',
        'explicit_max_ttl',
        'token_no_default_policy',
        'allowed_entity_aliases',
      ].sort(),
    )
    expect(data).toMatchObject({
      allowed_policies: [],
      disallowed_policies: [],
      allowed_entity_aliases: null,
      token_type: 'default-service',
      renewable: true,
      orphan: false,
    })
  })

  it('deprecated names show only when written through them; optional keys when set', async () => {
    await writeRole('dep', {
      period: '1h',
      explicit_max_ttl: '2h',
      bound_cidrs: '127.0.0.1/32',
      token_num_uses: 2,
    })
    const data = (await v.call('GET', 'auth/token/roles/dep', { token: v.R })).json.data
    expect(data).toMatchObject({
      token_period: 3600,
      period: 3600,
      token_explicit_max_ttl: 7200,
      explicit_max_ttl: 7200,
      token_bound_cidrs: ['127.0.0.1/32'],
      bound_cidrs: ['127.0.0.1/32'],
      token_num_uses: 2,
    })
  })
})

describe('spec §4.4 create/:role_name', () => {
  it('default in disallowed_policies (or matched by the glob) is not added', async () => {
    await writeRole('pod-nodef', { allowed_policies: 'web', disallowed_policies: 'default' })
    expect((await post('auth/token/create/pod-nodef', v.C, {})).json.auth.policies).toEqual(['web'])
    await writeRole('pod-nodefglob', { allowed_policies: 'web', disallowed_policies_glob: 'def*' })
    expect(
      (await post('auth/token/create/pod-nodefglob', v.C, { policies: ['web'] })).json.auth.policies,
    ).toEqual(['web'])
  })

  it("the role's token_no_default_policy drops default in this branch", async () => {
    await writeRole('pod-nd', { allowed_policies: 'web', token_no_default_policy: true })
    expect((await post('auth/token/create/pod-nd', v.C, {})).json.auth.policies).toEqual(['web'])
  })

  it('the subset error shows [] for an empty glob list', async () => {
    expectError(
      await post('auth/token/create/pod-child', v.C, { policies: ['p3'] }),
      400,
      'token policies (["default" "p3"]) must be subset of the role\'s allowed policies (["default" "web"]) or glob policies ([])',
    )
  })

  it('disallowed-only roles: parent policies without a request, no subset check with one', async () => {
    await writeRole('pod-dis', { disallowed_policies: 'db' })
    expect((await post('auth/token/create/pod-dis', v.C, {})).json.auth.policies).toEqual(['ctl', 'default'])
    expect((await post('auth/token/create/pod-dis', v.C, { policies: ['p3'] })).json.auth.policies).toEqual([
      'default',
      'p3',
    ])
    expectError(
      await post('auth/token/create/pod-dis', v.C, { policies: ['db'] }),
      400,
      'token policy "db" is disallowed by this role',
    )
  })

  it('the first disallowed policy in sorted order is named; globs disallow too', async () => {
    await writeRole('pod-dis2', { disallowed_policies: ['p2', 'p1'] })
    expectError(
      await post('auth/token/create/pod-dis2', v.C, { policies: ['p2', 'p1'] }),
      400,
      'token policy "p1" is disallowed by this role',
    )
    expectError(
      await post('auth/token/create/pod-tokens', v.C, { policies: ['team-admin'] }),
      400,
      'token policy "team-admin" is disallowed by this role',
    )
  })

  it('globs: * anywhere, any number of times', async () => {
    await writeRole('pod-glob', { allowed_policies_glob: ['t*m-*e'] })
    expect((await post('auth/token/create/pod-glob', v.C, { policies: ['team-blue'] })).status).toBe(200)
    expect((await post('auth/token/create/pod-glob', v.C, { policies: ['team-admin'] })).status).toBe(400)
  })

  it("the caller's sudo plays no part: root gets the same subset error", async () => {
    expect((await post('auth/token/create/pod-child', v.R, { policies: ['p3'] })).status).toBe(400)
  })

  it('response-wrapping and root are still refused through a role', async () => {
    await writeRole('pod-open', { disallowed_policies: 'x' })
    expectError(
      await post('auth/token/create/pod-open', v.C, { policies: ['response-wrapping'] }),
      400,
      'cannot assign policy "response-wrapping"',
    )
    expectError(
      await post('auth/token/create/pod-open', v.C, { policies: ['root'] }),
      400,
      'root tokens may not be created without parent token being root',
    )
  })

  it('orphan false → a child of the caller', async () => {
    const response = await post('auth/token/create/pod-child', v.C, { policies: ['web'] })
    expect(response.json.auth.orphan).toBe(false)
    await post('auth/token/revoke', v.R, { token: v.C })
    expect((await lookupAccessor(response.json.auth.accessor)).status).toBe(400)
  })

  it('renewable false if the request or the role says so', async () => {
    expect((await post('auth/token/create/pod-child', v.C, { renewable: false })).json.auth.renewable).toBe(
      false,
    )
    expect((await post('auth/token/create/pod-limited', v.C, {})).json.auth.renewable).toBe(false)
  })

  it('uses: role 0 → request; request 0 → role; both → the smaller', async () => {
    expect((await post('auth/token/create/pod-child', v.C, { num_uses: 2 })).json.auth.num_uses).toBe(2)
    expect((await post('auth/token/create/pod-limited', v.C, {})).json.auth.num_uses).toBe(3)
    expect((await post('auth/token/create/pod-limited', v.C, { num_uses: 5 })).json.auth.num_uses).toBe(3)
    expect((await post('auth/token/create/pod-limited', v.C, { num_uses: 2 })).json.auth.num_uses).toBe(2)
  })

  it('period in role and request (sudo caller) → the smaller with a warning', async () => {
    const smaller = await post('auth/token/create/pod-tokens', v.R, { policies: ['web'], period: '30m' })
    expect(smaller.json.auth.lease_duration).toBe(1800)
    expect(smaller.json.warnings).toEqual([
      'Period specified both during creation call and in role; using the lesser value of 1800 seconds',
    ])
    const larger = await post('auth/token/create/pod-tokens', v.R, { policies: ['web'], period: '2h' })
    expect(larger.json.auth.lease_duration).toBe(3600)
    expect(larger.json.warnings).toEqual([
      'Period specified both during creation call and in role; using the lesser value of 3600 seconds',
    ])
  })

  it('explicit max: the role alone, or the smaller of both with a warning; no sudo needed', async () => {
    const roleOnly = await post('auth/token/create/pod-capped', v.C, { policies: ['web'], ttl: '1h' })
    expect(roleOnly.json.auth.lease_duration).toBe(3600)
    expect(roleOnly.json.warnings).toBeNull()
    const both = await post('auth/token/create/pod-capped', v.C, {
      policies: ['web'],
      explicit_max_ttl: '1h',
    })
    expect(both.json.auth.lease_duration).toBe(3600)
    expect(both.json.warnings).toEqual([
      'Explicit max TTL specified both during creation call and in role; using the lesser value of 3600 seconds',
      'TTL of "768h" exceeded the effective max_ttl of "1h"; TTL value is capped accordingly',
    ])
  })

  it('bound CIDRs come from the role', async () => {
    await writeRole('pod-cidr', { allowed_policies: 'web', token_bound_cidrs: '10.1.0.0/16' })
    const response = await post('auth/token/create/pod-cidr', v.C, {})
    const lookup = await lookupAccessor(response.json.auth.accessor)
    expect(lookup.json.data.bound_cidrs).toEqual(['10.1.0.0/16'])
    const denied = await v.call('GET', 'auth/token/lookup-self', { token: response.json.auth.client_token })
    expect(denied.status).toBe(403)
    const fromParent = await post('auth/token/create/pod-child', v.C, {})
    expect((await lookupAccessor(fromParent.json.auth.accessor)).json.data).not.toHaveProperty('bound_cidrs')
  })

  it('lookup: a role period is not shown as period, explicit_max_ttl is 0', async () => {
    const periodic = await post('auth/token/create/pod-tokens', v.C, { policies: ['web'] })
    expect((await lookupAccessor(periodic.json.auth.accessor)).json.data).not.toHaveProperty('period')
    const capped = await post('auth/token/create/pod-capped', v.C, { policies: ['web'] })
    expect((await lookupAccessor(capped.json.auth.accessor)).json.data.explicit_max_ttl).toBe(0)
  })

  it('wrapped creation through a role with a path suffix: creation_path has no suffix', async () => {
    await writeRole('pod-sfx', { allowed_policies: 'web', path_suffix: 'v12' })
    const response = await post('auth/token/create/pod-sfx', v.C, {}, { 'X-Vault-Wrap-TTL': '60' })
    expect(response.json.wrap_info.creation_path).toBe('auth/token/create/pod-sfx')
  })
})

describe('spec §4.5 renewing role tokens', () => {
  it('renewal re-reads the current role period', async () => {
    const token = (await post('auth/token/create/pod-tokens', v.C, { policies: ['web'] })).json.auth
      .client_token
    await writeRole('pod-tokens', { token_period: '2h' })
    const renewed = await post('auth/token/renew-self', token, { increment: '10s' })
    expect(renewed.status).toBe(200)
    expect(renewed.json.auth.lease_duration).toBe(7200)
  })

  it('renewal re-reads the current role explicit max', async () => {
    const token = (await post('auth/token/create/pod-capped', v.C, { policies: ['web'] })).json.auth
      .client_token
    await writeRole('pod-capped', { token_explicit_max_ttl: '30m' })
    const renewed = await post('auth/token/renew-self', token, { increment: '1h' })
    expect(renewed.json.auth.lease_duration).toBe(1800)
  })

  it('renewal fails once the role is deleted', async () => {
    const token = (await post('auth/token/create/pod-tokens', v.C, { policies: ['web'] })).json.auth
      .client_token
    await v.call('DELETE', 'auth/token/roles/pod-tokens', { token: v.R })
    const renewed = await post('auth/token/renew-self', token, {})
    expect(renewed.status).toBeGreaterThanOrEqual(400)
    expect(renewed.json.errors).toHaveLength(1)
  })
})

describe('spec §5 response wrapping', () => {
  it('header errors are bare 400s and nothing is created', async () => {
    const before = await tokenCount()
    expectError(
      await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': 'abc' }),
      400,
      'error parsing X-Vault-Wrap-TTL header: time: invalid duration "abc"',
    )
    expectError(
      await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '-5' }),
      400,
      'error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative',
    )
    expect(await tokenCount()).toBe(before)
  })

  it('errors come back unwrapped and 204s stay 204', async () => {
    const error = await rootCreate({ ttl: 'abc' }, { 'X-Vault-Wrap-TTL': '60' })
    expectError(error, 400, 'time: invalid duration "abc"')
    const empty = await post('auth/token/revoke', v.R, { token: 'x' }, { 'X-Vault-Wrap-TTL': '60' })
    expect(empty.status).toBe(204)
    expect(empty.text).toBe('')
  })

  it('the wrapped answer has the §5 key order, request_id "" and mount_type ""', async () => {
    const response = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '60' })
    expect(Object.keys(response.json)).toEqual([
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
    expect(response.json).toMatchObject({ request_id: '', mount_type: '', warnings: null })
    expect(Object.keys(response.json.wrap_info)).toEqual([
      'token',
      'accessor',
      'ttl',
      'creation_time',
      'creation_path',
      'wrapped_accessor',
    ])
  })

  it('warnings of the original stay inside the wrapped payload', async () => {
    const response = await rootCreate({ policies: ['nope'] }, { 'X-Vault-Wrap-TTL': '60' })
    expect(response.json.warnings).toBeNull()
    const unwrapped = await post('sys/wrapping/unwrap', v.R, { token: response.json.wrap_info.token })
    expect(unwrapped.json.warnings).toEqual(['Policy "nope" does not exist'])
    expect(unwrapped.json.mount_type).toBe('token')
  })

  it('a wrapping token presented as the client token is spent even when the request is denied', async () => {
    const response = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '60' })
    const W = response.json.wrap_info.token
    expect((await v.call('GET', 'auth/token/lookup-self', { token: W })).status).toBe(403)
    expectError(
      await post('sys/wrapping/unwrap', v.R, { token: W }),
      400,
      'wrapping token is not valid or does not exist',
    )
  })

  it('sys/wrapping/lookup with W as the client token does not spend it', async () => {
    const response = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '60' })
    const W = response.json.wrap_info.token
    const lookup = await post('sys/wrapping/lookup', W)
    expect(lookup.status).toBe(200)
    expect((await post('sys/wrapping/unwrap', v.R, { token: W })).status).toBe(200)
  })

  it('the wrapping token: explicit max = TTL, not renewable, no meta', async () => {
    const response = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '2m' })
    const data = (await lookupAccessor(response.json.wrap_info.accessor)).json.data
    expect(data).toMatchObject({
      policies: ['response-wrapping'],
      num_uses: 1,
      creation_ttl: 120,
      explicit_max_ttl: 120,
      renewable: false,
      meta: null,
      orphan: true,
      display_name: '',
    })
    expectError(
      await post('auth/token/renew-accessor', v.R, { accessor: response.json.wrap_info.accessor }),
      400,
      'lease is not renewable',
    )
  })
})

describe('spec §6 sys/wrapping/*', () => {
  async function wrapToken(): Promise<string> {
    return (await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '60' })).json.wrap_info.token
  }

  it('a body token that is not a string, or empty → 403 bare, on lookup, unwrap and rewrap', async () => {
    for (const path of ['sys/wrapping/lookup', 'sys/wrapping/unwrap', 'sys/wrapping/rewrap']) {
      expectError(
        await post(path, v.R, { token: 5 }),
        403,
        'error validating wrapping token: could not decode token in request body',
      )
      expectError(
        await post(path, v.R, { token: '' }),
        403,
        'error validating wrapping token: empty token in request body',
      )
    }
  })

  it('a normal service token as body token is "not valid" and left untouched', async () => {
    const normal = await rootCreate({ policies: ['p1'], num_uses: 2 })
    expectError(
      await post('sys/wrapping/unwrap', v.R, { token: normal.json.auth.client_token }),
      400,
      'wrapping token is not valid or does not exist',
    )
    expect((await lookupAccessor(normal.json.auth.accessor)).json.data.num_uses).toBe(2)
  })

  it('unwrap answers the stored payload without a trailing newline', async () => {
    const response = await post('sys/wrapping/unwrap', v.R, { token: await wrapToken() })
    expect(response.status).toBe(200)
    expect(response.text.endsWith('}')).toBe(true)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.json.wrap_info).toBeNull()
  })

  it('lookup: data keys, fresh request_id, W not used up; missing token → 400', async () => {
    const W = await wrapToken()
    const first = await post('sys/wrapping/lookup', undefined, { token: W })
    const second = await post('sys/wrapping/lookup', undefined, { token: W })
    expect(Object.keys(first.json.data)).toEqual(['creation_path', 'creation_time', 'creation_ttl'])
    expect(first.json.data.creation_ttl).toBe(60)
    expect(first.json.request_id).not.toBe('')
    expect(first.json.request_id).not.toBe(second.json.request_id)
    expect((await post('sys/wrapping/unwrap', v.R, { token: W })).status).toBe(200)
    expectError(await post('sys/wrapping/lookup', undefined, {}), 400, 'missing "token" value in input')
  })

  it('rewrap: needs update (W intact on 403), keeps TTL and creation_path, no wrapped_accessor', async () => {
    const W = await wrapToken()
    expectError(await post('sys/wrapping/rewrap', v.B, { token: W }), 403, wrapped('permission denied'))
    const rewrapped = await post('sys/wrapping/rewrap', v.R, { token: W })
    expect(rewrapped.status).toBe(200)
    expect(rewrapped.json.wrap_info).toMatchObject({ ttl: 60, creation_path: 'auth/token/create-orphan' })
    expect(rewrapped.json.wrap_info).not.toHaveProperty('wrapped_accessor')
    expect((await post('sys/wrapping/unwrap', v.R, { token: W })).status).toBe(400)
    const unwrapped = await post('sys/wrapping/unwrap', v.R, { token: rewrapped.json.wrap_info.token })
    expect(unwrapped.json.auth.policies).toEqual(['default', 'p1'])
    const smaller = await post(
      'sys/wrapping/rewrap',
      v.R,
      { token: await wrapToken() },
      { 'X-Vault-Wrap-TTL': '30' },
    )
    expect(smaller.json.wrap_info.ttl).toBe(30)
  })

  it('unwrap with W both as client token and in the body: the use is spent twice, the payload lost', async () => {
    const W = await wrapToken()
    const both = await post('sys/wrapping/unwrap', W, { token: W })
    expect(both.status).toBe(400)
    expect(both.json.errors).toEqual(['wrapping token is not valid or does not exist'])
    expect((await post('sys/wrapping/unwrap', v.R, { token: W })).status).toBe(400)
  })

  it('wrap is in default and keeps the body as data', async () => {
    const token = (await rootCreate({ policies: ['default'] })).json.auth.client_token
    const response = await post('sys/wrapping/wrap', token, { x: 'y' }, { 'X-Vault-Wrap-TTL': '30' })
    expect(response.json.wrap_info.creation_path).toBe('sys/wrapping/wrap')
    const unwrapped = await post('sys/wrapping/unwrap', token, { token: response.json.wrap_info.token })
    expect(unwrapped.json.data).toEqual({ x: 'y' })
  })
})

describe('spec §7 lookup, renew, revoke, accessors', () => {
  it('lookup: unknown → 403 bad token; token null → 403 invalid token; no token → the caller', async () => {
    expectError(await post('auth/token/lookup', v.R, { token: 'nope' }), 403, 'bad token')
    expectError(await post('auth/token/lookup', v.R, { token: null }), 403, 'invalid token')
    const self = await post('auth/token/lookup', v.B, {})
    expect(self.status).toBe(403)
    const mine = await post('auth/token/lookup', v.R, {})
    expect(mine.json.data.id).toBe(v.R)
  })

  it('lookup-accessor shows id ""; renew-accessor client_token ""', async () => {
    const created = await rootCreate({ policies: ['p1'], ttl: '1h' })
    expect((await lookupAccessor(created.json.auth.accessor)).json.data.id).toBe('')
    const renewed = await post('auth/token/renew-accessor', v.R, { accessor: created.json.auth.accessor })
    expect(renewed.json.auth).toMatchObject({ client_token: '', lease_duration: 3600 })
  })

  it('the last use shows num_uses -1, then the token is gone', async () => {
    const token = (await rootCreate({ policies: ['p1'], num_uses: 1 })).json.auth.client_token
    const last = await v.call('GET', 'auth/token/lookup-self', { token })
    expect(last.status).toBe(200)
    expect(last.json.data.num_uses).toBe(-1)
    expect((await v.call('GET', 'auth/token/lookup-self', { token })).status).toBe(403)
  })

  it('lookup shows period when the request carried one, and last_renewal* after a renewal', async () => {
    const created = await rootCreate({ policies: ['p1'], period: '1h' })
    const token = created.json.auth.client_token
    const before = (await lookupAccessor(created.json.auth.accessor)).json.data
    expect(before.period).toBe(3600)
    expect(before).not.toHaveProperty('last_renewal_time')
    await post('auth/token/renew-self', token, {})
    const after = (await lookupAccessor(created.json.auth.accessor)).json.data
    expect(typeof after.last_renewal_time).toBe('number')
    expect(typeof after.last_renewal).toBe('string')
  })

  it('a token of a role with renewable false is not renewable', async () => {
    const token = (await post('auth/token/create/pod-limited', v.C, {})).json.auth.client_token
    expectError(await post('auth/token/renew-self', token, {}), 400, 'lease is not renewable')
  })

  it('renew: unknown token → 400 token not found; renew with {token} works', async () => {
    expectError(await post('auth/token/renew', v.R, { token: 'nope' }), 400, 'token not found')
    const created = await rootCreate({ policies: ['p1'], ttl: '1h' })
    const renewed = await post('auth/token/renew', v.R, {
      token: created.json.auth.client_token,
      increment: 60,
    })
    expect(renewed.json.auth).toMatchObject({
      client_token: created.json.auth.client_token,
      lease_duration: 60,
    })
  })

  it('renewal of a periodic token: the period every time, increment ignored, explicit max limits it', async () => {
    const token = (await rootCreate({ policies: ['p1'], period: '1h', explicit_max_ttl: '90m' })).json.auth
      .client_token
    expect((await post('auth/token/renew-self', token, { increment: '10s' })).json.auth.lease_duration).toBe(
      3600,
    )
    await post('/__testkit/clock/advance', undefined, { seconds: 3000 })
    expect((await post('auth/token/renew-self', token, {})).json.auth.lease_duration).toBe(2400)
  })

  it('renewal without increment restores the original TTL; the max caps it with a warning', async () => {
    const token = (await rootCreate({ policies: ['p1'], ttl: '1h', explicit_max_ttl: '2h' })).json.auth
      .client_token
    await post('/__testkit/clock/advance', undefined, { seconds: 600 })
    expect((await post('auth/token/renew-self', token, {})).json.auth.lease_duration).toBe(3600)
    await post('/__testkit/clock/advance', undefined, { seconds: 3000 })
    const capped = await post('auth/token/renew-self', token, { increment: '2h' })
    expect(capped.json.auth.lease_duration).toBe(3600)
    expect(capped.json.warnings).toEqual([
      'TTL of "2h" exceeded the effective max_ttl of "1h"; TTL value is capped accordingly',
    ])
  })

  it('revoke / revoke-orphan errors; revoke-accessor of an unknown accessor → 200 with a warning', async () => {
    expectError(await post('auth/token/revoke', v.R, {}), 400, 'missing token ID')
    expectError(await post('auth/token/revoke-orphan', v.R, {}), 400, 'missing token ID')
    expectError(
      await post('auth/token/revoke-orphan', v.R, { token: 'nope' }),
      400,
      'token to revoke not found',
    )
    const unknown = await post('auth/token/revoke-accessor', v.R, { accessor: 'doesnotexist000000000000' })
    expect(unknown.status).toBe(200)
    expect(unknown.json).toMatchObject({ data: null, warnings: ['No token found with this accessor'] })
  })

  it('revoke-accessor removes the token and its descendants; a revoked wrapping token is not valid', async () => {
    const parent = await post('auth/token/create', v.R, { policies: ['creator', 'p1'] })
    const child = await post('auth/token/create', parent.json.auth.client_token, { policies: ['p1'] })
    expect(
      (await post('auth/token/revoke-accessor', v.R, { accessor: parent.json.auth.accessor })).status,
    ).toBe(204)
    expect((await lookupAccessor(child.json.auth.accessor)).status).toBe(400)
    const wrappedAnswer = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': '60' })
    await post('auth/token/revoke-accessor', v.R, { accessor: wrappedAnswer.json.wrap_info.accessor })
    expectError(
      await post('sys/wrapping/unwrap', v.R, { token: wrappedAnswer.json.wrap_info.token }),
      400,
      'wrapping token is not valid or does not exist',
    )
  })

  it('accessors list needs list and sudo', async () => {
    const listOnly = await tokenWith('path "auth/token/accessors" { capabilities = ["list"] }')
    expect((await v.call('GET', 'auth/token/accessors?list=true', { token: listOnly })).status).toBe(403)
    const sudo = await tokenWith('path "auth/token/accessors" { capabilities = ["list", "sudo"] }')
    const listed = await v.call('GET', 'auth/token/accessors?list=true', { token: sudo })
    expect(listed.status).toBe(200)
    expect(listed.json.data.keys.length).toBeGreaterThan(2)
  })
})

describe('spec §8 health and seal', () => {
  it('HEAD /v1/sys/health: the status, no body', async () => {
    const response = await v.call('HEAD', 'sys/health')
    expect(response.status).toBe(200)
    expect(response.text).toBe('')
    await post('sys/seal', v.R)
    expect((await v.call('HEAD', 'sys/health')).status).toBe(503)
  })

  it('the GET body keys, in order; cluster_* omitted while sealed', async () => {
    const response = await v.call('GET', 'sys/health')
    expect(Object.keys(response.json)).toEqual([
      'initialized',
      'sealed',
      'standby',
      'performance_standby',
      'replication_performance_mode',
      'replication_dr_mode',
      'server_time_utc',
      'version',
      'cluster_name',
      'cluster_id',
    ])
    expect(response.json).toMatchObject({
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
    })
    await v.call('PUT', 'sys/seal', { token: v.R })
    const sealed = await v.call('GET', 'sys/health')
    expect(sealed.json).not.toHaveProperty('cluster_name')
    expect(sealed.json).not.toHaveProperty('cluster_id')
  })

  it('code overrides; a non-integer code → 400 {"errors":[]}', async () => {
    expect((await v.call('GET', 'sys/health?activecode=299')).status).toBe(299)
    expect((await v.call('GET', 'sys/health?standbyok=true&perfstandbyok=true')).status).toBe(200)
    const bad = await v.call('GET', 'sys/health?activecode=abc')
    expect(bad.status).toBe(400)
    expect(bad.text).toBe('{"errors":[]}\n')
    expect((await v.call('GET', 'sys/health?sealedcode=x')).status).toBe(400)
  })

  it('health, seal-status and unseal answer other methods with 405 {"errors":[]}', async () => {
    for (const [method, path] of [
      ['POST', 'sys/health'],
      ['DELETE', 'sys/health'],
      ['POST', 'sys/seal-status'],
      ['GET', 'sys/unseal'],
    ] as const) {
      const response = await v.call(method, path, { token: v.R })
      expect(response.status).toBe(405)
      expect(response.text).toBe('{"errors":[]}\n')
    }
  })

  it('sys/seal needs sudo', async () => {
    const noSudo = await tokenWith('path "sys/seal" { capabilities = ["update"] }')
    expect((await v.call('PUT', 'sys/seal', { token: noSudo })).status).toBe(403)
    const sudo = await tokenWith('path "sys/seal" { capabilities = ["update", "sudo"] }')
    expect((await v.call('PUT', 'sys/seal', { token: sudo })).status).toBe(204)
  })

  it('seal-status body keys, sealed and unsealed; unseal answers the seal-status body', async () => {
    const open = await v.call('GET', 'sys/seal-status')
    expect(Object.keys(open.json).sort()).toEqual(
      [
        'type',
        'initialized',
        'sealed',
        't',
        'n',
        'progress',
        'nonce',
        'version',
        'build_date',
        'migration',
        'cluster_name',
        'cluster_id',
        'recovery_seal',
        'storage_type',
      ].sort(),
    )
    expect(open.json).toMatchObject({ type: 'shamir', t: 1, n: 1, progress: 0, storage_type: 'inmem' })
    await v.call('PUT', 'sys/seal', { token: v.R })
    const sealed = await v.call('GET', 'sys/seal-status')
    expect(sealed.json.sealed).toBe(true)
    expect(sealed.json).not.toHaveProperty('cluster_id')
    const unsealed = await v.call('PUT', 'sys/unseal', { body: { key: v.vault.unsealKey } })
    expect(unsealed.status).toBe(200)
    expect(Object.keys(unsealed.json)).toEqual(Object.keys(open.json))
  })

  it('while sealed every other request → 503 before any token or routing check', async () => {
    await v.call('PUT', 'sys/seal', { token: v.R })
    for (const call of [
      () => v.call('GET', 'auth/token/lookup-self'),
      () => v.call('GET', 'auth/token/lookup-self', { token: 'bogus' }),
      () => post('foo/bar', v.R, {}),
      () => post('auth/token/create/', v.R, {}),
    ]) {
      expectError(await call(), 503, 'Vault is sealed')
    }
  })
})

describe('spec §9.1 mounting', () => {
  it('enabling needs sudo; approle mounts too; a used path → 400', async () => {
    const noSudo = await tokenWith('path "sys/auth/*" { capabilities = ["update"] }')
    expect((await post('sys/auth/approle', noSudo, { type: 'approle' })).status).toBe(403)
    expect((await post('sys/auth/approle', v.R, { type: 'approle' })).status).toBe(204)
    expectError(
      await post('sys/auth/approle', v.R, { type: 'approle' }),
      400,
      'path is already in use at approle/',
    )
    expectError(
      await post('sys/auth/token', v.R, { type: 'approle' }),
      400,
      'path is already in use at token/',
    )
  })
})

describe('spec §9.2 kubernetes auth', () => {
  beforeEach(async () => {
    await post('sys/auth/kubernetes', v.R, { type: 'kubernetes' })
  })

  it('config: a CA that holds no certificate is refused; GET shows token_reviewer_jwt_set and the defaults', async () => {
    const bad = await post('auth/kubernetes/config', v.R, {
      kubernetes_host: 'https://k',
      kubernetes_ca_cert: 'junk',
    })
    expect(bad.status).toBe(400)
    expect(
      (
        await post('auth/kubernetes/config', v.R, {
          kubernetes_host: 'https://k',
          disable_local_ca_jwt: true,
        })
      ).status,
    ).toBe(204)
    const read = await v.call('GET', 'auth/kubernetes/config', { token: v.R })
    expect(read.json.data).toMatchObject({
      kubernetes_host: 'https://k',
      disable_iss_validation: true,
      disable_local_ca_jwt: true,
      token_reviewer_jwt_set: false,
    })
  })

  it('role: namespaces may be empty only with a selector; * may not mix', async () => {
    expectError(
      await post('auth/kubernetes/role/r', v.R, { bound_service_account_names: 'web' }),
      400,
      '"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set',
    )
    const selector = await post('auth/kubernetes/role/r', v.R, {
      bound_service_account_names: 'web',
      bound_service_account_namespace_selector: '{"matchLabels":{"a":"b"}}',
    })
    expect(selector.status).toBe(204)
    expectError(
      await post('auth/kubernetes/role/r', v.R, {
        bound_service_account_names: 'web',
        bound_service_account_namespaces: ['*', 'team-a'],
      }),
      400,
      'can not mix "*" with values',
    )
  })

  it('role: token fields are lenient and a non-string token_type is a 400, not a crash', async () => {
    const lenient = await post('auth/kubernetes/role/r', v.R, {
      bound_service_account_names: 'web',
      bound_service_account_namespaces: 'team-a',
      token_num_uses: '2',
      token_no_default_policy: 'true',
      token_ttl: '1h',
    })
    expect(lenient.status).toBe(204)
    const read = await v.call('GET', 'auth/kubernetes/role/r', { token: v.R })
    expect(read.json.data).toMatchObject({
      token_num_uses: 2,
      token_no_default_policy: true,
      token_ttl: 3600,
    })
    const bad = await post('auth/kubernetes/role/r', v.R, { token_type: { a: 1 } })
    expect(bad.status).toBe(400)
    expect(bad.json.errors[0]).toContain('token_type')
  })

  it('login: missing role, then missing jwt, then unknown role', async () => {
    expectError(await post('auth/kubernetes/login', undefined, {}), 400, 'missing role')
    expectError(await post('auth/kubernetes/login', undefined, { jwt: 'x' }), 400, 'missing role')
    expectError(await post('auth/kubernetes/login', undefined, { role: 'nope' }), 400, 'missing jwt')
    expectError(
      await post('auth/kubernetes/login', undefined, { role: 'nope', jwt: 'x' }),
      400,
      'invalid role name "nope"',
    )
  })

  it('login: bound CIDRs are checked before the JWT (403)', async () => {
    await post('auth/kubernetes/config', v.R, { kubernetes_host: 'https://127.0.0.1:1' })
    await post('auth/kubernetes/role/r', v.R, {
      bound_service_account_names: 'web',
      bound_service_account_namespaces: 'team-a',
      token_bound_cidrs: '10.9.0.0/16',
    })
    expectError(
      await post('auth/kubernetes/login', undefined, { role: 'r', jwt: 'not-a-jwt' }),
      403,
      wrapped('permission denied'),
    )
  })

  it('login: an unparseable JWT → 403 in the wrapped form', async () => {
    await post('auth/kubernetes/config', v.R, { kubernetes_host: 'https://127.0.0.1:1' })
    await post('auth/kubernetes/role/r', v.R, {
      bound_service_account_names: 'web',
      bound_service_account_namespaces: 'team-a',
    })
    const response = await post('auth/kubernetes/login', undefined, { role: 'r', jwt: 'not-a-jwt' })
    expect(response.status).toBe(403)
    expect(response.json.errors[0]).toMatch(/^1 error occurred:\n\t\* /)
  })
})

describe('spec §9.3 approle', () => {
  beforeEach(async () => {
    await post('sys/auth/approle', v.R, { type: 'approle' })
    await post('auth/approle/role/app', v.R, { token_policies: ['p1'] })
  })

  it('errors: missing role_id, missing secret_id, invalid role or secret ID', async () => {
    expectError(await post('auth/approle/login', undefined, {}), 400, 'missing role_id')
    const roleId = (await v.call('GET', 'auth/approle/role/app/role-id', { token: v.R })).json.data.role_id
    expectError(await post('auth/approle/login', undefined, { role_id: roleId }), 400, 'missing secret_id')
    expectError(
      await post('auth/approle/login', undefined, { role_id: 'wrong', secret_id: 'wrong' }),
      400,
      'invalid role or secret ID',
    )
  })

  it('login: metadata role_name, orphan, display name approle, mount_type approle', async () => {
    const roleId = (await v.call('GET', 'auth/approle/role/app/role-id', { token: v.R })).json.data.role_id
    const secret = await post('auth/approle/role/app/secret-id', v.R, {})
    expect(Object.keys(secret.json.data).sort()).toEqual([
      'secret_id',
      'secret_id_accessor',
      'secret_id_num_uses',
      'secret_id_ttl',
    ])
    const login = await post('auth/approle/login', undefined, {
      role_id: roleId,
      secret_id: secret.json.data.secret_id,
    })
    expect(login.status).toBe(200)
    expect(login.json.mount_type).toBe('approle')
    expect(login.json.auth).toMatchObject({
      metadata: { role_name: 'app' },
      orphan: true,
      policies: ['default', 'p1'],
    })
    expect((await lookupAccessor(login.json.auth.accessor)).json.data.display_name).toBe('approle')
  })
})

describe('spec §12 vault-dev specifics', () => {
  it('expiry is observable exactly at the expiry second', async () => {
    const token = (await rootCreate({ policies: ['p1'], ttl: 60 })).json.auth.client_token
    await post('/__testkit/clock/advance', undefined, { seconds: 59 })
    expect((await v.call('GET', 'auth/token/lookup-self', { token })).status).toBe(200)
    await post('/__testkit/clock/advance', undefined, { seconds: 1 })
    expect((await v.call('GET', 'auth/token/lookup-self', { token })).status).toBe(403)
  })

  it('clock advance → 204; reset → 204 and back to the initial state (root still works)', async () => {
    const advance = await post('/__testkit/clock/advance', undefined, { seconds: 1 })
    expect(advance.status).toBe(204)
    const reset = await post('/__testkit/reset', undefined)
    expect(reset.status).toBe(204)
    expect((await v.call('GET', 'sys/policy/p1', { token: v.R })).status).toBe(404)
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.B })).status).toBe(403)
    expect((await v.call('GET', 'auth/token/lookup-self', { token: v.R })).json.data.policies).toEqual([
      'root',
    ])
  })

  it('dev defaults: unsealed, initialised, only token mounted, root never expires', async () => {
    const health = await v.call('GET', 'sys/health')
    expect(health.json).toMatchObject({ initialized: true, sealed: false })
    const mounts = await v.call('GET', 'sys/auth', { token: v.R })
    expect(Object.keys(mounts.json.data)).toEqual(['token/'])
    const root = await v.call('GET', 'auth/token/lookup-self', { token: v.R })
    expect(root.json.data).toMatchObject({ ttl: 0, expire_time: null })
  })

  it('the control API is not under /v1/', async () => {
    expect((await post('/v1/__testkit/reset', v.R)).status).toBe(404)
  })
})

describe('spec §1.1 odd input never crashes the server', () => {
  const oddValues: unknown[] = [null, true, 5.5, -1, '', 'x', [], [1, { a: 1 }], { a: { b: 1 } }]
  const endpoints: Array<[string, string[]]> = [
    [
      'auth/token/create-orphan',
      ['policies', 'meta', 'ttl', 'num_uses', 'renewable', 'period', 'id', 'type'],
    ],
    ['auth/token/create/pod-tokens', ['policies', 'entity_alias', 'explicit_max_ttl', 'display_name']],
    [
      'auth/token/roles/odd',
      ['allowed_policies', 'token_period', 'token_num_uses', 'path_suffix', 'token_type'],
    ],
    ['auth/token/lookup', ['token']],
    ['auth/token/lookup-accessor', ['accessor']],
    ['auth/token/renew', ['token', 'increment']],
    ['auth/token/revoke-accessor', ['accessor']],
    ['sys/wrapping/unwrap', ['token']],
    ['sys/wrapping/lookup', ['token']],
    ['sys/policy/odd', ['policy']],
    ['sys/auth/odd', ['type']],
  ]
  it('answers every odd field value with a Vault status below 500', async () => {
    for (const [path, fields] of endpoints) {
      for (const field of fields) {
        for (const value of oddValues) {
          const response = await post(path, v.R, { [field]: value })
          if (response.status >= 500 || (response.json === undefined && response.status !== 204)) {
            throw new Error(`${path} ${field}=${JSON.stringify(value)} → ${response.status} ${response.text}`)
          }
        }
      }
    }
    for (const raw of ['[]', '"text"', '5', 'null', '{"a":', '\u0000']) {
      const response = await v.call('POST', 'auth/token/create-orphan', { token: v.R, rawBody: raw })
      expect(response.status).toBeLessThan(500)
    }
    for (const header of ['1.5', '1e3', ' 60', '60 ', '9999999999999999999999', 'h']) {
      const response = await rootCreate({ policies: ['p1'] }, { 'X-Vault-Wrap-TTL': header })
      expect(response.status).toBeLessThan(500)
    }
  })
})

describe('spec §9.3 approle token parameters', () => {
  it('token_ttl sets the lease; without it the mount default', async () => {
    await post('sys/auth/approle', v.R, { type: 'approle' })
    await post('auth/approle/role/app', v.R, { token_policies: ['p1'], token_ttl: '1h' })
    const roleId = (await v.call('GET', 'auth/approle/role/app/role-id', { token: v.R })).json.data.role_id
    const secretId = (await post('auth/approle/role/app/secret-id', v.R, {})).json.data.secret_id
    const login = await post('auth/approle/login', undefined, { role_id: roleId, secret_id: secretId })
    expect(login.json.auth).toMatchObject({ lease_duration: 3600, renewable: true, token_type: 'service' })
  })
})
