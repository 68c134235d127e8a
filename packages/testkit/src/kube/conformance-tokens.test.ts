/**
 * Spec §12 conformance cases 18–24: TokenRequest, TokenReview, OIDC discovery, JWKS (with jose's
 * remote key set), key rotation and discovery access rules.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Fixture, p1Body, startFixture } from './conformance-fixture.ts'

let fixture: Fixture
beforeEach(async () => {
  fixture = await startFixture()
})
afterEach(async () => {
  await fixture.close()
})

const tokenPath = '/api/v1/namespaces/ns1/serviceaccounts/sa/token'

async function requestToken(extra: Record<string, unknown> = {}) {
  return fixture.request('POST', tokenPath, {
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: ['vault-controller'],
        expirationSeconds: 600,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1', uid: fixture.podUid },
        ...extra,
      },
    },
  })
}

async function review(token: string, audiences = ['vault-controller']) {
  return fixture.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } },
  })
}

function expectRejected(answer: Awaited<ReturnType<typeof review>>) {
  expect(answer.status).toBe(201)
  expect(answer.json.status.authenticated ?? false).toBe(false)
  expect(answer.json.status.user).toEqual({})
  expect(answer.json.status.error).toMatch(/.+/)
}

describe('TokenRequest (case 20)', () => {
  it('20: issues a pod-bound RS256 JWT with the Kubernetes claims', async () => {
    const answer = await requestToken()
    expect(answer.status).toBe(201)
    const jwt: string = answer.json.status.token
    const header = decodeProtectedHeader(jwt)
    expect(Object.keys(header).sort()).toEqual(['alg', 'kid'])
    expect(header.alg).toBe('RS256')
    const jwks = await fixture.request('GET', '/openid/v1/jwks')
    expect(jwks.json.keys.map((key: { kid: string }) => key.kid)).toContain(header.kid)
    const claims = decodeJwt(jwt)
    const sa = (await fixture.request('GET', '/api/v1/namespaces/ns1/serviceaccounts/sa')).json
    expect(claims).toMatchObject({
      aud: ['vault-controller'],
      sub: 'system:serviceaccount:ns1:sa',
      iss: fixture.kube.issuer,
      'kubernetes.io': {
        namespace: 'ns1',
        serviceaccount: { name: 'sa', uid: sa.metadata.uid },
        pod: { name: 'p1', uid: fixture.podUid },
        node: { name: 'worker-2', uid: 'node-uid-worker-2' },
      },
    })
    expect(claims.iat).toBe(claims.nbf)
    expect(claims.exp).toBe((claims.iat ?? 0) + 600)
    expect(claims.jti).toBeTruthy()
    const expires = Date.parse(answer.json.status.expirationTimestamp)
    expect(Math.abs(expires - (fixture.kube.clock.now() + 600_000))).toBeLessThan(2000)
  })

  it('validation: bounds, missing objects, a different service account, a uid mismatch', async () => {
    const short = await requestToken({ expirationSeconds: 599 })
    expect(short.status).toBe(422)
    expect(short.json.message).toBe(
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    )
    const noSa = await fixture.request('POST', '/api/v1/namespaces/ns1/serviceaccounts/nope/token', {
      body: { spec: {} },
    })
    expect(noSa.json.message).toBe('serviceaccounts "nope" not found')
    const noPod = await requestToken({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'zz' } })
    expect(noPod.json.message).toBe('pods "zz" not found')
    const otherSa = await fixture.request('POST', '/api/v1/namespaces/ns1/serviceaccounts/default/token', {
      body: { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1' } } },
    })
    expect(otherSa.status).toBe(400)
    expect(otherSa.json.message).toBe(
      'cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.',
    )
    const uid = await requestToken({
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1', uid: 'stale' },
    })
    expect(uid.status).toBe(409)
    expect(uid.json.message).toContain(
      'the UID in the bound object reference (stale) does not match the UID in record',
    )
    const defaults = await fixture.request('POST', tokenPath, { body: { spec: {} } })
    expect(defaults.json.spec).toMatchObject({ audiences: [fixture.kube.issuer], expirationSeconds: 3600 })
  })
})

describe('TokenReview (cases 18, 19)', () => {
  it('18: a live pod-bound token reviews as the service account with pod extras', async () => {
    const jwt: string = (await requestToken()).json.status.token
    const answer = await review(jwt)
    expect(answer.status).toBe(201)
    const sa = (await fixture.request('GET', '/api/v1/namespaces/ns1/serviceaccounts/sa')).json
    const jti = decodeJwt(jwt).jti
    expect(answer.json.spec).toEqual({ token: jwt, audiences: ['vault-controller'] })
    expect(answer.json.status).toEqual({
      authenticated: true,
      user: {
        username: 'system:serviceaccount:ns1:sa',
        uid: sa.metadata.uid,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'],
        extra: {
          'authentication.kubernetes.io/credential-id': [`JTI=${jti}`],
          'authentication.kubernetes.io/node-name': ['worker-2'],
          'authentication.kubernetes.io/node-uid': ['node-uid-worker-2'],
          'authentication.kubernetes.io/pod-name': ['p1'],
          'authentication.kubernetes.io/pod-uid': [fixture.podUid],
        },
      },
      audiences: ['vault-controller'],
    })
  })

  it('19: deleted pod, recreated pod, expiry, unknown key, other audience all fail', async () => {
    const jwt: string = (await requestToken()).json.status.token
    expectRejected(await review(jwt, ['other']))
    const [header, payload] = jwt.split('.')
    expectRejected(await review(`${header}.${payload}.${Buffer.from('x'.repeat(256)).toString('base64url')}`))
    await fixture.control('POST', '/keys/rotate', { retainOld: false })
    expectRejected(await review(jwt))
  })

  it('19: a pod deleted with grace 0 invalidates its tokens, and so does a re-created pod', async () => {
    const jwt: string = (await requestToken()).json.status.token
    await fixture.request('DELETE', '/api/v1/namespaces/ns1/pods/p1?gracePeriodSeconds=0')
    expectRejected(await review(jwt))
    await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: p1Body })
    expectRejected(await review(jwt))
  })

  it('19: expiry plus 60 s leeway', async () => {
    const jwt: string = (await requestToken()).json.status.token
    await fixture.control('POST', '/clock/advance', { seconds: 600 + 59 })
    expect((await review(jwt)).json.status.authenticated).toBe(true)
    await fixture.control('POST', '/clock/advance', { seconds: 2 })
    expectRejected(await review(jwt))
  })

  it('a missing token is 400', async () => {
    const answer = await fixture.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { spec: {} },
    })
    expect(answer.status).toBe(400)
    expect(answer.json.message).toBe('token is required for TokenReview in authentication')
  })
})

describe('discovery and JWKS (cases 21–24)', () => {
  it('21: openid-configuration', async () => {
    const answer = await fixture.request('GET', '/.well-known/openid-configuration')
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(answer.json).toEqual({
      issuer: fixture.kube.issuer,
      jwks_uri: `${fixture.kube.issuer}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    })
  })

  it('22: JWKS verifies the TokenRequest token through jose createRemoteJWKSet', async () => {
    const answer = await fixture.request('GET', '/openid/v1/jwks', {
      headers: { accept: 'application/json, application/jwk-set+json' },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/jwk-set+json')
    expect(answer.json.keys).toHaveLength(1)
    expect(Object.keys(answer.json.keys[0])).toEqual(['use', 'kty', 'kid', 'alg', 'n', 'e'])
    expect(answer.json.keys[0]).toMatchObject({ use: 'sig', kty: 'RSA', alg: 'RS256', e: 'AQAB' })
    const jwt: string = (await requestToken()).json.status.token
    const keys = createRemoteJWKSet(new URL(`${fixture.kube.server}/openid/v1/jwks`), {
      headers: { authorization: 'Bearer A' },
    })
    const { payload } = await jwtVerify(jwt, keys, {
      issuer: fixture.kube.issuer,
      audience: 'vault-controller',
      algorithms: ['RS256', 'ES256', 'ES384', 'ES512'],
      requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'kubernetes.io'],
      currentDate: new Date(fixture.kube.clock.now()),
    })
    expect(payload.sub).toBe('system:serviceaccount:ns1:sa')
  })

  it('23: rotation keeps the old key; a refetching resolver verifies old and new tokens', async () => {
    const oldJwt: string = (await requestToken()).json.status.token
    expect((await fixture.control('POST', '/keys/rotate', { retainOld: true })).status).toBe(204)
    const jwks = await fixture.request('GET', '/openid/v1/jwks')
    expect(jwks.json.keys).toHaveLength(2)
    const newJwt: string = (await requestToken()).json.status.token
    expect(decodeProtectedHeader(newJwt).kid).not.toBe(decodeProtectedHeader(oldJwt).kid)
    const keys = createRemoteJWKSet(new URL(`${fixture.kube.server}/openid/v1/jwks`), {
      headers: { authorization: 'Bearer A' },
      cooldownDuration: 0,
    })
    const options = {
      issuer: fixture.kube.issuer,
      audience: 'vault-controller',
      currentDate: new Date(fixture.kube.clock.now()),
    }
    await expect(jwtVerify(newJwt, keys, options)).resolves.toBeDefined()
    await expect(jwtVerify(oldJwt, keys, options)).resolves.toBeDefined()
  })

  it('24: discovery needs authentication; a service-account token may read it', async () => {
    expect((await fixture.request('GET', '/.well-known/openid-configuration', { token: null })).status).toBe(
      401,
    )
    expect((await fixture.request('GET', '/openid/v1/jwks', { token: null })).status).toBe(401)
    await fixture.control('PUT', '/rbac', { mode: 'enforce', rules: [] })
    const jwt: string = (await fixture.request('POST', tokenPath, { body: { spec: {} } })).json.status.token
    expect((await fixture.request('GET', '/.well-known/openid-configuration', { token: jwt })).status).toBe(
      200,
    )
    expect((await fixture.request('GET', '/openid/v1/jwks', { token: jwt })).status).toBe(200)
    await fixture.control('PUT', '/config', { discoveryRequiresAuth: false })
    expect((await fixture.request('GET', '/openid/v1/jwks', { token: null })).status).toBe(200)
  })
})
