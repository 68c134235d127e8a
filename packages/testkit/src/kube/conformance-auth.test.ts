/**
 * Spec §12 conformance cases 3 and 4 (authentication and RBAC), plus the RBAC rule shapes of §1.1.
 */
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { controllerToken, controllerUser, type Fixture, startFixture } from './conformance-fixture.ts'

let fixture: Fixture
beforeEach(async () => {
  fixture = await startFixture()
})
afterEach(async () => {
  await fixture.close()
})

const unauthorizedBody =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'

describe('authentication (case 3)', () => {
  it('3: no token or a wrong token is 401; client-node ApiException 401 without body', async () => {
    for (const token of [null, 'wrong']) {
      const answer = await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p1', { token })
      expect(answer.status).toBe(401)
      expect(answer.text).toBe(unauthorizedBody)
      expect(answer.headers.get('content-type')).toBe('application/json')
    }
    const config = new KubeConfig()
    config.loadFromOptions({
      clusters: [{ name: 'c', server: fixture.kube.server, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    })
    const error = await config
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ name: 'p1', namespace: 'ns1' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiException)
    expect((error as ApiException<unknown>).code).toBe(401)
    expect((error as ApiException<unknown>).body).toBeUndefined()
  })
})

describe('RBAC (case 4)', () => {
  it('4: enforce without a rule denies with the real message', async () => {
    expect((await fixture.control('PUT', '/rbac', { mode: 'enforce', rules: [] })).status).toBe(204)
    const answer = await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p1', { token: controllerToken })
    expect(answer.status).toBe(403)
    expect(answer.json).toMatchObject({
      reason: 'Forbidden',
      message: `pods "p1" is forbidden: User "${controllerUser}" cannot get resource "pods" in API group "" in the namespace "ns1"`,
      details: { name: 'p1', kind: 'pods' },
    })
    expect((await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p1')).status).toBe(200)
  })

  it('rules grant verb × resource × namespace; subresources and cluster scope are separate', async () => {
    await fixture.control('PUT', '/rbac', {
      mode: 'enforce',
      rules: [
        {
          subjects: [{ user: controllerUser }],
          verbs: ['get', 'list', 'watch', 'patch'],
          apiGroups: [''],
          resources: ['pods'],
          namespaces: ['ns1'],
        },
      ],
    })
    const as = { token: controllerToken }
    expect((await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p1', as)).status).toBe(200)
    const status = await fixture.request('PATCH', '/api/v1/namespaces/ns1/pods/p1/status', {
      ...as,
      body: {},
      contentType: 'application/merge-patch+json',
    })
    expect(status.status).toBe(403)
    expect(status.json.message).toBe(
      `pods "p1" is forbidden: User "${controllerUser}" cannot patch resource "pods/status" in API group "" in the namespace "ns1"`,
    )
    const cluster = await fixture.request('GET', '/api/v1/pods', as)
    expect(cluster.json.message).toBe(
      `pods is forbidden: User "${controllerUser}" cannot list resource "pods" in API group "" at the cluster scope`,
    )
    const review = await fixture.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      ...as,
      body: { spec: { token: 'x' } },
    })
    expect(review.json.message).toBe(
      `tokenreviews.authentication.k8s.io is forbidden: User "${controllerUser}" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`,
    )
    const jwks = await fixture.request('GET', '/openid/v1/jwks', as)
    expect(jwks.json.message).toBe(`forbidden: User "${controllerUser}" cannot get path "/openid/v1/jwks"`)
  })

  it('bad RBAC config is 400 from the control API', async () => {
    const answer = await fixture.control('PUT', '/rbac', { mode: 'sometimes' })
    expect(answer.status).toBe(400)
    expect(answer.json.error).toMatch(/mode/)
  })
})
