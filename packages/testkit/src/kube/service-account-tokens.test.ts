import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { CompactSign, createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { type AdjustableClock, fakeClock } from '../clock.ts'
import { type ReviewLookup, ServiceAccountTokens } from './service-account-tokens.ts'

const issuer = 'https://kubernetes.default.svc.cluster.local'
const startMs = Date.parse('2026-11-10T09:00:00Z')
const startSeconds = startMs / 1000
const saUid = '7f0d5e33-3c1f-4d0e-9c55-1f5a1b2c3d4e'
const podUid = 'c0ffee00-1111-4222-8333-444455556666'
const nodeUid = 'a1b2c3d4-0000-4000-8000-000000000002'
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const allAlgorithms = ['RS256', 'ES256', 'ES384', 'ES512']

/** One RSA key for most tests, so that the suite does not generate dozens. */
let fixedPem: string
beforeAll(() => {
  fixedPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string
})

/** The cluster objects review looks at: ns1/sa and the pod p1 on worker-2, as in the spec's fixtures. */
class FakeCluster implements ReviewLookup {
  readonly serviceAccounts = new Map<string, string>([['ns1/sa', saUid]])
  readonly pods = new Map<string, { uid: string; deletionTimestampMs?: number }>([
    ['ns1/p1', { uid: podUid }],
  ])
  serviceAccountUid(namespace: string, name: string): string | undefined {
    return this.serviceAccounts.get(`${namespace}/${name}`)
  }
  pod(namespace: string, name: string) {
    return this.pods.get(`${namespace}/${name}`)
  }
}

function setup(options: { algorithm?: 'RS256' | 'ES256' | 'ES384' | 'ES512' } = {}): {
  clock: AdjustableClock
  tokens: ServiceAccountTokens
  cluster: FakeCluster
} {
  const clock = fakeClock(startMs)
  const key = options.algorithm === undefined ? { privateKeyPem: fixedPem } : { algorithm: options.algorithm }
  return { clock, tokens: new ServiceAccountTokens({ issuer, clock, key }), cluster: new FakeCluster() }
}

/** Case 20's TokenRequest: ns1/sa bound to p1 on worker-2, audience vault-controller, 600 s. */
function podBoundRequest(overrides: { audiences?: string[]; expirationSeconds?: number } = {}) {
  return {
    namespace: 'ns1',
    serviceAccount: { name: 'sa', uid: saUid },
    pod: { name: 'p1', uid: podUid },
    node: { name: 'worker-2', uid: nodeUid },
    audiences: overrides.audiences ?? ['vault-controller'],
    expirationSeconds: overrides.expirationSeconds ?? 600,
  }
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

describe('issue', () => {
  it('signs the header and claims of spec case 20', async () => {
    const { tokens } = setup()
    const issued = await tokens.issue(podBoundRequest())

    const kid = tokens.jwks().keys[0]?.kid
    const rawHeader = Buffer.from(issued.token.split('.')[0] ?? '', 'base64url').toString()
    expect(rawHeader).toBe(`{"alg":"RS256","kid":"${kid}"}`)
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: 'RS256', kid })

    const claims = decodeJwt(issued.token)
    expect(claims).toEqual({
      aud: ['vault-controller'],
      exp: startSeconds + 600,
      iat: startSeconds,
      iss: issuer,
      jti: issued.jti,
      'kubernetes.io': {
        namespace: 'ns1',
        node: { name: 'worker-2', uid: nodeUid },
        pod: { name: 'p1', uid: podUid },
        serviceaccount: { name: 'sa', uid: saUid },
      },
      nbf: startSeconds,
      sub: 'system:serviceaccount:ns1:sa',
    })
    // Sorted like the API server's output.
    expect(Object.keys(claims)).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub'])
    expect(issued.jti).toMatch(uuidPattern)
    expect(issued.expirationTimestamp).toBe('2026-11-10T09:10:00Z')
  })

  it('computes kid as base64url(SHA-256(SPKI DER)) of the signing key', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issue(podBoundRequest())
    const spkiDer = createPublicKey(fixedPem).export({ type: 'spki', format: 'der' })
    const expected = createHash('sha256').update(spkiDer).digest('base64url')
    expect(decodeProtectedHeader(token).kid).toBe(expected)
    expect(tokens.currentKeyId).toBe(expected)
  })

  it('takes its times from the clock, in whole seconds', async () => {
    const { tokens, clock } = setup()
    clock.advance(3_600_999)
    const issued = await tokens.issue(podBoundRequest({ expirationSeconds: 3600 }))
    const claims = decodeJwt(issued.token)
    expect(claims.iat).toBe(startSeconds + 3600)
    expect(claims.nbf).toBe(claims.iat)
    expect(claims.exp).toBe(startSeconds + 7200)
    expect(issued.expirationTimestamp).toBe('2026-11-10T11:00:00Z')
  })

  it('leaves out pod and node for unbound tokens, node uid when unknown, and defaults the audience', async () => {
    const { tokens } = setup()
    const unbound = await tokens.issue({
      namespace: 'ns1',
      serviceAccount: { name: 'sa', uid: saUid },
      audiences: [],
      expirationSeconds: 600,
    })
    expect(decodeJwt(unbound.token)).toMatchObject({
      aud: [issuer],
      'kubernetes.io': { namespace: 'ns1', serviceaccount: { name: 'sa', uid: saUid } },
    })
    expect(Object.keys(decodeJwt(unbound.token)['kubernetes.io'] as object)).toEqual([
      'namespace',
      'serviceaccount',
    ])

    const unknownNode = await tokens.issue({ ...podBoundRequest(), node: { name: 'worker-2' } })
    expect((decodeJwt(unknownNode.token)['kubernetes.io'] as Record<string, unknown>).node).toEqual({
      name: 'worker-2',
    })
  })

  it('gives every token its own jti', async () => {
    const { tokens } = setup()
    const jtis = new Set<string>()
    for (let i = 0; i < 20; i++) jtis.add((await tokens.issue(podBoundRequest())).jti)
    expect(jtis.size).toBe(20)
  })

  it('rejects a lifetime that is not a positive integer', async () => {
    const { tokens } = setup()
    await expect(tokens.issue(podBoundRequest({ expirationSeconds: 0 }))).rejects.toThrow(RangeError)
    await expect(tokens.issue(podBoundRequest({ expirationSeconds: 1.5 }))).rejects.toThrow(RangeError)
  })
})

describe('jwks and discovery', () => {
  it('publishes the RSA key as in spec case 22', () => {
    const { tokens } = setup()
    const { keys } = tokens.jwks()
    expect(keys).toHaveLength(1)
    expect(Object.keys(keys[0] ?? {})).toEqual(['use', 'kty', 'kid', 'alg', 'n', 'e'])
    expect(keys[0]).toMatchObject({
      use: 'sig',
      kty: 'RSA',
      kid: tokens.currentKeyId,
      alg: 'RS256',
      e: 'AQAB',
    })
  })

  it('hands out copies', () => {
    const { tokens } = setup()
    const first = tokens.jwks()
    ;(first.keys[0] as Record<string, unknown>).kid = 'changed'
    expect(tokens.jwks().keys[0]?.kid).toBe(tokens.currentKeyId)
  })

  it('describes the issuer as in spec case 21', () => {
    const { tokens } = setup()
    expect(tokens.openidConfiguration(`${issuer}/openid/v1/jwks`)).toEqual({
      issuer,
      jwks_uri: `${issuer}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    })
  })

  it('issues tokens that jose verifies against the JWKS with issuer and audience checked', async () => {
    const { tokens, clock } = setup()
    const { token } = await tokens.issue(podBoundRequest())
    const verifyOptions = {
      issuer,
      audience: 'vault-controller',
      algorithms: allAlgorithms,
      clockTolerance: 60,
      requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'kubernetes.io'],
      currentDate: new Date(clock.now()),
    }
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet(tokens.jwks()),
      verifyOptions,
    )
    expect(payload.sub).toBe('system:serviceaccount:ns1:sa')
    expect(protectedHeader.kid).toBe(tokens.currentKeyId)
    await expect(
      jwtVerify(token, createLocalJWKSet(tokens.jwks()), { ...verifyOptions, audience: 'other' }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' })
    await expect(
      jwtVerify(token, createLocalJWKSet(tokens.jwks()), { ...verifyOptions, issuer: 'https://elsewhere' }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' })
  })
})

describe('review', () => {
  it('authenticates a pod-bound token as in spec case 18', async () => {
    const { tokens, cluster } = setup()
    const issued = await tokens.issue(podBoundRequest())
    const result = await tokens.review(issued.token, ['vault-controller'], cluster)
    expect(result).toEqual({
      authenticated: true,
      user: {
        username: 'system:serviceaccount:ns1:sa',
        uid: saUid,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'],
        extra: {
          'authentication.kubernetes.io/credential-id': [`JTI=${issued.jti}`],
          'authentication.kubernetes.io/node-name': ['worker-2'],
          'authentication.kubernetes.io/node-uid': [nodeUid],
          'authentication.kubernetes.io/pod-name': ['p1'],
          'authentication.kubernetes.io/pod-uid': [podUid],
        },
      },
      audiences: ['vault-controller'],
    })
  })

  it('answers the intersection of the requested and the token audiences', async () => {
    const { tokens, cluster } = setup()
    const { token } = await tokens.issue(podBoundRequest({ audiences: ['a', 'vault-controller', 'b'] }))
    expect(await tokens.review(token, ['b', 'x', 'a'], cluster)).toMatchObject({
      authenticated: true,
      audiences: ['a', 'b'],
    })
  })

  it('has no pod or node extras for an unbound token', async () => {
    const { tokens, cluster } = setup()
    const issued = await tokens.issue({
      namespace: 'ns1',
      serviceAccount: { name: 'sa', uid: saUid },
      audiences: ['vault-controller'],
      expirationSeconds: 600,
    })
    const result = await tokens.review(issued.token, ['vault-controller'], cluster)
    expect(result.authenticated && result.user.extra).toEqual({
      'authentication.kubernetes.io/credential-id': [`JTI=${issued.jti}`],
    })
  })

  describe('fails like spec case 19', () => {
    it('when the pod was deleted', async () => {
      const { tokens, cluster } = setup()
      const { token } = await tokens.issue(podBoundRequest())
      cluster.pods.delete('ns1/p1')
      expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
        authenticated: false,
        error: '[invalid bearer token, service account token has been invalidated]',
      })
    })

    it('when the pod was re-created under the same name', async () => {
      const { tokens, cluster } = setup()
      const { token } = await tokens.issue(podBoundRequest())
      const newUid = 'dddddddd-1111-4222-8333-444455556666'
      cluster.pods.set('ns1/p1', { uid: newUid })
      expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
        authenticated: false,
        error: `[invalid bearer token, pod UID (${newUid}) does not match service account pod ref claim (${podUid})]`,
      })
    })

    it('once the clock is past exp + 60 s', async () => {
      const { tokens, cluster, clock } = setup()
      const { token } = await tokens.issue(podBoundRequest())
      clock.advance((600 + 60) * 1000)
      expect(await tokens.review(token, ['vault-controller'], cluster)).toMatchObject({ authenticated: true })
      clock.advance(1000)
      expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
        authenticated: false,
        error: '[invalid bearer token, service account token has expired]',
      })
    })

    it('for a token signed by a key it does not know', async () => {
      const { tokens, cluster } = setup()
      const other = new ServiceAccountTokens({
        issuer,
        clock: fakeClock(startMs),
        key: { algorithm: 'ES256' },
      })
      const { token } = await other.issue(podBoundRequest())
      expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
        authenticated: false,
        error: '[invalid bearer token, invalid signature, no keys found]',
      })
    })

    it('for audiences the token was not issued to', async () => {
      const { tokens, cluster } = setup()
      const { token } = await tokens.issue(podBoundRequest())
      expect(await tokens.review(token, ['other'], cluster)).toEqual({
        authenticated: false,
        error:
          '[invalid bearer token, token audiences ["vault-controller"] is invalid for the target audiences ["other"]]',
      })
    })
  })

  it('keeps a terminating pod valid for 60 s after its deletion timestamp', async () => {
    const { tokens, cluster, clock } = setup()
    const { token } = await tokens.issue(podBoundRequest())
    cluster.pods.set('ns1/p1', { uid: podUid, deletionTimestampMs: startMs + 30_000 })
    clock.advance(90_000)
    expect(await tokens.review(token, ['vault-controller'], cluster)).toMatchObject({ authenticated: true })
    clock.advance(1)
    expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
      authenticated: false,
      error: '[invalid bearer token, service account token has been invalidated]',
    })
  })

  it('fails when the service account is gone or was re-created', async () => {
    const { tokens, cluster } = setup()
    const { token } = await tokens.issue(podBoundRequest())
    cluster.serviceAccounts.set('ns1/sa', 'eeeeeeee-1111-4222-8333-444455556666')
    expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
      authenticated: false,
      error: `[invalid bearer token, service account UID (eeeeeeee-1111-4222-8333-444455556666) does not match claim (${saUid})]`,
    })
    cluster.serviceAccounts.delete('ns1/sa')
    expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
      authenticated: false,
      error: '[invalid bearer token, serviceaccounts "sa" not found]',
    })
  })

  it('fails on a tampered payload under a known kid', async () => {
    const { tokens, cluster } = setup()
    const { token } = await tokens.issue(podBoundRequest())
    const [header, payload, signature] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())
    claims.exp += 3600
    const tampered = [header, encodeSegment(claims), signature].join('.')
    expect(await tokens.review(tampered, ['vault-controller'], cluster)).toEqual({
      authenticated: false,
      error: '[invalid bearer token, square/go-jose: error in cryptographic primitive]',
    })
  })

  it('uses the API audiences when none are requested', async () => {
    const { tokens, cluster } = setup()
    const { token } = await tokens.issue(podBoundRequest({ audiences: [] }))
    expect(await tokens.review(token, [], cluster)).toMatchObject({
      authenticated: true,
      audiences: [issuer],
    })
  })
})

describe('authenticate', () => {
  it('accepts tokens for the API audiences only', async () => {
    const { tokens, cluster } = setup()
    const apiToken = await tokens.issue(podBoundRequest({ audiences: ['vault-controller', issuer] }))
    expect(await tokens.authenticate(apiToken.token, cluster)).toMatchObject({
      authenticated: true,
      user: { username: 'system:serviceaccount:ns1:sa' },
      audiences: [issuer],
    })
    const vaultToken = await tokens.issue(podBoundRequest())
    expect(await tokens.authenticate(vaultToken.token, cluster)).toEqual({
      authenticated: false,
      error: `[invalid bearer token, token audiences ["vault-controller"] is invalid for the target audiences ["${issuer}"]]`,
    })
  })

  it('honours configured API audiences', async () => {
    const clock = fakeClock(startMs)
    const tokens = new ServiceAccountTokens({
      issuer,
      apiAudiences: ['api-a', 'api-b'],
      clock,
      key: { privateKeyPem: fixedPem },
    })
    expect(tokens.apiAudiences).toEqual(['api-a', 'api-b'])
    const { token } = await tokens.issue(podBoundRequest({ audiences: [] }))
    expect(decodeJwt(token).aud).toEqual(['api-a', 'api-b'])
    expect(await tokens.authenticate(token, new FakeCluster())).toMatchObject({
      authenticated: true,
      audiences: ['api-a', 'api-b'],
    })
  })
})

describe('rotate', () => {
  it('keeps the old key verifying when retained, as in spec case 23', async () => {
    const { tokens, cluster, clock } = setup()
    const oldKid = tokens.currentKeyId
    const oldToken = (await tokens.issue(podBoundRequest())).token
    await tokens.rotate({ retainOld: true })

    const kids = tokens.jwks().keys.map((key) => key.kid)
    expect(kids).toHaveLength(2)
    expect(kids).toContain(oldKid)
    expect(tokens.currentKeyId).not.toBe(oldKid)
    expect(kids).toContain(tokens.currentKeyId)

    const newToken = (await tokens.issue(podBoundRequest())).token
    expect(decodeProtectedHeader(newToken).kid).toBe(tokens.currentKeyId)
    for (const token of [oldToken, newToken]) {
      expect(await tokens.review(token, ['vault-controller'], cluster)).toMatchObject({ authenticated: true })
      await expect(
        jwtVerify(token, createLocalJWKSet(tokens.jwks()), {
          issuer,
          audience: 'vault-controller',
          algorithms: allAlgorithms,
          currentDate: new Date(clock.now()),
        }),
      ).resolves.toBeDefined()
    }
    expect(tokens.openidConfiguration('x').id_token_signing_alg_values_supported).toEqual(['RS256'])
  })

  it('drops the old key and its tokens when not retained', async () => {
    const { tokens, cluster } = setup()
    const oldToken = (await tokens.issue(podBoundRequest())).token
    await tokens.rotate({ retainOld: true })
    const middleToken = (await tokens.issue(podBoundRequest())).token
    await tokens.rotate({ retainOld: false })

    expect(tokens.jwks().keys.map((key) => key.kid)).toEqual([tokens.currentKeyId])
    for (const token of [oldToken, middleToken]) {
      expect(await tokens.review(token, ['vault-controller'], cluster)).toEqual({
        authenticated: false,
        error: '[invalid bearer token, invalid signature, no keys found]',
      })
    }
    const newToken = (await tokens.issue(podBoundRequest())).token
    expect(await tokens.review(newToken, ['vault-controller'], cluster)).toMatchObject({
      authenticated: true,
    })
  })
})

describe('key options', () => {
  it.each([
    ['ES256', 'P-256'],
    ['ES384', 'P-384'],
    ['ES512', 'P-521'],
  ] as const)('signs %s with an EC key listed in JWKS', async (algorithm, crv) => {
    const { tokens, cluster, clock } = setup({ algorithm })
    const { token } = await tokens.issue(podBoundRequest())
    expect(decodeProtectedHeader(token)).toEqual({ alg: algorithm, kid: tokens.currentKeyId })
    expect(tokens.jwks().keys).toEqual([
      expect.objectContaining({ use: 'sig', kty: 'EC', kid: tokens.currentKeyId, crv, alg: algorithm }),
    ])
    expect(tokens.openidConfiguration('x').id_token_signing_alg_values_supported).toEqual([algorithm])
    await expect(
      jwtVerify(token, createLocalJWKSet(tokens.jwks()), {
        issuer,
        audience: 'vault-controller',
        algorithms: allAlgorithms,
        currentDate: new Date(clock.now()),
      }),
    ).resolves.toBeDefined()
    expect(await tokens.review(token, ['vault-controller'], cluster)).toMatchObject({ authenticated: true })

    await tokens.rotate({ retainOld: false })
    expect(tokens.jwks().keys[0]).toMatchObject({ kty: 'EC', crv, alg: algorithm })
  })

  it('gives the same kid to every instance built from one PEM, and they accept each other’s tokens', async () => {
    const first = setup()
    const second = setup()
    expect(first.tokens.currentKeyId).toBe(second.tokens.currentKeyId)
    expect(first.tokens.jwks()).toEqual(second.tokens.jwks())
    const { token } = await first.tokens.issue(podBoundRequest())
    expect(await second.tokens.review(token, ['vault-controller'], second.cluster)).toMatchObject({
      authenticated: true,
    })
  })

  it('generates a fresh RSA key by default, also through create()', async () => {
    const clock = fakeClock(startMs)
    const generated = new ServiceAccountTokens({ issuer, clock })
    const created = await ServiceAccountTokens.create({ issuer, clock })
    expect(generated.jwks().keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' })
    expect(created.jwks().keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' })
    expect(created.currentKeyId).not.toBe(generated.currentKeyId)
    const fromPem = await ServiceAccountTokens.create({ issuer, clock, key: { privateKeyPem: fixedPem } })
    expect(fromPem.currentKeyId).toBe(setup().tokens.currentKeyId)
    const { token } = await created.issue(podBoundRequest())
    expect(await created.review(token, ['vault-controller'], new FakeCluster())).toMatchObject({
      authenticated: true,
    })
  })
})

describe('garbage tokens', () => {
  it('never throw and always explain', async () => {
    const { tokens, cluster } = setup()
    const kid = tokens.currentKeyId
    const goodPayload = decodeJwt((await tokens.issue(podBoundRequest())).token)
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const foreignIssuer = new ServiceAccountTokens({
      issuer: 'https://other.example',
      clock: fakeClock(startMs),
      key: { algorithm: 'ES256' },
    })
    const signWith = (header: Record<string, unknown>, key = otherKey) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(goodPayload)))
        .setProtectedHeader(header as { alg: string })
        .sign(key)

    const cases: Array<[string, string, string]> = [
      ['empty', '', 'invalid bearer token'],
      ['random text', 'not a token at all', 'invalid bearer token'],
      ['three junk segments', 'a.b.c', 'invalid bearer token'],
      ['JSON object', '{"alg":"none"}', 'invalid bearer token'],
      ['dots only', '..', 'invalid bearer token'],
      [
        'payload not JSON',
        `${encodeSegment({ alg: 'RS256', kid })}.bm90IGpzb24.c2ln`,
        'invalid bearer token',
      ],
      ['header not JSON', `bm90IGpzb24.${encodeSegment(goodPayload)}.c2ln`, 'invalid bearer token'],
      [
        'bad base64',
        `${encodeSegment({ alg: 'RS256', kid })}.${encodeSegment(goodPayload)}.***`,
        'invalid bearer token',
      ],
      [
        'alg none without kid',
        `${encodeSegment({ alg: 'none' })}.${encodeSegment(goodPayload)}.`,
        '[invalid bearer token, square/go-jose: unknown/unsupported algorithm]',
      ],
      [
        'alg none with our kid',
        `${encodeSegment({ alg: 'none', kid })}.${encodeSegment(goodPayload)}.`,
        '[invalid bearer token, square/go-jose: unknown/unsupported algorithm]',
      ],
      [
        'HS256 with our kid',
        await signWith({ alg: 'HS256', kid }, new TextEncoder().encode('x'.repeat(32)) as never),
        '[invalid bearer token, square/go-jose: unknown/unsupported algorithm]',
      ],
      [
        'RS256 from another key without kid',
        await signWith({ alg: 'RS256' }),
        '[invalid bearer token, square/go-jose: error in cryptographic primitive]',
      ],
      [
        'RS256 from another key under our kid',
        await signWith({ alg: 'RS256', kid }),
        '[invalid bearer token, square/go-jose: error in cryptographic primitive]',
      ],
      [
        'wrong issuer',
        `${encodeSegment({ alg: 'RS256', kid })}.${encodeSegment({ ...goodPayload, iss: 'x' })}.c2ln`,
        'invalid bearer token',
      ],
      [
        'another kube-dev with another issuer',
        (await foreignIssuer.issue(podBoundRequest())).token,
        'invalid bearer token',
      ],
      ['a very long string', 'x'.repeat(100_000), 'invalid bearer token'],
    ]
    for (const [name, token, error] of cases) {
      expect({ name, result: await tokens.review(token, ['vault-controller'], cluster) }).toEqual({
        name,
        result: { authenticated: false, error },
      })
      expect(await tokens.authenticate(token, cluster)).toMatchObject({ authenticated: false })
    }
    // Not even a string, as a JavaScript caller might pass.
    expect(await tokens.review(undefined as unknown as string, [], cluster)).toEqual({
      authenticated: false,
      error: 'invalid bearer token',
    })
  })
})
