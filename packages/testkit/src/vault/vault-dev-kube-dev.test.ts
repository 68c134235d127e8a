/**
 * Spec §13.6 case 48 end to end: vault-dev's Kubernetes auth against a real kube-dev (default
 * RBAC mode), with a TokenRequest JWT whose audience is kube-dev's issuer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type KubeDev, startKubeDev } from '../kube/kube-dev.ts'
import { type ConformanceVault, startConformanceVault } from './conformance-fixtures.ts'

let v: ConformanceVault
let kube: KubeDev

beforeEach(async () => {
  v = await startConformanceVault()
  kube = await startKubeDev({ log: () => {} })
  await kube.createNamespace('team-a')
  await kube.createServiceAccount('team-a', 'web')
  await kube.createServiceAccount('team-a', 'other')
})
afterEach(async () => {
  await v.close()
  await kube.close()
})

async function tokenRequest(name: string): Promise<string> {
  const response = await fetch(`${kube.server}/api/v1/namespaces/team-a/serviceaccounts/${name}/token`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${kube.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ spec: { audiences: [kube.issuer], expirationSeconds: 3600 } }),
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { status: { token: string } }).status.token
}

describe('spec §13.6 case 48 with kube-dev', () => {
  it('48: a service account authenticates for real', async () => {
    const { call, R } = v
    expect(
      (await call('POST', 'sys/auth/kubernetes', { token: R, body: { type: 'kubernetes' } })).status,
    ).toBe(204)
    const config = { kubernetes_host: kube.server, disable_local_ca_jwt: true }
    expect((await call('POST', 'auth/kubernetes/config', { token: R, body: config })).status).toBe(204)
    const role = {
      bound_service_account_names: ['web'],
      bound_service_account_namespaces: ['team-a'],
      token_policies: ['web'],
    }
    expect((await call('POST', 'auth/kubernetes/role/r', { token: R, body: role })).status).toBe(204)

    kube.stats.reset()
    const login = await call('POST', 'auth/kubernetes/login', {
      body: { role: 'r', jwt: await tokenRequest('web') },
    })
    expect(login.status).toBe(200)
    expect(Object.keys(login.json.auth.metadata).sort()).toEqual([
      'role',
      'service_account_name',
      'service_account_namespace',
      'service_account_secret_name',
      'service_account_uid',
    ])
    expect(login.json.auth).toMatchObject({ orphan: true, policies: ['default', 'web'] })
    expect(login.json.auth.entity_id).not.toBe('')
    const self = await call('GET', 'auth/token/lookup-self', { token: login.json.auth.client_token })
    expect(self.json.data).toMatchObject({
      display_name: 'kubernetes-team-a-web',
      path: 'auth/kubernetes/login',
    })
    const reviews = Object.entries(kube.stats.snapshot().byRoute).filter(
      ([route]) => route.startsWith('POST') && route.includes('tokenreviews'),
    )
    expect(reviews.map(([, count]) => count)).toEqual([1])

    const noJwt = await call('POST', 'auth/kubernetes/login', { body: { role: 'r' } })
    expect(noJwt.json).toEqual({ errors: ['missing jwt'] })
    const badRole = await call('POST', 'auth/kubernetes/login', {
      body: { role: 'x', jwt: await tokenRequest('web') },
    })
    expect(badRole.json).toEqual({ errors: ['invalid role name "x"'] })
    const other = await call('POST', 'auth/kubernetes/login', {
      body: { role: 'r', jwt: await tokenRequest('other') },
    })
    expect(other.status).toBe(403)
    expect(other.json.errors[0]).toContain('service account name not authorized')
  })
})
