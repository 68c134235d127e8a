/**
 * The legacy protocol end to end inside one process: the real app (LEGACY_PROTOCOL=enabled) with
 * its real clients against in-process kube-dev and vault-dev, and a plain-HTTP listener on the
 * pod's own loopback address that behaves like the original init container's handler (unwrap as
 * first party, answer 200 / 409 / 500). No module of ours is mocked.
 */
import { randomInt } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { ISSUANCE_ANNOTATION, parseIssuanceRecord, REVOKE_FINALIZER } from '@vault-controller/protocol'
import { type KubeDev, type VaultDev, waitFor } from '@vault-controller/testkit'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMetrics } from '../metrics/metrics.ts'
import {
  type ControllerApp,
  type ControllerWorld,
  createPod as createWorldPod,
  startControllerApp,
  startControllerWorld,
} from '../test-support/controller-world.ts'
import {
  countTokens,
  type Json,
  kubeCall as worldKubeCall,
  vaultCall as worldVaultCall,
} from '../test-support/dev-api.ts'

const NAMESPACE = 'shop'
const ALLOW_LIST = `
rules:
  - name: shop-web
    namespaces: [shop]
    serviceAccounts: [web]
    policies: [web]
    ttl: { default: 1h, max: 24h }
`
/** Every listener of this file uses this port, each on its own loopback address. */
const CALLBACK_PORT = randomInt(20_000, 40_000)
const SECOND_OCTET = randomInt(16, 250)
let nextAddress = 1

let world: ControllerWorld
let kube: KubeDev
let vault: VaultDev

const vaultCall = (method: string, path: string, body?: unknown) => worldVaultCall(vault, method, path, body)
const kubeCall = (method: string, path: string, body?: unknown) => worldKubeCall(kube, method, path, body)

const tokenCount = () => countTokens(vault)

beforeAll(async () => {
  world = await startControllerWorld({
    serviceAccounts: { [NAMESPACE]: ['web'] },
    tokenRoles: { 'pod-tokens': { orphan: true, allowed_policies: ['web'] } },
    allowList: ALLOW_LIST,
    tempPrefix: 'legacy-test-',
  })
  ;({ kube, vault } = world)
})

afterAll(async () => {
  await world?.close()
})

interface Harness extends ControllerApp {
  metrics: ReturnType<typeof createMetrics>
}
const apps: Harness[] = []
const listeners: Server[] = []

afterEach(async () => {
  for (const server of listeners.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  for (const harness of apps.splice(0)) await harness.close()
})

async function startController(settings: Record<string, string> = {}): Promise<Harness> {
  const metrics = createMetrics()
  const started = await startControllerApp(
    world,
    {
      CONTROLLER_ID: 'legacy-test',
      LOG_LEVEL: 'debug',
      LEGACY_PROTOCOL: 'enabled',
      LEGACY_CALLBACK_PORT: String(CALLBACK_PORT),
      LEGACY_CALLBACK_TIMEOUT: '2s',
      ...settings,
    },
    { metrics, healthCheckIntervalMs: 50 },
  )
  const harness = { ...started, metrics }
  apps.push(harness)
  return harness
}

interface PodOptions {
  annotations?: Record<string, string>
  hostNetwork?: boolean
  initContainers?: 'running' | 'succeeded'
}

async function createPod(options: PodOptions = {}) {
  const ip = `127.${SECOND_OCTET}.0.${nextAddress++}`
  const pod = await createWorldPod(kube, {
    namespace: NAMESPACE,
    serviceAccount: 'web',
    annotations: options.annotations ?? { 'vaultproject.io/policies': 'web' },
    podIP: ip,
    initImage: 'vault-init:original',
    ...(options.hostNetwork === undefined ? {} : { hostNetwork: options.hostNetwork }),
    ...(options.initContainers === undefined ? {} : { initContainers: options.initContainers }),
  })
  return { namespace: NAMESPACE, name: pod.name, ip, uid: pod.uid }
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

type Behaviour = 'original' | 'answer-500' | 'hang'

/** The original init container's callback handler on the pod's address (§4, §5 of the spec). */
async function startOriginalListener(ip: string, behaviour: Behaviour = 'original') {
  const received: Array<{ method: string; url: string; raw: string }> = []
  const unwrapped: Json[] = []
  let hasFile = false
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      received.push({ method: request.method ?? '', url: request.url ?? '', raw })
      if (behaviour === 'hang') return
      if (behaviour === 'answer-500') {
        response.writeHead(500).end('unwrap failed')
        return
      }
      if (hasFile) {
        response.writeHead(409).end()
        return
      }
      const { token } = JSON.parse(raw) as { token: string }
      const unwrap = await fetch(`${vault.addr}/v1/sys/wrapping/unwrap`, {
        method: 'POST',
        headers: { 'x-vault-token': token },
      })
      if (unwrap.status !== 200) {
        response.writeHead(500).end('unwrap failed')
        return
      }
      unwrapped.push(await unwrap.json())
      hasFile = true
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(CALLBACK_PORT, ip, resolve))
  listeners.push(server)
  return { received, unwrapped }
}

/** As the original init: POST, empty body, `Content-Type:` present but empty, from the pod's IP. */
function legacyRequest(app: FastifyInstance, query: string, from = '127.0.0.1') {
  return app.inject({
    method: 'POST',
    url: `/token${query}`,
    headers: { 'content-type': '' },
    remoteAddress: from,
  })
}

describe('legacy protocol: POST /token', () => {
  it('answers 202 with an empty body, then pushes the wrap info to http://<podIP>:<port>/', async () => {
    const { app, audit, logs, metrics } = await startController()
    const pod = await createPod({
      annotations: { 'vaultproject.io/policies': 'web', 'vaultproject.io/ttl': '2h' },
    })
    const listener = await startOriginalListener(pod.ip)
    const before = await tokenCount()

    const response = await legacyRequest(app, `?name=${pod.name}&namespace=${pod.namespace}`, pod.ip)
    expect(response.statusCode).toBe(202)
    expect(response.body).toBe('')

    await waitFor(() => listener.unwrapped.length === 1, { timeoutMs: 5000 })
    const [push] = listener.received
    expect(push).toMatchObject({ method: 'POST', url: '/' })
    expect(push?.raw.endsWith('}\n')).toBe(true)
    expect(Object.keys(JSON.parse(push?.raw ?? '{}')).sort()).toEqual(
      ['accessor', 'creation_path', 'creation_time', 'token', 'ttl', 'wrapped_accessor'].sort(),
    )
    const secret = listener.unwrapped[0]
    expect(secret.auth.policies).toEqual(['default', 'web'])
    expect(secret.auth.metadata).toMatchObject({
      pod_uid: pod.uid,
      pod_name: pod.name,
      service_account: 'web',
    })
    expect(await tokenCount()).toBe(before + 1)

    await waitFor(async () => (await issuanceOf(pod))?.state === 'issued', { timeoutMs: 5000 })
    const record = await issuanceOf(pod)
    expect(record).toMatchObject({ state: 'issued', policies: ['web'], ttlSeconds: 7200 })
    expect(record?.tokenAccessor).toBe(secret.auth.accessor)
    expect((await readPod(pod)).metadata.finalizers).toContain(REVOKE_FINALIZER)
    const issued = audit.find((line) => line.decision === 'issued')
    expect(issued).toMatchObject({
      protocol: 'legacy',
      deliveryMode: 'legacy-callback',
      serviceAccount: 'web',
      tokenAccessor: secret.auth.accessor,
      pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
    })
    const events = await kubeCall('GET', `/api/v1/namespaces/${pod.namespace}/events`)
    const mine = ((events.body?.items ?? []) as Json[]).filter(
      (event) => event.involvedObject.uid === pod.uid,
    )
    expect(mine.map((event) => event.reason)).toContain('VaultTokenIssued')
    expect(mine.find((event) => event.reason === 'VaultTokenIssued')?.message).toMatch(/legacy protocol/)

    const exposition = await metrics.registry.metrics()
    expect(exposition).toMatch(/vault_controller_legacy_requests_total\{outcome="accepted"\} 1/)
    await waitFor(async () =>
      /vault_controller_legacy_deliveries_total\{outcome="delivered"\} 1/.test(
        await metrics.registry.metrics(),
      ),
    )
    expect(logs.some((line) => line.includes('LEGACY_PROTOCOL is enabled'))).toBe(true)
    const everything = logs.join('\n')
    expect(everything).not.toContain(secret.auth.client_token)
    expect(everything).not.toContain(JSON.parse(push?.raw ?? '{}').token)
  })

  it('reads the parameters from a form body and accepts any method', async () => {
    const { app } = await startController()
    const pod = await createPod()
    const listener = await startOriginalListener(pod.ip)
    const response = await app.inject({
      method: 'PUT',
      url: '/token?name=not-this-one',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=${pod.name}&namespace=${pod.namespace}`,
      remoteAddress: pod.ip,
    })
    expect(response.statusCode).toBe(202)
    await waitFor(() => listener.unwrapped.length === 1, { timeoutMs: 5000 })
  })

  it('answers the original 400, 412 and 500 texts', async () => {
    const { app } = await startController()
    const missing = await legacyRequest(app, '?namespace=shop')
    expect(missing.statusCode).toBe(400)
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(missing.body).toMatch(/^missing or empty name parameter from [\d.]+:\d+$/)

    const noPod = await legacyRequest(app, '?name=nobody&namespace=shop')
    expect(noPod.statusCode).toBe(412)
    expect(noPod.body).toBe('error missing or empty pod IP (nobody)')

    const pod = await createPod({ annotations: {} })
    const noPolicies = await legacyRequest(app, `?name=${pod.name}&namespace=shop`, pod.ip)
    expect(noPolicies.statusCode).toBe(500)
    expect(noPolicies.body).toBe(`error missing or empty pod vaultproject.io/role annotation (${pod.name})`)

    const bad = await legacyRequest(app, '?name=../etc&namespace=shop')
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toMatch(/^VC_BAD_REQUEST: /)
  })

  it.each<[string, PodOptions, string, number]>([
    [
      'a policy outside the allow-list',
      { annotations: { 'vaultproject.io/policies': 'web,admin' } },
      'VC_POLICY_NOT_ALLOWED',
      403,
    ],
    ['root', { annotations: { 'vaultproject.io/policies': ' ROOT ' } }, 'VC_ROOT_POLICY_REFUSED', 403],
    ['a hostNetwork pod', { hostNetwork: true }, 'VC_HOST_NETWORK_POD', 0],
    ['finished init containers', { initContainers: 'succeeded' }, 'VC_POD_NOT_INITIALIZING', 0],
  ])('refuses %s and mints nothing', async (_what, options, code, status) => {
    const { app, audit } = await startController()
    const pod = await createPod(options)
    const listener = await startOriginalListener(pod.ip)
    const before = await tokenCount()
    const response = await legacyRequest(app, `?name=${pod.name}&namespace=${pod.namespace}`, pod.ip)
    if (status !== 0) expect(response.statusCode).toBe(status)
    expect(response.body).toMatch(new RegExp(`^${code}: `))
    expect(await tokenCount()).toBe(before)
    expect(listener.received).toEqual([])
    expect(await issuanceOf(pod)).toBeUndefined()
    expect(audit.find((line) => line.decision === 'denied')).toMatchObject({ code, protocol: 'legacy' })
  })

  it('refuses a second request for the same pod (one token per pod UID), across protocols', async () => {
    const { app } = await startController()
    const pod = await createPod()
    const listener = await startOriginalListener(pod.ip)
    expect((await legacyRequest(app, `?name=${pod.name}&namespace=shop`, pod.ip)).statusCode).toBe(202)
    await waitFor(async () => (await issuanceOf(pod))?.state === 'issued', { timeoutMs: 5000 })
    const before = await tokenCount()
    const again = await legacyRequest(app, `?name=${pod.name}&namespace=shop`, pod.ip)
    expect(again.statusCode).toBe(409)
    expect(again.body).toMatch(/^VC_ALREADY_ISSUED: /)
    expect(await tokenCount()).toBe(before)
    expect(listener.received).toHaveLength(1)
  })

  it('revokes the token and marks the issuance failed when the push fails; a retry then succeeds', async () => {
    const { app, audit, metrics } = await startController()
    const pod = await createPod()
    const before = await tokenCount()
    // Nothing listens yet: the push cannot connect.
    expect((await legacyRequest(app, `?name=${pod.name}&namespace=shop`, pod.ip)).statusCode).toBe(202)
    await waitFor(async () => (await issuanceOf(pod))?.state === 'failed', { timeoutMs: 5000 })
    const failed = audit.find((line) => line.decision === 'delivery_failed')
    expect(failed).toMatchObject({ code: 'VC_CALLBACK_FAILED', revoked: true, protocol: 'legacy' })
    const lookup = await vaultCall('POST', 'auth/token/lookup-accessor', { accessor: failed.tokenAccessor })
    expect(lookup.status).not.toBe(200)
    expect(await tokenCount()).toBe(before)
    await waitFor(async () =>
      /vault_controller_legacy_deliveries_total\{outcome="failed"\} 1/.test(await metrics.registry.metrics()),
    )

    const listener = await startOriginalListener(pod.ip)
    expect((await legacyRequest(app, `?name=${pod.name}&namespace=shop`, pod.ip)).statusCode).toBe(202)
    await waitFor(() => listener.unwrapped.length === 1, { timeoutMs: 5000 })
    await waitFor(async () => (await issuanceOf(pod))?.state === 'issued', { timeoutMs: 5000 })
    expect(await tokenCount()).toBe(before + 1)
  })

  it('revokes when the init container answers anything but 200', async () => {
    const { app, audit } = await startController()
    const pod = await createPod()
    const listener = await startOriginalListener(pod.ip, 'answer-500')
    const before = await tokenCount()
    expect((await legacyRequest(app, `?name=${pod.name}&namespace=shop`, pod.ip)).statusCode).toBe(202)
    await waitFor(() => audit.some((line) => line.decision === 'delivery_failed'), { timeoutMs: 5000 })
    expect(listener.received).toHaveLength(1)
    expect(audit.find((line) => line.decision === 'delivery_failed').message).toMatch(/HTTP 500/)
    expect(await tokenCount()).toBe(before)
  })
})

describe('legacy protocol: the caller check (LEGACY_CHECK_CALLER_IP)', () => {
  it("refuses a request that does not come from the pod's IP, and mints nothing", async () => {
    const { app, audit } = await startController()
    const pod = await createPod()
    const listener = await startOriginalListener(pod.ip)
    const before = await tokenCount()
    const response = await legacyRequest(app, `?name=${pod.name}&namespace=shop`, '127.0.0.1')
    expect(response.statusCode).toBe(403)
    expect(response.body).toMatch(
      /^VC_IDENTITY_MISMATCH: the request comes from 127\.0\.0\.1, not from the pod's IP/,
    )
    expect(await tokenCount()).toBe(before)
    expect(listener.received).toEqual([])
    expect(await issuanceOf(pod)).toBeUndefined()
    expect(audit.find((line) => line.decision === 'denied')).toMatchObject({
      code: 'VC_IDENTITY_MISMATCH',
      protocol: 'legacy',
    })
  })

  it('accepts any caller when disabled (a proxy or SNAT between pods and the controller)', async () => {
    const { app } = await startController({ LEGACY_CHECK_CALLER_IP: 'disabled' })
    const pod = await createPod()
    const listener = await startOriginalListener(pod.ip)
    expect((await legacyRequest(app, `?name=${pod.name}&namespace=shop`, '127.0.0.1')).statusCode).toBe(202)
    await waitFor(() => listener.unwrapped.length === 1, { timeoutMs: 5000 })
  })
})

describe('legacy protocol: shutdown', () => {
  it('closing waits for a push in flight, which times out and is revoked', async () => {
    const harness = await startController()
    const { app, audit } = harness
    const pod = await createPod()
    await startOriginalListener(pod.ip, 'hang')
    const before = await tokenCount()
    expect((await legacyRequest(app, `?name=${pod.name}&namespace=shop`, pod.ip)).statusCode).toBe(202)
    apps.splice(apps.indexOf(harness), 1)
    await harness.close()
    expect(audit.find((line) => line.decision === 'delivery_failed')).toMatchObject({
      revoked: true,
      message: expect.stringMatching(/no answer from the legacy callback within 2000 ms/),
    })
    expect(await tokenCount()).toBe(before)
  })
})

describe('legacy protocol: rate limit', () => {
  it('limits requests per caller address, with a plain-text 429 and Retry-After', async () => {
    const { app } = await startController({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1m' })
    const answers = []
    for (let i = 0; i < 3; i++)
      answers.push(await legacyRequest(app, '?name=nobody&namespace=shop', '127.9.9.9'))
    expect(answers.map((answer) => answer.statusCode)).toEqual([412, 412, 429])
    expect(answers[2]?.body).toMatch(/^VC_RATE_LIMITED: /)
    expect(answers[2]?.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(answers[2]?.headers['retry-after']).toBeDefined()
    // Another address has its own budget.
    expect((await legacyRequest(app, '?name=nobody&namespace=shop', '127.9.9.10')).statusCode).toBe(412)
  })
})

describe('legacy protocol disabled (the default)', () => {
  it('has no /token route', async () => {
    const { app, logs } = await startController({ LEGACY_PROTOCOL: 'disabled' })
    const response = await legacyRequest(app, '?name=web-1&namespace=shop')
    expect(response.statusCode).toBe(404)
    expect(logs.some((line) => line.includes('LEGACY_PROTOCOL is enabled'))).toBe(false)
  })
})
