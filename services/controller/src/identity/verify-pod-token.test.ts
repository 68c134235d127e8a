import { randomUUID } from 'node:crypto'
import { type KubeDev, startKubeDev } from '@vault-controller/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrokerError } from '../errors.ts'
import { createKubeClient, kubeConfigFor } from '../kube/kube-client.ts'
import { Secret } from '../secret.ts'
import { createJwksVerifier } from './verify-pod-token.ts'

let kube: KubeDev

beforeAll(async () => {
  kube = await startKubeDev({ log: () => {} })
  await kube.createNamespace('ns1')
  await kube.createServiceAccount('ns1', 'sa')
})

afterAll(async () => {
  await kube?.close()
})

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${kube.server}${path}`, {
    method,
    headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function tokenFor(
  options: { audience?: string; pod?: boolean } = {},
): Promise<{ jwt: string; uid?: string }> {
  let boundObjectRef: object | undefined
  let uid: string | undefined
  if (options.pod !== false) {
    const name = `p-${randomUUID().slice(0, 8)}`
    const created = await admin('POST', '/api/v1/namespaces/ns1/pods', {
      metadata: { name },
      spec: { serviceAccountName: 'sa', containers: [{ name: 'app', image: 'app' }] },
    })
    uid = (created.body.metadata as { uid: string }).uid
    boundObjectRef = { apiVersion: 'v1', kind: 'Pod', name, uid }
  }
  const answer = await admin('POST', '/api/v1/namespaces/ns1/serviceaccounts/sa/token', {
    spec: {
      audiences: [options.audience ?? 'vault-controller'],
      expirationSeconds: 600,
      ...(boundObjectRef === undefined ? {} : { boundObjectRef }),
    },
  })
  expect(answer.status).toBe(201)
  return { jwt: (answer.body.status as { token: string }).token, ...(uid === undefined ? {} : { uid }) }
}

function verifier(options: { now?: () => number; issuer?: string } = {}) {
  const client = createKubeClient({
    kubeConfig: kubeConfigFor(kube.server, kube.token),
    component: 'test',
    controllerId: 'test',
  })
  return createJwksVerifier({ kube: client, audience: 'vault-controller', jwksCooldownMs: 0, ...options })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof BrokerError) return error.code
    throw error
  }
  throw new Error('verified')
}

describe('createJwksVerifier', () => {
  it('verifies a pod-bound token through discovery and names the pod', async () => {
    const { jwt, uid } = await tokenFor()
    const identity = await verifier().verify(new Secret(jwt))
    expect(identity).toMatchObject({ namespace: 'ns1', serviceAccount: 'sa', podUid: uid })
    expect(identity.podName).toMatch(/^p-/)
    expect(identity.serviceAccountUid).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('refetches the keys when a token names a key it has not seen (rotation)', async () => {
    const check = verifier()
    await check.verify(new Secret((await tokenFor()).jwt))
    const rotated = await fetch(`${kube.server}/__testkit/keys/rotate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retainOld: true }),
    })
    expect(rotated.status).toBe(204)
    const identity = await check.verify(new Secret((await tokenFor()).jwt))
    expect(identity.namespace).toBe('ns1')
  })

  it.each([
    ['expired', { now: () => Date.now() + 3_600_000 }, {}, 'VC_IDENTITY_EXPIRED'],
    ['for another audience', {}, { audience: 'someone-else' }, 'VC_IDENTITY_WRONG_AUDIENCE'],
    ['from another issuer', { issuer: 'https://elsewhere.example' }, {}, 'VC_IDENTITY_INVALID'],
    ['not bound to a pod', {}, { pod: false }, 'VC_IDENTITY_INVALID'],
  ] as const)('refuses a token %s', async (_name, verifierOptions, tokenOptions, code) => {
    const { jwt } = await tokenFor(tokenOptions)
    expect(await codeOf(verifier(verifierOptions).verify(new Secret(jwt)))).toBe(code)
  })

  it('refuses a tampered token', async () => {
    const { jwt } = await tokenFor()
    const [header, payload, signature] = jwt.split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'))
    claims['kubernetes.io'].namespace = 'kube-system'
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    expect(await codeOf(verifier().verify(new Secret(forged)))).toBe('VC_IDENTITY_INVALID')
  })

  it('answers VC_KUBE_UNAVAILABLE while discovery fails, and recovers', async () => {
    const { jwt } = await tokenFor()
    const fault = await fetch(`${kube.server}/__testkit/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pathPrefix: '/.well-known/openid-configuration', status: 503, times: 1 }),
    })
    expect(fault.status).toBe(201)
    const check = verifier()
    expect(await codeOf(check.verify(new Secret(jwt)))).toBe('VC_KUBE_UNAVAILABLE')
    expect((await check.verify(new Secret(jwt))).namespace).toBe('ns1')
  })

  it('reads discovery and keys over HTTPS, trusting the cluster CA of the configuration', async () => {
    const secure = await startKubeDev({ log: () => {}, tls: true })
    try {
      await secure.createNamespace('ns1')
      await secure.createServiceAccount('ns1', 'sa')
      const name = `p-${randomUUID().slice(0, 8)}`
      const client = createKubeClient({
        kubeConfig: kubeConfigFor(secure.server, secure.token, secure.caPem),
        component: 'test',
        controllerId: 'test',
      })
      // The controller's fetch trusts the cluster CA and carries its credentials.
      const listed = await client.apiServerFetch(`${secure.server}/api/v1/namespaces/ns1/pods`)
      expect(listed.status).toBe(200)
      const podResponse = await fetchWithCa(secure, '/api/v1/namespaces/ns1/pods', {
        metadata: { name },
        spec: { serviceAccountName: 'sa', containers: [{ name: 'app', image: 'app' }] },
      })
      const uid = (podResponse.metadata as { uid: string }).uid
      const tokenResponse = await fetchWithCa(secure, '/api/v1/namespaces/ns1/serviceaccounts/sa/token', {
        spec: {
          audiences: ['vault-controller'],
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, uid },
        },
      })
      const identity = await createJwksVerifier({ kube: client, audience: 'vault-controller' }).verify(
        new Secret((tokenResponse.status as { token: string }).token),
      )
      expect(identity).toMatchObject({ namespace: 'ns1', podName: name, podUid: uid })
      await expect(client.apiServerFetch('https://elsewhere.example/openid/v1/jwks')).rejects.toThrow(
        /refusing to send the controller's credentials/,
      )
    } finally {
      await secure.close()
    }
  })
})

/** POST with the admin token to a TLS kube-dev, trusting its self-signed CA. */
async function fetchWithCa(server: KubeDev, path: string, body: unknown) {
  const { Agent, fetch: undiciFetch } = await import('undici')
  const response = await undiciFetch(`${server.server}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    dispatcher: new Agent({ connect: { ca: server.caPem ?? '' } }),
  })
  expect(response.status).toBe(201)
  return (await response.json()) as Record<string, unknown>
}
