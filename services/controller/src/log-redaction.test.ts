/**
 * Proof that no credential reaches the logs (DESIGN §5 invariant 6). The real app, with its real
 * clients, against in-process kube-dev and vault-dev, is driven down every path — issued, each
 * kind of refusal, callback failures, Vault errors, malformed and oversize bodies, crashes inside
 * handlers, revocation, the controller's own Vault login (failed and successful) and renewal
 * (failed and successful) — while every log line and every audit line is captured. Every
 * credential that existed during the run is remembered: the pods' JWTs, every wrapping token,
 * every minted token, the controller's own tokens, the AppRole secret_id. None may appear, nor
 * anything shaped like a Vault token or a JWT. `/metrics` is held to the same rule.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_TOKEN_REQUEST_BYTES } from '@vault-controller/protocol'
import { type KubeDev, type VaultDev, waitFor } from '@vault-controller/testkit'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AppDeps, buildApp } from './app.ts'
import { createAuditLog } from './audit/audit-log.ts'
import { loadConfig } from './config.ts'
import { createDeps } from './create-deps.ts'
import { kubeConfigFor } from './kube/kube-client.ts'
import { createMetrics } from './metrics/metrics.ts'
import { revocationSettingsOf, runRevocationWatcherWith } from './revocation/revocation-watcher.ts'
import type { Readiness } from './routes/health.ts'
import { type CallbackListener, startCallbackListener } from './test-support/callback-listener.ts'
import {
  type ControllerWorld,
  createPod as createWorldPod,
  podToken,
  requestToken as requestWorldToken,
  startControllerWorld,
} from './test-support/controller-world.ts'
import { type Json, kubeCall, vaultCall } from './test-support/dev-api.ts'

const NAMESPACE = 'shop'
const WAIT = { timeoutMs: 10_000 }

let world: ControllerWorld
let kube: KubeDev
let vault: VaultDev
const files: Record<string, string> = {}

/** Every log and audit line of every controller of this file. */
const lines: string[] = []
/** Every credential that existed during the run: none may appear in `lines`. */
const secrets = new Set<string>()
/** Incoming request ids sent, to check they are logged. */
const sentRequestIds: string[] = []

function remember(value: unknown): void {
  if (typeof value === 'string' && value.length >= 8) secrets.add(value)
}

const vaultApi = (method: string, path: string, body?: unknown) => vaultCall(vault, method, path, body)
const kubeApi = (method: string, path: string, body?: unknown) => kubeCall(kube, method, path, body)

beforeAll(async () => {
  world = await startControllerWorld({
    serviceAccounts: { [NAMESPACE]: ['web', 'stranger'] },
    tokenRoles: { 'pod-tokens': { orphan: true, allowed_policies: ['web'] } },
    allowList:
      'rules:\n  - name: web\n    namespaces: [shop]\n    serviceAccounts: [web]\n    policies: [web]\n    ttl: { default: 1h, max: 2h }\n',
    tempPrefix: 'log-redaction-',
  })
  ;({ kube, vault } = world)
  remember(kube.token)
  remember(world.controllerToken)

  // AppRole for the controller's own login: one long-lived, one that must be renewed every ~2 s.
  await vaultApi('POST', 'sys/auth/approle', { type: 'approle' })
  const workDir = world.workDir
  for (const [role, ttl] of [
    ['controller', '1h'],
    ['short', '3s'],
  ] as const) {
    await vaultApi('POST', `auth/approle/role/${role}`, {
      token_policies: ['controller'],
      token_ttl: ttl,
      token_max_ttl: '1h',
    })
    const roleId = (await vaultApi('GET', `auth/approle/role/${role}/role-id`)).body.data.role_id
    const secretId = (await vaultApi('POST', `auth/approle/role/${role}/secret-id`)).body.data.secret_id
    remember(secretId)
    files[`${role}-role-id`] = join(workDir, `${role}-role-id`)
    files[`${role}-secret-id`] = join(workDir, `${role}-secret-id`)
    writeFileSync(files[`${role}-role-id`] as string, roleId)
    writeFileSync(files[`${role}-secret-id`] as string, secretId)
  }
  files.token = world.tokenFile
  files.allowList = world.allowListFile
})

// ---------------------------------------------------------------------------------------------
// Controllers

interface Controller {
  app: FastifyInstance
  vaultIdentity: NonNullable<AppDeps['vaultIdentity']> & { token(): Promise<{ reveal(): string }> }
}
const controllers: Controller[] = []

async function startController(
  settings: Record<string, string> = {},
  override: (deps: AppDeps) => Partial<AppDeps> = () => ({}),
): Promise<Controller> {
  const config = loadConfig({
    VAULT_ADDR: vault.addr,
    VAULT_AUTH_METHOD: 'approle',
    VAULT_AUTH_MOUNT: 'approle',
    VAULT_APPROLE_ROLE_ID_FILE: files['controller-role-id'],
    VAULT_APPROLE_SECRET_ID_FILE: files['controller-secret-id'],
    VAULT_TOKEN_ROLE: 'pod-tokens',
    ALLOW_LIST_FILE: files.allowList,
    CONTROLLER_ID: `redaction-${controllers.length}`,
    LOG_LEVEL: 'trace',
    REQUEST_DEADLINE: '20s',
    VAULT_REQUEST_TIMEOUT: '3s',
    ...settings,
  })
  const metrics = createMetrics({ processMetrics: false })
  const created = createDeps(config, { kubeConfig: kubeConfigFor(kube.server, kube.token), metrics })
  const readiness: Readiness = { shuttingDown: false }
  const deps: AppDeps = {
    ...created.deps,
    metrics,
    readiness,
    healthCheckIntervalMs: 200,
    audit: createAuditLog({ write: (line) => lines.push(line), controllerId: config.controllerId }),
  }
  const app = await buildApp({ ...deps, ...override(deps) }, config, {
    logStream: { write: (line) => lines.push(line) },
  })
  app.addHook('onClose', () => created.close())
  runRevocationWatcherWith(
    app,
    { kube: created.kube, vault: created.deps.vault, audit: deps.audit, metrics },
    { ...revocationSettingsOf(config), retryMinDelayMs: 100, retryMaxDelayMs: 500 },
    readiness,
  )
  await app.ready()
  const controller = { app, vaultIdentity: created.deps.vaultIdentity as Controller['vaultIdentity'] }
  controllers.push(controller)
  await waitFor(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, WAIT)
  remember((await controller.vaultIdentity.token()).reveal())
  return controller
}

afterAll(async () => {
  for (const controller of controllers.splice(0)) await controller.app.close()
  for (const callback of callbacks.splice(0)) await callback.close()
  await world?.close()
})

// ---------------------------------------------------------------------------------------------
// Pods, their JWTs, and vault-init's callback

interface Pod {
  name: string
  uid: string
  jwt: string
}

async function createPod(
  options: {
    name?: string
    serviceAccount?: string
    annotations?: Record<string, string>
    hostNetwork?: boolean
  } = {},
): Promise<Pod> {
  const pod = await createWorldPod(kube, {
    namespace: NAMESPACE,
    name: options.name ?? `pod-${randomUUID().slice(0, 8)}`,
    serviceAccount: options.serviceAccount ?? 'web',
    annotations: options.annotations ?? { 'vaultproject.io/policies': 'web' },
    ...(options.hostNetwork === undefined ? {} : { hostNetwork: options.hostNetwork }),
  })
  return { name: pod.name, uid: pod.uid, jwt: await podJwt(pod.name, pod.uid, pod.serviceAccount) }
}

async function podJwt(name: string, uid: string, serviceAccount = 'web', audience = 'vault-controller') {
  const jwt = await podToken(kube, { namespace: NAMESPACE, name, uid, serviceAccount }, audience)
  remember(jwt)
  return jwt
}

const callbacks: CallbackListener[] = []

/** vault-init's listener: unwraps and accepts, or refuses with 500. */
async function startCallback(behaviour: 'accept' | 'refuse' = 'accept'): Promise<CallbackListener> {
  const callback = await startCallbackListener(
    vault.addr,
    behaviour === 'refuse' ? 'refuse-with-500' : 'accept',
  )
  callbacks.push(callback)
  return callback
}

/** Remembers every wrapping token delivered and every token unwrapped so far. */
function rememberDelivered(): void {
  for (const callback of callbacks) {
    for (const delivery of callback.deliveries) remember(delivery.wrapInfo?.token)
    for (const secret of callback.unwrapped) remember(secret.auth?.client_token)
  }
}

function requestToken(
  app: FastifyInstance,
  pod: { name: string },
  jwt: string | undefined,
  callback: { port: number; certSha256: string },
  options: { payload?: string; contentType?: string } = {},
) {
  const requestId = `test-${randomUUID()}`
  sentRequestIds.push(requestId)
  return requestWorldToken(app, { namespace: NAMESPACE, name: pod.name }, jwt, callback, {
    ...options,
    headers: { 'x-request-id': requestId },
  })
}

function codeOf(response: { json(): Json }): string {
  return response.json().error?.code
}

// ---------------------------------------------------------------------------------------------

describe('no credential in any log line', () => {
  let main: Controller
  let issued: Pod

  it('issues, and refuses every kind of bad request', async () => {
    main = await startController()
    const callback = await startCallback()
    issued = await createPod()

    const ok = await requestToken(main.app, issued, issued.jwt, callback)
    expect(ok.statusCode).toBe(200)
    expect(codeOf(await requestToken(main.app, issued, issued.jwt, callback))).toBe('VC_ALREADY_ISSUED')

    const other = await createPod()
    const stranger = await createPod({ serviceAccount: 'stranger' })
    const hostNetwork = await createPod({ hostNetwork: true })
    const greedy = await createPod({ annotations: { 'vaultproject.io/policies': 'db-admin' } })
    const rooted = await createPod({ annotations: { 'vaultproject.io/policies': 'root' } })
    const gone = await createPod()
    await kubeApi('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${gone.name}?gracePeriodSeconds=0`)
    const [header, payload, signature] = other.jwt.split('.')
    const forged = `${header}.${payload}.${signature?.slice(0, -4)}AAAA`
    const wrongAudience = await podJwt(other.name, other.uid, 'web', 'someone-else')

    const refusals: Array<[string, Promise<{ json(): Json }>]> = [
      ['VC_IDENTITY_MISSING', requestToken(main.app, other, undefined, callback)],
      ['VC_IDENTITY_INVALID', requestToken(main.app, other, forged, callback)],
      ['VC_IDENTITY_INVALID', requestToken(main.app, other, `${other.jwt}.extra`, callback)],
      ['VC_IDENTITY_WRONG_AUDIENCE', requestToken(main.app, other, wrongAudience, callback)],
      ['VC_IDENTITY_MISMATCH', requestToken(main.app, issued, other.jwt, callback)],
      ['VC_POD_NOT_FOUND', requestToken(main.app, gone, gone.jwt, callback)],
      ['VC_POLICY_NOT_ALLOWED', requestToken(main.app, greedy, greedy.jwt, callback)],
      ['VC_ROOT_POLICY_REFUSED', requestToken(main.app, rooted, rooted.jwt, callback)],
      ['VC_BAD_REQUEST', requestToken(main.app, other, other.jwt, callback, { payload: '{"namespace":' })],
      [
        'VC_BAD_REQUEST',
        requestToken(main.app, other, other.jwt, callback, { payload: '{"namespace":"x"}' }),
      ],
      [
        'VC_BODY_TOO_LARGE',
        requestToken(main.app, other, other.jwt, callback, {
          payload: JSON.stringify({ pad: other.jwt.repeat(Math.ceil(MAX_TOKEN_REQUEST_BYTES / 100)) }),
        }),
      ],
      [
        'VC_UNSUPPORTED_MEDIA_TYPE',
        requestToken(main.app, other, other.jwt, callback, { contentType: 'text/plain' }),
      ],
    ]
    for (const [code, answer] of refusals) expect(codeOf(await answer)).toBe(code)
    // Refusals that depend on the live pod, not only on the token.
    expect(codeOf(await requestToken(main.app, stranger, stranger.jwt, callback))).toMatch(/^VC_/)
    expect(codeOf(await requestToken(main.app, hostNetwork, hostNetwork.jwt, callback))).toMatch(/^VC_/)
    expect(
      (await main.app.inject({ url: '/nowhere', headers: { authorization: `Bearer ${other.jwt}` } }))
        .statusCode,
    ).toBe(404)
  })

  it('fails deliveries and Vault calls', async () => {
    const refusing = await startCallback('refuse')
    const refused = await createPod()
    expect(codeOf(await requestToken(main.app, refused, refused.jwt, refusing))).toBe('VC_CALLBACK_FAILED')

    const closed = await startCallback()
    await closed.close()
    const unreachable = await createPod()
    expect(codeOf(await requestToken(main.app, unreachable, unreachable.jwt, closed))).toBe(
      'VC_CALLBACK_FAILED',
    )

    const callback = await startCallback()
    const vaultDown = await createPod()
    vault.faults.add({ method: 'POST', pathPrefix: '/v1/auth/token/create', status: 500, times: 1 })
    vault.faults.add({ method: 'PUT', pathPrefix: '/v1/auth/token/create', status: 500, times: 1 })
    expect(codeOf(await requestToken(main.app, vaultDown, vaultDown.jwt, callback))).toMatch(/^VC_VAULT_/)
    vault.faults.clear()

    const forbidden = await createPod()
    vault.faults.add({ pathPrefix: '/v1/auth/token/create', status: 403, times: 2 })
    expect(codeOf(await requestToken(main.app, forbidden, forbidden.jwt, callback))).toMatch(/^VC_VAULT_/)
    vault.faults.clear()

    // The Kubernetes API failing on the claim, then refusing to read the pod.
    const kubeTrouble = await createPod()
    const podPath = `/api/v1/namespaces/${NAMESPACE}/pods/${kubeTrouble.name}`
    kube.faults.add({ method: 'PATCH', pathPrefix: podPath, status: 500, times: 1 })
    expect(codeOf(await requestToken(main.app, kubeTrouble, kubeTrouble.jwt, callback))).toBe(
      'VC_KUBE_UNAVAILABLE',
    )
    kube.faults.add({ method: 'GET', pathPrefix: podPath, status: 403, times: 1 })
    expect(codeOf(await requestToken(main.app, kubeTrouble, kubeTrouble.jwt, callback))).toBe('VC_KUBE_ERROR')
    kube.faults.clear()

    // Vault sealed: the gate refuses, then recovers.
    await vaultApi('PUT', 'sys/seal')
    await waitFor(async () => (await main.app.inject({ url: '/readyz' })).statusCode === 503, WAIT)
    expect(codeOf(await requestToken(main.app, vaultDown, vaultDown.jwt, callback))).toBe(
      'VC_VAULT_UNAVAILABLE',
    )
    await vaultApi('PUT', 'sys/unseal', { key: vault.unsealKey })
    await waitFor(async () => (await main.app.inject({ url: '/readyz' })).statusCode === 200, WAIT)
  })

  it('survives crashes inside handlers that carry credentials on the error', async () => {
    const crashing = await startController({}, (deps) => ({
      // A bug that throws with the delivery (and its wrapping token) attached to the error.
      deliver: async (delivery) => {
        throw Object.assign(new TypeError("Cannot read properties of undefined (reading 'socket')"), {
          delivery,
          wrappingToken: delivery.wrappingToken,
        })
      },
      // A verifier bug that attaches the bearer token, as a Secret and revealed, to its error.
      verifier: {
        verify: async (token, signal) => {
          const identity = await deps.verifier.verify(token, signal)
          if (identity.podName.startsWith('crash-')) {
            throw Object.assign(new Error('verifier bug'), { token, jwt: token.reveal() })
          }
          return identity
        },
      },
    }))
    const callback = await startCallback()
    const delivering = await createPod()
    expect(codeOf(await requestToken(crashing.app, delivering, delivering.jwt, callback))).toBe(
      'VC_CALLBACK_FAILED',
    )
    const verifying = await createPod({ name: `crash-${randomUUID().slice(0, 8)}` })
    expect(codeOf(await requestToken(crashing.app, verifying, verifying.jwt, callback))).toBe('VC_INTERNAL')
    // The response-body mode answers with the wrapping token itself: it must stay in the answer.
    const inBody = await startController({ DELIVERY_MODE: 'response-body' })
    const pod = await createPod()
    const answer = await requestToken(inBody.app, pod, pod.jwt, callback)
    expect(answer.statusCode).toBe(200)
    remember(answer.json().wrapInfo.token)
  })

  it('revokes when the pod is deleted', async () => {
    await kubeApi('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${issued.name}?gracePeriodSeconds=0`)
    await waitFor(
      () => lines.some((line) => line.includes('"decision":"revoked"') && line.includes(issued.name)),
      WAIT,
    )
  })

  it('logs in (after a failed attempt) and renews (after a failed renewal) its own Vault token', async () => {
    vault.faults.add({ method: 'POST', pathPrefix: '/v1/auth/approle/login', status: 500, times: 1 })
    vault.faults.add({ method: 'PUT', pathPrefix: '/v1/auth/approle/login', status: 500, times: 1 })
    vault.faults.add({ pathPrefix: '/v1/auth/token/renew-self', status: 500, times: 1 })
    vault.stats.reset()
    const renewing = await startController({
      VAULT_APPROLE_ROLE_ID_FILE: files['short-role-id'] as string,
      VAULT_APPROLE_SECRET_ID_FILE: files['short-secret-id'] as string,
    })
    const renewals = () =>
      Object.entries(vault.stats.snapshot().byRoute)
        .filter(([route]) => route.includes('renew-self'))
        .reduce((sum, [, count]) => sum + count, 0)
    await waitFor(() => renewals() >= 2, { timeoutMs: 15_000 })
    remember((await renewing.vaultIdentity.token()).reveal())
    expect(lines.some((line) => line.includes('cannot obtain the controller'))).toBe(true)
    expect(lines.some((line) => line.includes('Vault token renewal failed'))).toBe(true)
    vault.faults.clear()
  }, 30_000)

  it('shows no credential in any line, any /metrics, and logs JSON with levels and request ids', async () => {
    rememberDelivered()
    for (const controller of controllers) {
      remember((await controller.vaultIdentity.token()).reveal())
      const metrics = await controller.app.inject({ url: '/metrics' })
      lines.push(metrics.body)
    }
    const text = lines.join('\n')
    expect(secrets.size).toBeGreaterThan(20)
    const leaked = [...secrets].filter((secret) => text.includes(secret))
    expect(leaked).toEqual([])
    expect(text).not.toMatch(/\bhv[sbr]\.[A-Za-z0-9_-]{8,}/)
    expect(text).not.toMatch(/\bs\.[A-Za-z0-9]{20,}/)
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}/)

    const logLines = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Json)
    const appLines = logLines.filter((line) => line.audit === undefined)
    expect(appLines.length).toBeGreaterThan(100)
    for (const line of appLines) expect(typeof line.level).toBe('number')
    // Every request's lines carry our id (reqId) and the caller's X-Request-Id beside it.
    const upstreamIds = new Set(
      appLines.map((line) => line.upstreamRequestId).filter((id) => id !== undefined),
    )
    for (const id of sentRequestIds) expect(upstreamIds).toContain(id)
    for (const line of appLines.filter((line) => line.upstreamRequestId !== undefined)) {
      expect(line.reqId).toMatch(/^req-[0-9a-f-]{36}$/)
    }
  })
})
