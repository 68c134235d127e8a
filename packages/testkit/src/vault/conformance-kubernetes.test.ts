import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { UnsecuredJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConformanceVault, startConformanceVault, wrapped } from './conformance-fixtures.ts'

/** A stand-in API server that records TokenReview calls and answers as told. */
interface StubApiServer {
  url: string
  reviews: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: unknown }>
  answer: (review: { spec: { token: string; audiences?: string[] } }) => { status: number; body: unknown }
  server: Server
}

const ISSUER = 'https://kubernetes.default.svc.cluster.local'
const SA = {
  web: { uid: '11111111-2222-3333-4444-555555555555' },
  other: { uid: 'aaaaaaaa-2222-3333-4444-555555555555' },
}

function projectedJwt(name: 'web' | 'other', audience = ISSUER): string {
  const nowSeconds = Math.floor(Date.now() / 1000)
  return new UnsecuredJWT({
    'kubernetes.io': { namespace: 'team-a', serviceaccount: { name, uid: SA[name].uid } },
  })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setSubject(`system:serviceaccount:team-a:${name}`)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 600)
    .encode()
}

function authenticated(name: 'web' | 'other', audiences: string[]) {
  return {
    status: 201,
    body: {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: {},
      status: {
        authenticated: true,
        user: { username: `system:serviceaccount:team-a:${name}`, uid: SA[name].uid, groups: [] },
        audiences,
      },
    },
  }
}

async function startStub(): Promise<StubApiServer> {
  const answer: StubApiServer['answer'] = (review) => authenticated('web', review.spec.audiences ?? [])
  const stub = { reviews: [], answer } as unknown as StubApiServer
  stub.server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      stub.reviews.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      })
      const answer = stub.answer(body)
      response.writeHead(answer.status, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify(answer.body))
    })
  })
  stub.server.listen(0, '127.0.0.1')
  await once(stub.server, 'listening')
  stub.url = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`
  return stub
}

let v: ConformanceVault
let api: StubApiServer
beforeEach(async () => {
  v = await startConformanceVault()
  api = await startStub()
  const R = v.R
  expect(
    (await v.call('POST', 'sys/auth/kubernetes', { token: R, body: { type: 'kubernetes' } })).status,
  ).toBe(204)
  const config = { kubernetes_host: `${api.url}/`, disable_local_ca_jwt: true }
  expect((await v.call('POST', 'auth/kubernetes/config', { token: R, body: config })).status).toBe(204)
  const role = {
    bound_service_account_names: ['web'],
    bound_service_account_namespaces: ['team-a'],
    token_policies: ['web'],
  }
  expect((await v.call('POST', 'auth/kubernetes/role/r', { token: R, body: role })).status).toBe(204)
})
afterEach(async () => {
  await v.close()
  api.server.closeAllConnections()
  api.server.close()
})

const login = (body: unknown) => v.call('POST', 'auth/kubernetes/login', { body })

describe('spec §13.6 case 48: Kubernetes auth (stub TokenReview server)', () => {
  it('48: login validates the JWT with a TokenReview and issues the token', async () => {
    const jwt = projectedJwt('web')
    const response = await login({ role: 'r', jwt })
    expect(response.status).toBe(200)
    expect(response.json.mount_type).toBe('kubernetes')
    const auth = response.json.auth
    expect(auth.metadata).toEqual({
      role: 'r',
      service_account_name: 'web',
      service_account_namespace: 'team-a',
      service_account_secret_name: '',
      service_account_uid: SA.web.uid,
    })
    expect(auth).toMatchObject({
      orphan: true,
      policies: ['default', 'web'],
      renewable: true,
      token_type: 'service',
    })
    expect(auth.entity_id).not.toBe('')
    expect(auth.lease_duration).toBe(2764800)
    const self = await v.call('GET', 'auth/token/lookup-self', { token: auth.client_token })
    expect(self.json.data).toMatchObject({
      display_name: 'kubernetes-team-a-web',
      path: 'auth/kubernetes/login',
    })

    expect(api.reviews).toHaveLength(1)
    const [review] = api.reviews
    expect(review?.method).toBe('POST')
    expect(review?.url).toBe('/apis/authentication.k8s.io/v1/tokenreviews')
    expect(review?.headers.authorization).toBe(`Bearer ${jwt}`)
    expect(review?.headers['content-type']).toBe('application/json')
    expect(review?.headers.accept).toBe('application/json')
    expect(review?.body).not.toHaveProperty('apiVersion')
    expect(review?.body).not.toHaveProperty('kind')
    expect(review?.body).toMatchObject({ spec: { token: jwt, audiences: [ISSUER] } })
  })

  it('48: the same entity on every login of one service account', async () => {
    const first = await login({ role: 'r', jwt: projectedJwt('web') })
    const second = await login({ role: 'r', jwt: projectedJwt('web') })
    expect(second.json.auth.entity_id).toBe(first.json.auth.entity_id)
  })

  it('48: errors before the TokenReview', async () => {
    const noJwt = await login({ role: 'r' })
    expect(noJwt.status).toBe(400)
    expect(noJwt.json).toEqual({ errors: ['missing jwt'] })
    const badRole = await login({ role: 'x', jwt: projectedJwt('web') })
    expect(badRole.status).toBe(400)
    expect(badRole.json).toEqual({ errors: ['invalid role name "x"'] })
    const other = await login({ role: 'r', jwt: projectedJwt('other') })
    expect(other.status).toBe(403)
    expect(other.json.errors[0]).toContain('service account name not authorized')
    expect(api.reviews).toHaveLength(0)
  })

  it.each([
    ['not authenticated', { status: 201, body: { status: { authenticated: false } } }],
    ['a Status failure', { status: 201, body: { kind: 'Status', status: 'Failure', message: 'x' } }],
    ['an error status code', { status: 401, body: { kind: 'Status', status: 'Failure', code: 401 } }],
    ['another user', authenticated('other', [ISSUER])],
    ['no shared audience', authenticated('web', ['something-else'])],
  ])('48: a TokenReview with %s denies the login', async (_what, answer) => {
    api.answer = () => answer
    const response = await login({ role: 'r', jwt: projectedJwt('web') })
    expect(response.status).toBe(403)
    expect(response.json).toEqual({ errors: [wrapped('permission denied')] })
  })

  it('uses token_reviewer_jwt and the role audience when configured', async () => {
    await v.call('POST', 'auth/kubernetes/config', {
      token: v.R,
      body: { kubernetes_host: api.url, token_reviewer_jwt: 'reviewer-jwt' },
    })
    await v.call('POST', 'auth/kubernetes/role/aud', {
      token: v.R,
      body: { bound_service_account_names: 'web', bound_service_account_namespaces: '*', audience: 'vault' },
    })
    const wrongAudience = await login({ role: 'aud', jwt: projectedJwt('web') })
    expect(wrongAudience.status).toBe(403)
    const response = await login({ role: 'aud', jwt: projectedJwt('web', 'vault') })
    expect(response.status).toBe(200)
    expect(api.reviews.at(-1)?.headers.authorization).toBe('Bearer reviewer-jwt')
    expect(api.reviews.at(-1)?.body).toMatchObject({ spec: { audiences: ['vault'] } })
    const config = await v.call('GET', 'auth/kubernetes/config', { token: v.R })
    expect(config.json.data).toMatchObject({ token_reviewer_jwt_set: true, disable_iss_validation: true })
    expect(config.json.data).not.toHaveProperty('token_reviewer_jwt')
  })

  it('role and config validation', async () => {
    const noHost = await v.call('POST', 'auth/kubernetes/config', { token: v.R, body: {} })
    expect(noHost.json).toEqual({ errors: ['no host provided'] })
    const noNames = await v.call('POST', 'auth/kubernetes/role/bad', { token: v.R, body: {} })
    expect(noNames.json).toEqual({ errors: ['"bound_service_account_names" can not be empty'] })
    const mixed = await v.call('POST', 'auth/kubernetes/role/bad', {
      token: v.R,
      body: { bound_service_account_names: ['*', 'web'], bound_service_account_namespaces: ['a'] },
    })
    expect(mixed.json).toEqual({ errors: ['can not mix "*" with values'] })
    const again = await v.call('POST', 'sys/auth/kubernetes', { token: v.R, body: { type: 'kubernetes' } })
    expect(again.json).toEqual({ errors: ['path is already in use at kubernetes/'] })
  })
})
