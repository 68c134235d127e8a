/**
 * The spec §13 cases that concern our client usage, driven through node-vault 0.12.0 the safe
 * way (spec §11): only `read`/`write` with explicit bodies and per-call headers, plus `health()`.
 */
import nodeVault from 'node-vault'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConformanceVault, startConformanceVault, wrapped } from './conformance-fixtures.ts'

let v: ConformanceVault
beforeEach(async () => {
  v = await startConformanceVault()
})
afterEach(async () => {
  await v.close()
})

function client(token: string) {
  return nodeVault({ apiVersion: 'v1', endpoint: v.vault.addr, token })
}

/** The rejection of a node-vault call, for asserting on `err.response`. */
async function rejection(
  promise: Promise<unknown>,
): Promise<{ message: string; response?: { statusCode: number; body: unknown } }> {
  try {
    await promise
  } catch (error) {
    return error as { message: string; response?: { statusCode: number; body: unknown } }
  }
  throw new Error('expected the call to fail')
}

describe('node-vault against vault-dev', () => {
  it('42: wrapped creation through a role, then unwrap, lookup-accessor and revoke-accessor', async () => {
    const controller = client(v.C)
    const created = await controller.write(
      'auth/token/create/pod-tokens',
      { policies: ['web'], meta: { pod_uid: 'u1' }, display_name: 'web-7d9c' },
      { headers: { 'X-Vault-Wrap-TTL': '60s' } },
    )
    expect(created.wrap_info.creation_path).toBe('auth/token/create/pod-tokens')
    const { token: W, accessor: WA, wrapped_accessor: TA } = created.wrap_info

    const beforeUnwrap = await controller.write('auth/token/lookup-accessor', { accessor: WA })
    expect(beforeUnwrap.data.policies).toEqual(['response-wrapping'])

    const pod = client(v.R)
    const unwrapped = await pod.write('sys/wrapping/unwrap', { token: W })
    expect(unwrapped.auth).toMatchObject({ accessor: TA, orphan: true, lease_duration: 3600 })

    const gone = await rejection(controller.write('auth/token/lookup-accessor', { accessor: WA }))
    expect(gone.response?.statusCode).toBe(400)
    expect(gone.message).toBe(wrapped('invalid accessor'))

    const lookup = await controller.write('auth/token/lookup-accessor', { accessor: TA })
    expect(lookup.data).toMatchObject({ role: 'pod-tokens', display_name: 'token-web-7d9c', id: '' })
    expect(await controller.write('auth/token/revoke-accessor', { accessor: TA })).toBe('')
    const revoked = await rejection(controller.write('auth/token/lookup-accessor', { accessor: TA }))
    expect(revoked.response?.statusCode).toBe(400)
  })

  it('15: a second unwrap rejects with statusCode 400', async () => {
    const created = await client(v.C).write(
      'auth/token/create/pod-tokens',
      { policies: ['web'] },
      {
        headers: { 'X-Vault-Wrap-TTL': '60' },
      },
    )
    const unwrapper = client(v.B)
    await unwrapper.write('sys/wrapping/unwrap', { token: created.wrap_info.token })
    const again = await rejection(unwrapper.write('sys/wrapping/unwrap', { token: created.wrap_info.token }))
    expect(again.response?.statusCode).toBe(400)
    expect(again.message).toBe('wrapping token is not valid or does not exist')
  })

  it('36, 40: error shapes', async () => {
    const controller = client(v.C)
    const outside = await rejection(controller.write('auth/token/create/pod-tokens', { policies: ['p3'] }))
    expect(outside.response?.statusCode).toBe(400)
    expect(outside.message).toContain("must be subset of the role's allowed policies")
    const denied = await rejection(controller.write('auth/token/create/other', { policies: ['web'] }))
    expect(denied.response?.statusCode).toBe(403)
    expect(denied.response?.body).toEqual({ errors: [wrapped('permission denied')] })
  })

  it('23, 43: read of lookup-self and a missing role', async () => {
    const self = await client(v.C).read('auth/token/lookup-self')
    expect(self.data.policies).toEqual(['ctl', 'default'])
    const missing = await rejection(client(v.R).read('auth/token/roles/nope'))
    expect(missing.response?.statusCode).toBe(404)
    expect(missing.message).toBe('Status 404')
  })

  it('46: health() resolves while sealed', async () => {
    const root = client(v.R)
    expect(await root.health()).toMatchObject({ initialized: true, sealed: false })
    await root.write('sys/seal', {})
    expect(await root.health()).toMatchObject({ sealed: true })
    const sealed = await rejection(root.write('auth/token/create-orphan', {}))
    expect(sealed.response?.statusCode).toBe(503)
    expect(sealed.message).toBe('Vault is sealed')
  })
})
