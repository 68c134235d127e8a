/**
 * `POST /v1/token` end to end: the real app with its real clients (client-node, node-vault, jose)
 * against in-process kube-dev and vault-dev, and a small HTTPS callback listener standing in for
 * vault-init. No module of ours is mocked.
 */
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  DELIVER_PATH,
  ISSUANCE_ANNOTATION,
  parseIssuanceRecord,
  REVOKE_FINALIZER,
} from '@vault-controller/protocol'
import { type KubeDev, type VaultDev, waitFor } from '@vault-controller/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type CallbackBehaviour,
  type CallbackListener,
  selfSignedCertificate,
  startCallbackListener,
} from '../test-support/callback-listener.ts'
import {
  type ControllerApp,
  type ControllerWorld,
  type CreatedPod,
  createPod as createWorldPod,
  requestToken,
  startControllerApp,
  startControllerWorld,
  podToken as worldPodToken,
} from '../test-support/controller-world.ts'
import {
  countTokens,
  type Json,
  kubeCall as worldKubeCall,
  vaultCall as worldVaultCall,
} from '../test-support/dev-api.ts'

const NAMESPACE = 'payments'
const SERVICE_ACCOUNT = 'web'

const ALLOW_LIST = `
rules:
  - name: payments-web
    namespaces: [payments]
    serviceAccounts: [web]
    policies: [web, db-*]
    ttl: { default: 1h, max: 24h }
  - name: batch-fixed
    namespaces: [batch]
    serviceAccounts: [worker]
    policies: [batch]
    fixedTtl: 1h
    tokenRole: fixed-1h
`

const CONTROLLER_POLICY = `
path "auth/token/create/pod-tokens" { capabilities = ["update", "sudo"] }
path "auth/token/create/fixed-1h" { capabilities = ["update"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
`

let world: ControllerWorld
let kube: KubeDev
let vault: VaultDev

const vaultCall = (method: string, path: string, body?: unknown) => worldVaultCall(vault, method, path, body)
const kubeCall = (method: string, path: string, body?: unknown) => worldKubeCall(kube, method, path, body)

const tokenCount = () => countTokens(vault)

beforeAll(async () => {
  world = await startControllerWorld({
    serviceAccounts: { [NAMESPACE]: [SERVICE_ACCOUNT, 'other'], batch: ['worker'] },
    controllerPolicy: CONTROLLER_POLICY,
    tokenRoles: {
      'pod-tokens': { orphan: true, allowed_policies: ['web'], allowed_policies_glob: ['db-*'] },
      'fixed-1h': { orphan: true, allowed_policies: ['batch'], token_period: '1h' },
    },
    allowList: ALLOW_LIST,
    tempPrefix: 'controller-test-',
  })
  ;({ kube, vault } = world)
})

afterAll(async () => {
  await world?.close()
})

// ---------------------------------------------------------------------------------------------
// The controller under test

const apps: ControllerApp[] = []

async function startController(
  settings: Record<string, string> = {},
  extras: { readiness?: { shuttingDown: boolean }; https?: { cert: string; key: string } } = {},
): Promise<ControllerApp> {
  const harness = await startControllerApp(
    world,
    { CONTROLLER_ID: 'controller-test', LOG_LEVEL: 'debug', REQUEST_DEADLINE: '15s', ...settings },
    { healthCheckIntervalMs: 50, ...extras },
  )
  apps.push(harness)
  return harness
}

afterEach(async () => {
  for (const callback of callbacks.splice(0)) await callback.close()
  for (const harness of apps.splice(0)) await harness.close()
})

// ---------------------------------------------------------------------------------------------
// Pods and their identity tokens

interface PodOptions {
  namespace?: string
  serviceAccount?: string
  annotations?: Record<string, string>
  podIP?: string | null
  hostNetwork?: boolean
  initContainers?: 'running' | 'succeeded'
}

function createPod(options: PodOptions = {}): Promise<CreatedPod> {
  return createWorldPod(kube, {
    namespace: options.namespace ?? NAMESPACE,
    serviceAccount: options.serviceAccount ?? SERVICE_ACCOUNT,
    annotations: options.annotations ?? {
      'vaultproject.io/policies': 'web, DB-read',
      'vaultproject.io/ttl': '2h',
    },
    ...(options.podIP === undefined ? {} : { podIP: options.podIP }),
    ...(options.hostNetwork === undefined ? {} : { hostNetwork: options.hostNetwork }),
    ...(options.initContainers === undefined ? {} : { initContainers: options.initContainers }),
  })
}

function podToken(pod: CreatedPod, audience?: string): Promise<string> {
  return worldPodToken(kube, pod, audience)
}

async function readPod(pod: { namespace: string; name: string }) {
  return (await kubeCall('GET', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`)).body as Json
}

async function issuanceOf(pod: { namespace: string; name: string }) {
  const text = (await readPod(pod)).metadata.annotations?.[ISSUANCE_ANNOTATION]
  if (text === undefined) return undefined
  const parsed = parseIssuanceRecord(text)
  if (!parsed.ok) throw new Error(parsed.errors.join('; '))
  return parsed.value
}

async function eventsOf(pod: { namespace: string; name: string }) {
  const answer = await kubeCall(
    'GET',
    `/api/v1/namespaces/${pod.namespace}/events?fieldSelector=involvedObject.name=${pod.name}`,
  )
  return answer.body?.items as Array<Json>
}

// ---------------------------------------------------------------------------------------------
// vault-init's callback listener

const callbacks: CallbackListener[] = []

async function startCallback(behaviour: CallbackBehaviour = 'accept'): Promise<CallbackListener> {
  const callback = await startCallbackListener(vault.addr, behaviour)
  callbacks.push(callback)
  return callback
}

describe('POST /v1/token, callback delivery', () => {
  it('verifies, mints through the role, delivers to the pinned callback and records everything', async () => {
    const { app, audit, logs } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)

    const response = await requestToken(app, pod, jwt, callback)

    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body).toEqual({
      status: 'delivered',
      requestId: expect.stringMatching(/^req-/),
      wrappingAccessor: expect.any(String),
      tokenAccessor: expect.any(String),
      policies: ['db-read', 'web'],
      ttlSeconds: 7200,
    })

    // The callback got the wrapped token, on the protocol's path, and unwrapped it.
    expect(callback.deliveries).toHaveLength(1)
    expect(callback.deliveries[0]?.path).toBe(DELIVER_PATH)
    expect(callback.deliveries[0]?.wrapInfo.wrappedAccessor).toBe(body.tokenAccessor)
    expect(callback.unwrapped[0]?.auth.accessor).toBe(body.tokenAccessor)

    // The token in Vault: policies, orphan, period, metadata, display name, role path.
    const lookup = await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: body.tokenAccessor })
    expect(lookup.status).toBe(200)
    expect(lookup.body?.data).toMatchObject({
      policies: ['db-read', 'default', 'web'],
      orphan: true,
      period: 7200,
      display_name: `token-payments-${pod.name}`,
      path: 'auth/token/create/pod-tokens',
      meta: {
        namespace: NAMESPACE,
        pod_name: pod.name,
        pod_uid: pod.uid,
        pod_ip: '127.0.0.1',
        host_ip: '10.0.0.1',
        service_account: SERVICE_ACCOUNT,
        node_name: 'node-1',
      },
    })

    // The pod: issued record with the accessors, finalizer held.
    const record = await issuanceOf(pod)
    expect(record).toMatchObject({
      state: 'issued',
      requestId: body.requestId,
      controller: 'controller-test',
      wrappingAccessor: body.wrappingAccessor,
      tokenAccessor: body.tokenAccessor,
      policies: ['db-read', 'web'],
      ttlSeconds: 7200,
    })
    expect((await readPod(pod)).metadata.finalizers).toContain(REVOKE_FINALIZER)

    // The Event and the audit line.
    const events = await eventsOf(pod)
    expect(events).toEqual([
      expect.objectContaining({
        type: 'Normal',
        reason: 'VaultTokenIssued',
        count: 1,
        source: expect.objectContaining({ component: 'vault-controller' }),
        involvedObject: expect.objectContaining({ kind: 'Pod', name: pod.name, uid: pod.uid }),
      }),
    ])
    expect(events[0]?.message).toContain(body.tokenAccessor)
    expect(audit).toEqual([
      expect.objectContaining({
        decision: 'issued',
        requestId: body.requestId,
        pod: { namespace: NAMESPACE, name: pod.name, uid: pod.uid },
        serviceAccount: SERVICE_ACCOUNT,
        policies: ['db-read', 'web'],
        ttlSeconds: 7200,
        rule: 'payments-web',
        wrappingAccessor: body.wrappingAccessor,
        tokenAccessor: body.tokenAccessor,
      }),
    ])

    // No token or JWT anywhere in what the controller wrote.
    const wrappingToken = callback.deliveries[0]?.wrapInfo.token as string
    const clientToken = callback.unwrapped[0]?.auth.client_token as string
    const written = [...logs, JSON.stringify(events), JSON.stringify(await readPod(pod)), response.body].join(
      '\n',
    )
    for (const secret of [jwt, wrappingToken, clientToken]) expect(written).not.toContain(secret)
    expect(written).not.toMatch(/hvs\./)
  })

  it('answers a second request for the same pod with 409 VC_ALREADY_ISSUED and mints nothing', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)
    expect((await requestToken(app, pod, jwt, callback)).statusCode).toBe(200)
    const before = await tokenCount()

    const again = await requestToken(app, pod, jwt, callback)

    expect(again.statusCode).toBe(409)
    expect(again.json().error).toMatchObject({ code: 'VC_ALREADY_ISSUED', retryable: false })
    expect(await tokenCount()).toBe(before)
    expect(callback.deliveries).toHaveLength(1)
  })

  it('mints through a fixed-period role without sending a period (no sudo needed)', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod({
      namespace: 'batch',
      serviceAccount: 'worker',
      annotations: { 'vaultproject.io/policies': 'batch' },
    })

    const response = await requestToken(app, pod, await podToken(pod), callback)

    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ policies: ['batch'], ttlSeconds: 3600 })
    const lookup = await vaultCall('POST', 'auth/token/lookup-accessor', {
      accessor: response.json().tokenAccessor,
    })
    expect(lookup.body?.data).toMatchObject({
      path: 'auth/token/create/fixed-1h',
      orphan: true,
      policies: ['batch', 'default'],
    })
    expect(lookup.body?.data.ttl).toBeGreaterThan(3500)
    expect(lookup.body?.data.ttl).toBeLessThanOrEqual(3600)
  })

  it('issues exactly one token when the same pod asks many times at once', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)
    const before = await tokenCount()

    const answers = await Promise.all(Array.from({ length: 6 }, () => requestToken(app, pod, jwt, callback)))

    const statuses = answers.map((answer) => answer.statusCode).sort()
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409])
    for (const answer of answers.filter((each) => each.statusCode === 409)) {
      expect(['VC_ALREADY_ISSUED', 'VC_ISSUANCE_IN_PROGRESS']).toContain(answer.json().error.code)
    }
    expect(callback.deliveries).toHaveLength(1)
    // One minted token and its (already used) wrapping token: the wrapping token is gone once unwrapped.
    expect(await tokenCount()).toBe(before + 1)
  })

  it('issues exactly one token across two replicas racing for the same pod', async () => {
    const first = await startController({ CONTROLLER_ID: 'replica-a' })
    const second = await startController({ CONTROLLER_ID: 'replica-b' })
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)

    const answers = await Promise.all([
      requestToken(first.app, pod, jwt, callback),
      requestToken(second.app, pod, jwt, callback),
      requestToken(first.app, pod, jwt, callback),
      requestToken(second.app, pod, jwt, callback),
    ])

    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(1)
    expect(callback.deliveries).toHaveLength(1)
  })
})

describe('POST /v1/token, refusals mint nothing', () => {
  const refusals: Array<{
    name: string
    pod?: PodOptions
    jwt?: 'none' | 'garbage' | 'wrong-audience' | 'other-pod'
    status: number
    code: string
    event?: boolean
  }> = [
    { name: 'no bearer token', jwt: 'none', status: 401, code: 'VC_IDENTITY_MISSING' },
    { name: 'a forged token', jwt: 'garbage', status: 401, code: 'VC_IDENTITY_INVALID' },
    {
      name: 'a token for another audience',
      jwt: 'wrong-audience',
      status: 401,
      code: 'VC_IDENTITY_WRONG_AUDIENCE',
    },
    { name: "another pod's token", jwt: 'other-pod', status: 403, code: 'VC_IDENTITY_MISMATCH' },
    { name: 'a pod without an IP', pod: { podIP: null }, status: 412, code: 'VC_POD_NOT_READY' },
    {
      name: 'a hostNetwork pod',
      pod: { hostNetwork: true },
      status: 403,
      code: 'VC_HOST_NETWORK_POD',
      event: true,
    },
    {
      name: 'a pod past its init containers',
      pod: { initContainers: 'succeeded' },
      status: 409,
      code: 'VC_POD_NOT_INITIALIZING',
      event: true,
    },
    {
      name: 'a policy outside the rule',
      pod: { annotations: { 'vaultproject.io/policies': 'web,admin' } },
      status: 403,
      code: 'VC_POLICY_NOT_ALLOWED',
      event: true,
    },
    {
      name: 'the root policy',
      pod: { annotations: { 'vaultproject.io/policies': 'web, ROOT' } },
      status: 403,
      code: 'VC_ROOT_POLICY_REFUSED',
      event: true,
    },
    {
      name: 'a TTL above the max',
      pod: { annotations: { 'vaultproject.io/policies': 'web', 'vaultproject.io/ttl': '48h' } },
      status: 403,
      code: 'VC_TTL_ABOVE_MAX',
      event: true,
    },
    {
      name: 'another TTL than the fixed one of its rule',
      pod: {
        namespace: 'batch',
        serviceAccount: 'worker',
        annotations: { 'vaultproject.io/policies': 'batch', 'vaultproject.io/ttl': '2h' },
      },
      status: 403,
      code: 'VC_TTL_NOT_ALLOWED',
      event: true,
    },
    {
      name: 'a malformed TTL',
      pod: { annotations: { 'vaultproject.io/policies': 'web', 'vaultproject.io/ttl': 'soon' } },
      status: 400,
      code: 'VC_TTL_ANNOTATION_INVALID',
      event: true,
    },
    {
      name: 'no policies annotation',
      pod: { annotations: {} },
      status: 400,
      code: 'VC_POLICIES_ANNOTATION_INVALID',
      event: true,
    },
    {
      name: 'a service account without a rule',
      pod: { serviceAccount: 'other' },
      status: 403,
      code: 'VC_NO_MATCHING_RULE',
      event: true,
    },
  ]

  it.each(refusals)('refuses $name with $status $code', async (refusal) => {
    const { app, audit, logs } = await startController()
    const callback = await startCallback()
    const pod = await createPod(refusal.pod)
    let jwt: string | undefined
    if (refusal.jwt === 'garbage') jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
    else if (refusal.jwt === 'wrong-audience') jwt = await podToken(pod, 'somebody-else')
    else if (refusal.jwt === 'other-pod') jwt = await podToken(await createPod())
    else if (refusal.jwt !== 'none') jwt = await podToken(pod)
    const before = await tokenCount()

    const response = await requestToken(app, pod, jwt, callback)

    expect(response.statusCode).toBe(refusal.status)
    expect(response.json()).toEqual({
      error: {
        code: refusal.code,
        message: expect.any(String),
        requestId: expect.stringMatching(/^req-/),
        retryable: expect.any(Boolean),
      },
    })
    if (response.json().error.retryable) expect(response.headers['retry-after']).toMatch(/^\d+$/)
    expect(await tokenCount()).toBe(before)
    expect(callback.deliveries).toHaveLength(0)
    expect(await issuanceOf(pod)).toBeUndefined()
    if (refusal.event === true) {
      const events = await eventsOf(pod)
      expect(events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'VaultTokenDenied' })])
      expect(audit).toEqual([
        expect.objectContaining({
          decision: 'denied',
          code: refusal.code,
          pod: expect.objectContaining({ uid: pod.uid }),
        }),
      ])
    }
    if (jwt !== undefined) {
      expect(response.body).not.toContain(jwt)
      expect(logs.join('\n')).not.toContain(jwt)
    }
  })

  it('refuses a pod that is being deleted with 409 VC_POD_TERMINATING', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)
    // A finalizer of someone else keeps the pod around while it terminates.
    const patched = await fetch(`${kube.server}/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { finalizers: ['example.com/keep'] } }),
    })
    expect(patched.status).toBe(200)
    expect((await kubeCall('DELETE', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`)).status).toBe(
      200,
    )
    const before = await tokenCount()

    const response = await requestToken(app, pod, jwt, callback)

    expect(response.statusCode).toBe(409)
    expect(response.json().error.code).toBe('VC_POD_TERMINATING')
    expect(await tokenCount()).toBe(before)
  })

  it('refuses a pod that no longer exists with 404 VC_POD_NOT_FOUND', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)
    await kubeCall('DELETE', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}?gracePeriodSeconds=0`)
    await waitFor(
      async () =>
        (await kubeCall('GET', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`)).status === 404,
      {
        timeoutMs: 5000,
      },
    )

    const response = await requestToken(app, pod, jwt, callback)

    expect(response.statusCode).toBe(404)
    expect(response.json().error.code).toBe('VC_POD_NOT_FOUND')
  })

  it('refuses malformed bodies with 400 and other media types with 415, before anything else', async () => {
    const { app } = await startController()
    const pod = await createPod()
    const jwt = await podToken(pod)

    const badBody = await app.inject({
      method: 'POST',
      url: '/v1/token',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      payload: {
        namespace: pod.namespace,
        name: pod.name,
        callback: { port: 0, certSha256: 'xyz' },
        extra: 1,
      },
    })
    expect(badBody.statusCode).toBe(400)
    expect(badBody.json().error.code).toBe('VC_BAD_REQUEST')
    expect(badBody.json().error.message).toContain('callback.port')

    const notJson = await app.inject({
      method: 'POST',
      url: '/v1/token',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      payload: '{"namespace":',
    })
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json().error.code).toBe('VC_BAD_REQUEST')

    const text = await app.inject({
      method: 'POST',
      url: '/v1/token',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'text/plain' },
      payload: 'hello',
    })
    expect(text.statusCode).toBe(415)
    expect(text.json().error.code).toBe('VC_UNSUPPORTED_MEDIA_TYPE')

    const large = await app.inject({
      method: 'POST',
      url: '/v1/token',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ namespace: 'x'.repeat(5000) }),
    })
    expect(large.statusCode).toBe(413)
    expect(large.json().error.code).toBe('VC_BODY_TOO_LARGE')

    const unknownRoute = await app.inject({ method: 'GET', url: '/v2/token' })
    expect(unknownRoute.statusCode).toBe(404)
    expect(unknownRoute.json().error.code).toBe('VC_ROUTE_NOT_FOUND')
  })
})

describe('POST /v1/token, delivery failures', () => {
  async function expectRevokedAndFailed(
    pod: { namespace: string; name: string },
    code = 'VC_CALLBACK_FAILED',
  ) {
    const record = await issuanceOf(pod)
    expect(record).toMatchObject({ state: 'failed', reason: code })
    if (record?.state !== 'failed' || record.tokenAccessor === undefined)
      throw new Error('no accessor recorded')
    const lookup = await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: record.tokenAccessor })
    expect(lookup.status).toBe(400)
    return record
  }

  it('revokes the token when nothing listens on the callback, and a retry succeeds', async () => {
    const { app, audit } = await startController()
    const closed = await startCallback()
    await closed.close()
    const pod = await createPod()
    const jwt = await podToken(pod)
    const before = await tokenCount()

    const failed = await requestToken(app, pod, jwt, closed)

    expect(failed.statusCode).toBe(502)
    expect(failed.json().error).toMatchObject({ code: 'VC_CALLBACK_FAILED', retryable: true })
    expect(failed.headers['retry-after']).toMatch(/^\d+$/)
    const record = await expectRevokedAndFailed(pod)
    expect(await tokenCount()).toBe(before)
    expect(audit).toEqual([
      expect.objectContaining({
        decision: 'delivery_failed',
        code: 'VC_CALLBACK_FAILED',
        revoked: true,
        tokenAccessor: record.tokenAccessor,
      }),
    ])
    expect(await eventsOf(pod)).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'VaultTokenDeliveryFailed' }),
    ])

    const callback = await startCallback()
    const retried = await requestToken(app, pod, jwt, callback)
    expect(retried.statusCode).toBe(200)
    expect(await issuanceOf(pod)).toMatchObject({ state: 'issued' })
  })

  it('sends nothing to a callback presenting another certificate than the pinned one', async () => {
    const { app } = await startController()
    const impostor = await startCallback()
    const genuine = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)

    const response = await requestToken(app, pod, jwt, {
      port: impostor.port,
      certSha256: genuine.certSha256,
    })

    expect(response.statusCode).toBe(502)
    expect(response.json().error.code).toBe('VC_CALLBACK_FAILED')
    expect(impostor.deliveries).toHaveLength(0)
    await expectRevokedAndFailed(pod)
  })

  it('gives up on a callback that never answers, within the wrap TTL, and revokes', async () => {
    const { app } = await startController({ VAULT_WRAP_TTL: '4s' })
    const hanging = await startCallback('hang')
    const pod = await createPod()
    const jwt = await podToken(pod)
    const started = Date.now()

    const response = await requestToken(app, pod, jwt, hanging)

    expect(response.statusCode).toBe(502)
    expect(Date.now() - started).toBeLessThan(4000)
    expect(hanging.deliveries).toHaveLength(1)
    const record = await expectRevokedAndFailed(pod)
    // The wrapping token is dead too: the intercepted-but-late unwrap fails.
    const unwrap = await vaultCall('POST', 'sys/wrapping/unwrap', {
      token: hanging.deliveries[0]?.wrapInfo.token,
    })
    expect(unwrap.status).toBe(400)
    expect(record.wrappingAccessor).toBe(hanging.deliveries[0]?.wrapInfo.accessor)
  })

  it('revokes when vault-init refuses the delivery', async () => {
    const { app } = await startController()
    const refusing = await startCallback('refuse-with-500')
    const pod = await createPod()

    const response = await requestToken(app, pod, await podToken(pod), refusing)

    expect(response.statusCode).toBe(502)
    await expectRevokedAndFailed(pod)
  })
})

describe('one token per pod UID', () => {
  async function annotate(pod: { namespace: string; name: string }, record: unknown) {
    const patched = await fetch(`${kube.server}/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({
        metadata: {
          annotations: {
            [ISSUANCE_ANNOTATION]: typeof record === 'string' ? record : JSON.stringify(record),
          },
        },
      }),
    })
    expect(patched.status).toBe(200)
  }

  /** A token minted through the role for `pod` (its metadata), or for nobody in particular. */
  async function liveRoleToken(pod?: { namespace: string; uid: string }) {
    const created = await vaultCall('POST', 'auth/token/create/pod-tokens', {
      policies: ['web'],
      ...(pod === undefined ? {} : { meta: { namespace: pod.namespace, pod_uid: pod.uid } }),
    })
    return created.body?.auth.accessor as string
  }

  const inProgress = (claimExpiresAt: string, tokenAccessor?: string) => ({
    v: 1,
    state: 'in-progress',
    requestId: 'req-earlier',
    controller: 'replica-dead',
    at: new Date(Date.now() - 120_000).toISOString(),
    claimExpiresAt,
    ...(tokenAccessor === undefined ? {} : { tokenAccessor }),
  })

  it('takes over an expired claim, revoking the token it had minted', async () => {
    const { app, audit } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const orphaned = await liveRoleToken(pod)
    await annotate(pod, inProgress(new Date(Date.now() - 1000).toISOString(), orphaned))

    const response = await requestToken(app, pod, await podToken(pod), callback)

    expect(response.statusCode).toBe(200)
    expect((await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: orphaned })).status).toBe(400)
    expect(audit.map((line) => line.decision)).toEqual(['revoked', 'issued'])
    expect(audit[0]).toMatchObject({ tokenAccessor: orphaned })
  })

  it('never revokes a token a forged record names that was not minted for the pod', async () => {
    const { app, logs } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    // Whoever may patch the pod writes somebody else's accessor into its record.
    const victim = await liveRoleToken({ namespace: pod.namespace, uid: 'another-pod-uid' })
    await annotate(pod, inProgress(new Date(Date.now() - 1000).toISOString(), victim))

    const response = await requestToken(app, pod, await podToken(pod), callback)

    expect(response.statusCode).toBe(200)
    expect((await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: victim })).status).toBe(200)
    expect(logs.join('\n')).toContain('not minted for this pod; not revoked')
  })

  it('answers 409 VC_ISSUANCE_IN_PROGRESS (retryable) while another claim holds', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    await annotate(pod, inProgress(new Date(Date.now() + 60_000).toISOString()))
    const before = await tokenCount()

    const response = await requestToken(app, pod, await podToken(pod), callback)

    expect(response.statusCode).toBe(409)
    expect(response.json().error).toMatchObject({ code: 'VC_ISSUANCE_IN_PROGRESS', retryable: true })
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
    expect(await tokenCount()).toBe(before)
  })

  it('refuses to guess when the issuance record is unreadable', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    await annotate(pod, '{not json')

    const response = await requestToken(app, pod, await podToken(pod), callback)

    expect(response.statusCode).toBe(409)
    expect(response.json().error.code).toBe('VC_ISSUANCE_RECORD_INVALID')
  })

  it('refuses a token of a pod that was replaced by another of the same name', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)
    await kubeCall('DELETE', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}?gracePeriodSeconds=0`)
    await waitFor(
      async () =>
        (await kubeCall('GET', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`)).status === 404,
      {
        timeoutMs: 5000,
      },
    )
    const recreated = await kubeCall('POST', `/api/v1/namespaces/${pod.namespace}/pods`, {
      metadata: { name: pod.name, annotations: { 'vaultproject.io/policies': 'web' } },
      spec: { serviceAccountName: SERVICE_ACCOUNT, containers: [{ name: 'app', image: 'app' }] },
    })
    expect(recreated.status).toBe(201)
    await fetch(`${kube.server}/__testkit/kubelet/${pod.namespace}/${pod.name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ podIP: '127.0.0.1', phase: 'Pending' }),
    })

    const response = await requestToken(app, pod, jwt, callback)

    expect(response.statusCode).toBe(409)
    expect(response.json().error.code).toBe('VC_POD_REPLACED')
    expect(await issuanceOf(pod)).toBeUndefined()
  })

  it('keeps the accessor on the pod when revocation fails, and revokes it before issuing again', async () => {
    const { app, audit, logs } = await startController()
    const closed = await startCallback()
    await closed.close()
    const pod = await createPod()
    const jwt = await podToken(pod)
    const fault = await fetch(`${vault.addr}/__testkit/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'POST',
        pathPrefix: '/v1/auth/token/revoke-accessor',
        status: 503,
        times: 1,
      }),
    })
    expect(fault.status).toBe(201)

    const failed = await requestToken(app, pod, jwt, closed)

    expect(failed.statusCode).toBe(502)
    const record = await issuanceOf(pod)
    expect(record).toMatchObject({ state: 'failed', reason: 'VC_CALLBACK_FAILED' })
    const leftover = record?.tokenAccessor as string
    expect((await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: leftover })).status).toBe(200)
    expect(audit.at(-1)).toMatchObject({
      decision: 'delivery_failed',
      revoked: false,
      tokenAccessor: leftover,
    })
    expect(logs.some((line) => line.includes('MINTED TOKEN NOT REVOKED'))).toBe(true)

    const callback = await startCallback()
    const retried = await requestToken(app, pod, jwt, callback)

    expect(retried.statusCode).toBe(200)
    expect((await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: leftover })).status).toBe(400)
  })
})

describe('the request deadline', () => {
  it('answers 504 VC_DEADLINE_EXCEEDED when the deadline passes mid-delivery, and revokes what was minted', async () => {
    const { app } = await startController({ REQUEST_DEADLINE: '3s', VAULT_REQUEST_TIMEOUT: '2s' })
    const hanging = await startCallback('hang')
    const pod = await createPod()
    const jwt = await podToken(pod)
    const fault = await fetch(`${vault.addr}/__testkit/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'POST',
        pathPrefix: '/v1/auth/token/create/pod-tokens',
        latencyMs: 1800,
        times: 1,
      }),
    })
    expect(fault.status).toBe(201)

    const response = await requestToken(app, pod, jwt, hanging)

    expect(response.statusCode).toBe(504)
    expect(response.json().error).toMatchObject({ code: 'VC_DEADLINE_EXCEEDED', retryable: true })
    await expect.poll(async () => (await issuanceOf(pod))?.state, { timeout: 5000 }).toBe('failed')
    const record = await issuanceOf(pod)
    expect(record).toMatchObject({ reason: 'VC_DEADLINE_EXCEEDED' })
    const lookup = await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: record?.tokenAccessor })
    expect(lookup.status).toBe(400)
  })
})

describe('Vault trouble', () => {
  it('answers 503 VC_VAULT_UNAVAILABLE while Vault is sealed, keeps /livez up, and recovers', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)
    expect((await vaultCall('PUT', 'sys/seal')).status).toBe(204)
    try {
      await expect
        .poll(async () => (await app.inject({ url: '/readyz' })).statusCode, { timeout: 5000 })
        .toBe(503)
      expect((await app.inject({ url: '/livez' })).statusCode).toBe(200)

      const refused = await requestToken(app, pod, jwt, callback)

      expect(refused.statusCode).toBe(503)
      expect(refused.json().error).toMatchObject({ code: 'VC_VAULT_UNAVAILABLE', retryable: true })
      expect(refused.headers['retry-after']).toMatch(/^\d+$/)
    } finally {
      expect((await vaultCall('PUT', 'sys/unseal', { key: vault.unsealKey })).status).toBe(200)
    }
    await expect
      .poll(async () => (await app.inject({ url: '/readyz' })).statusCode, { timeout: 5000 })
      .toBe(200)
    const retried = await requestToken(app, pod, jwt, callback)
    expect(retried.statusCode).toBe(200)
  })

  it('fails /readyz with VC_SHUTTING_DOWN once shutdown starts, /livez staying up', async () => {
    const readiness = { shuttingDown: false }
    const { app } = await startController({}, { readiness })
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)

    readiness.shuttingDown = true

    const readyz = await app.inject({ url: '/readyz' })
    expect(readyz.statusCode).toBe(503)
    expect(readyz.json().error).toMatchObject({ code: 'VC_SHUTTING_DOWN', retryable: true })
    expect((await app.inject({ url: '/livez' })).json()).toEqual({ status: 'ok' })
  })

  it('releases the claim when minting fails, so a retry can proceed', async () => {
    const { app } = await startController()
    const callback = await startCallback()
    const pod = await createPod()
    const jwt = await podToken(pod)
    const fault = await fetch(`${vault.addr}/__testkit/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'POST',
        pathPrefix: '/v1/auth/token/create/pod-tokens',
        status: 503,
        times: 1,
      }),
    })
    expect(fault.status).toBe(201)

    const refused = await requestToken(app, pod, jwt, callback)

    expect(refused.statusCode).toBe(503)
    expect(refused.json().error.code).toBe('VC_VAULT_UNAVAILABLE')
    expect(await issuanceOf(pod)).toMatchObject({ state: 'failed', reason: 'VC_VAULT_UNAVAILABLE' })
    const retried = await requestToken(app, pod, jwt, callback)
    expect(retried.statusCode).toBe(200)
  })
})

describe('modes and limits', () => {
  it('puts the wrapped token in the answer in response-body delivery mode', async () => {
    const { app, logs } = await startController({ DELIVERY_MODE: 'response-body' })
    const pod = await createPod()

    const response = await requestToken(app, pod, await podToken(pod), {
      port: 9443,
      certSha256: 'a'.repeat(64),
    })

    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body).toMatchObject({ status: 'wrapped', policies: ['db-read', 'web'], ttlSeconds: 7200 })
    expect(body.wrapInfo).toMatchObject({ ttlSeconds: 60, creationPath: 'auth/token/create/pod-tokens' })
    expect(await issuanceOf(pod)).toMatchObject({
      state: 'issued',
      tokenAccessor: body.wrapInfo.wrappedAccessor,
    })
    const unwrap = await vaultCall('POST', 'sys/wrapping/unwrap', { token: body.wrapInfo.token })
    expect(unwrap.body?.auth.accessor).toBe(body.wrapInfo.wrappedAccessor)
    expect(logs.join('\n')).not.toContain(body.wrapInfo.token)
  })

  it('verifies identities with TokenReview in token-review mode', async () => {
    const { app } = await startController({ IDENTITY_MODE: 'token-review' })
    const callback = await startCallback()
    const pod = await createPod()

    const good = await requestToken(app, pod, await podToken(pod), callback)
    expect(good.statusCode).toBe(200)

    const other = await createPod()
    const wrongAudience = await requestToken(app, other, await podToken(other, 'somebody-else'), callback)
    expect(wrongAudience.statusCode).toBe(401)
    expect(['VC_IDENTITY_INVALID', 'VC_IDENTITY_WRONG_AUDIENCE']).toContain(wrongAudience.json().error.code)
  })

  it('serves its own endpoint over TLS', async () => {
    const certificate = await selfSignedCertificate()
    const { app } = await startController(
      {},
      { https: { cert: certificate.certPem, key: certificate.keyPem } },
    )
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/livez',
          ca: certificate.certPem,
          checkServerIdentity: () => undefined,
        },
        (response) => {
          response.resume()
          resolve(response.statusCode)
        },
      )
      request.on('error', reject)
      request.end()
    })

    expect(status).toBe(200)
  })

  it('refuses with 429 VC_RATE_LIMITED while MAX_CONCURRENT_ISSUANCES requests are in progress', async () => {
    const { app } = await startController({
      MAX_CONCURRENT_ISSUANCES: '1',
      REQUEST_DEADLINE: '2s',
      VAULT_REQUEST_TIMEOUT: '1s',
    })
    const hanging = await startCallback('hang')
    const first = await createPod()
    const held = requestToken(app, first, await podToken(first), hanging)
    await waitFor(() => hanging.deliveries.length === 1, { description: 'the first delivery to hang' })

    const second = await createPod()
    const refused = await requestToken(app, second, await podToken(second), await startCallback())
    expect(refused.statusCode).toBe(429)
    expect(refused.json().error).toMatchObject({ code: 'VC_RATE_LIMITED', retryable: true })
    expect(refused.headers['retry-after']).toBe('1')
    expect(await issuanceOf(second)).toBeUndefined()

    // The callback never answers: the delivery fails (and is revoked) at its timeout or the deadline.
    expect([502, 504]).toContain((await held).statusCode)
    // The slot is free again once the first answer has left.
    expect((await requestToken(app, second, await podToken(second), await startCallback())).statusCode).toBe(
      200,
    )
  })

  it('rate-limits per namespace and service account with 429 VC_RATE_LIMITED', async () => {
    const { app } = await startController({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1m' })
    const callback = await startCallback()
    const pods = [await createPod(), await createPod(), await createPod()]
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof requestToken>> | undefined
    for (const pod of pods) {
      last = await requestToken(app, pod, await podToken(pod), callback)
      statuses.push(last.statusCode)
    }
    expect(statuses).toEqual([200, 200, 429])
    expect(last?.json().error).toMatchObject({ code: 'VC_RATE_LIMITED', retryable: true })
    expect(last?.headers['retry-after']).toMatch(/^\d+$/)

    // Another service account has its own budget.
    const batchPod = await createPod({
      namespace: 'batch',
      serviceAccount: 'worker',
      annotations: { 'vaultproject.io/policies': 'batch' },
    })
    expect((await requestToken(app, batchPod, await podToken(batchPod), callback)).statusCode).toBe(200)
  })
})
