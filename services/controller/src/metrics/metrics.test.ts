/**
 * `/metrics` on the real app with its real clients against in-process kube-dev and vault-dev
 * (response-body delivery, so no callback listener is needed): after one issued and one denied
 * request, the counters and histograms say so, with bounded labels and no token anywhere.
 */
import type { KubeDev, VaultDev } from '@vault-controller/testkit'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ControllerApp,
  type ControllerWorld,
  createPod as createWorldPod,
  podToken,
  requestToken as requestWorldToken,
  startControllerApp,
  startControllerWorld,
} from '../test-support/controller-world.ts'
import { vaultCall } from '../test-support/dev-api.ts'
import { vaultOperationOf } from '../vault/vault-transport.ts'
import { createMetrics } from './metrics.ts'

let world: ControllerWorld
let kube: KubeDev
let vault: VaultDev
let controller: ControllerApp
let app: FastifyInstance
let controllerToken: string

async function createPod(annotations: Record<string, string>) {
  const pod = await createWorldPod(kube, { namespace: 'payments', serviceAccount: 'web', annotations })
  return { name: pod.name, jwt: await podToken(kube, pod) }
}

function requestToken(pod: { name: string; jwt: string }) {
  return requestWorldToken(app, { namespace: 'payments', name: pod.name }, pod.jwt, {
    port: 9443,
    certSha256: 'a'.repeat(64),
  })
}

beforeAll(async () => {
  world = await startControllerWorld({
    serviceAccounts: { payments: ['web'] },
    controllerPolicy: `path "auth/token/create/pod-tokens" { capabilities = ["update", "sudo"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }`,
    tokenRoles: { 'pod-tokens': { orphan: true, allowed_policies: ['web'] } },
    allowList:
      'rules:\n  - name: web\n    namespaces: [payments]\n    serviceAccounts: [web]\n    policies: [web]\n    ttl: { default: 1h, max: 2h }\n',
    tempPrefix: 'metrics-test-',
  })
  ;({ kube, vault, controllerToken } = world)
  const metrics = createMetrics()
  controller = await startControllerApp(
    world,
    { CONTROLLER_ID: 'metrics-test', LOG_LEVEL: 'silent', DELIVERY_MODE: 'response-body' },
    { metrics, clientMetrics: metrics },
  )
  app = controller.app
})

afterAll(async () => {
  await controller?.close()
  await world?.close()
})

/** The value of one sample line of the exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const labelText = line.slice(name.length).split(' ')[0] ?? ''
    if (wanted.every((pair) => labelText.includes(pair))) return Number(line.split(' ').at(-1))
  }
  return undefined
}

describe('GET /metrics', () => {
  it('counts one issued and one denied request, times every stage, and shows no token', async () => {
    const issued = await requestToken(await createPod({ 'vaultproject.io/policies': 'web' }))
    expect(issued.statusCode).toBe(200)
    const denied = await requestToken(await createPod({ 'vaultproject.io/policies': 'root' }))
    expect(denied.statusCode).toBe(403)
    const deniedCode = denied.json().error.code as string

    const response = await app.inject({ url: '/metrics' })

    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = response.body
    const token = '/v1/token'
    expect(
      sample(text, 'vault_controller_http_requests_total', { route: token, status: '200', code: 'OK' }),
    ).toBe(1)
    expect(
      sample(text, 'vault_controller_http_requests_total', { route: token, status: '403', code: deniedCode }),
    ).toBe(1)
    expect(sample(text, 'vault_controller_http_request_duration_seconds_count', { route: token })).toBe(2)
    expect(sample(text, 'vault_controller_issuance_requests_total', { outcome: 'issued', code: 'OK' })).toBe(
      1,
    )
    expect(
      sample(text, 'vault_controller_issuance_requests_total', { outcome: 'denied', code: deniedCode }),
    ).toBe(1)
    expect(sample(text, 'vault_controller_issuance_duration_seconds_count', { outcome: 'issued' })).toBe(1)
    expect(
      sample(text, 'vault_controller_issuance_duration_seconds_bucket', { outcome: 'issued', le: '+Inf' }),
    ).toBe(1)
    expect(sample(text, 'vault_controller_issuances_in_flight')).toBe(0)
    for (const stage of ['identity', 'pod_lookup', 'decide']) {
      expect(sample(text, 'vault_controller_issuance_stage_seconds_count', { stage })).toBe(2)
    }
    for (const stage of ['claim', 'vault', 'record']) {
      expect(sample(text, 'vault_controller_issuance_stage_seconds_count', { stage })).toBeGreaterThanOrEqual(
        1,
      )
    }
    expect(sample(text, 'vault_controller_vault_requests_total', { operation: 'token_create' })).toBe(1)
    expect(
      sample(text, 'vault_controller_vault_requests_total', { operation: 'health' }),
    ).toBeGreaterThanOrEqual(1)
    expect(
      sample(text, 'vault_controller_vault_request_duration_seconds_count', { operation: 'token_create' }),
    ).toBe(1)
    expect(sample(text, 'vault_controller_kube_requests_total', { verb: 'get', resource: 'pods' })).toBe(2)
    expect(
      sample(text, 'vault_controller_kube_requests_total', { verb: 'patch', resource: 'pods' }),
    ).toBeGreaterThanOrEqual(2)
    expect(sample(text, 'vault_controller_kube_requests_total', { verb: 'get', resource: 'jwks' })).toBe(1)
    expect(
      sample(text, 'vault_controller_kube_request_duration_seconds_count', {
        verb: 'create',
        resource: 'events',
      }),
    ).toBeGreaterThanOrEqual(1)
    expect(sample(text, 'vault_controller_vault_token_ttl_seconds')).toBeGreaterThan(0)
    expect(text).toContain('process_cpu_user_seconds_total')
    expect(text).toContain('nodejs_eventloop_lag_seconds')

    // Bounded labels only: no pod name, no accessor, no token of any kind.
    const wrapped = issued.json().wrapInfo
    for (const secret of [
      wrapped.token,
      wrapped.accessor,
      wrapped.wrappedAccessor,
      controllerToken,
      kube.token,
    ]) {
      expect(text).not.toContain(secret)
    }
    expect(text).not.toMatch(/web-[0-9a-f]{8}/)
    expect(text).not.toMatch(/\bhv[sbr]\.|\bs\.[A-Za-z0-9]{20,}|eyJ[A-Za-z0-9_-]{8,}/)
  })

  it('labels unknown paths as one route, never by their URL', async () => {
    for (const path of ['/nope/1', '/nope/2', '/.env'])
      expect((await app.inject({ url: path })).statusCode).toBe(404)
    const text = (await app.inject({ url: '/metrics' })).body
    expect(
      sample(text, 'vault_controller_http_requests_total', {
        route: 'unmatched',
        code: 'VC_ROUTE_NOT_FOUND',
      }),
    ).toBe(3)
    expect(text).not.toContain('/nope')
  })

  it('names Vault operations without roles or mounts', () => {
    expect(vaultOperationOf('auth/token/create/pod-tokens')).toBe('token_create')
    expect(vaultOperationOf('auth/kubernetes/login')).toBe('login')
    expect(vaultOperationOf('auth/my/approle/login')).toBe('login')
    expect(vaultOperationOf('sys/health?standbyok=true')).toBe('health')
    expect(vaultOperationOf('auth/token/renew-self')).toBe('renew_self')
    expect(vaultOperationOf('secret/data/x')).toBe('other')
  })

  it('stays up while Vault is sealed (scraping must not depend on Vault)', async () => {
    await vaultCall(vault, 'PUT', 'sys/seal')
    try {
      const response = await app.inject({ url: '/metrics' })
      expect(response.statusCode).toBe(200)
    } finally {
      await vaultCall(vault, 'PUT', 'sys/unseal', { key: vault.unsealKey })
    }
  })
})
