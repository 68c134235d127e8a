/**
 * `/metrics` on the real app with its real clients against in-process kube-dev and vault-dev
 * (response-body delivery, so no callback listener is needed): after one issued and one denied
 * request, the counters and histograms say so, with bounded labels and no token anywhere.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KubeDev, startKubeDev, startVaultDev, type VaultDev } from '@vault-controller/testkit'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.ts'
import { createAuditLog } from '../audit/audit-log.ts'
import { loadConfig } from '../config.ts'
import { createDeps } from '../create-deps.ts'
import { kubeConfigFor } from '../kube/kube-client.ts'
import { vaultOperationOf } from '../vault/vault-transport.ts'
import { createMetrics } from './metrics.ts'

// biome-ignore lint/suspicious/noExplicitAny: JSON from kube-dev and vault-dev, read field by field
type Json = any

let kube: KubeDev
let vault: VaultDev
let app: FastifyInstance
let controllerToken: string

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'x-vault-token': token, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as Json }
}

async function createPod(annotations: Record<string, string>) {
  const name = `web-${randomUUID().slice(0, 8)}`
  const created = await call(kube.server, 'POST', '/api/v1/namespaces/payments/pods', kube.token, {
    metadata: { name, annotations },
    spec: {
      serviceAccountName: 'web',
      nodeName: 'node-1',
      initContainers: [{ name: 'vault-init', image: 'vault-init:test' }],
      containers: [{ name: 'app', image: 'app:test' }],
    },
  })
  await fetch(`${kube.server}/__testkit/kubelet/payments/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hostIP: '10.0.0.1', podIP: '127.0.0.1', initContainers: 'running' }),
  })
  const uid = created.body.metadata.uid as string
  const token = await call(
    kube.server,
    'POST',
    '/api/v1/namespaces/payments/serviceaccounts/web/token',
    kube.token,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: ['vault-controller'],
        expirationSeconds: 600,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, uid },
      },
    },
  )
  return { name, jwt: token.body.status.token as string }
}

function requestToken(pod: { name: string; jwt: string }) {
  return app.inject({
    method: 'POST',
    url: '/v1/token',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${pod.jwt}` },
    payload: { namespace: 'payments', name: pod.name, callback: { port: 9443, certSha256: 'a'.repeat(64) } },
  })
}

beforeAll(async () => {
  kube = await startKubeDev({ log: () => {} })
  vault = await startVaultDev({ rootToken: 'root' })
  await kube.createNamespace('payments')
  await kube.createServiceAccount('payments', 'web')
  const root = vault.rootToken
  await call(vault.addr, 'PUT', '/v1/sys/policies/acl/controller', root, {
    policy: `path "auth/token/create/pod-tokens" { capabilities = ["update", "sudo"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }`,
  })
  await call(vault.addr, 'POST', '/v1/auth/token/roles/pod-tokens', root, {
    orphan: true,
    allowed_policies: ['web'],
  })
  const created = await call(vault.addr, 'POST', '/v1/auth/token/create-orphan', root, {
    policies: ['controller'],
  })
  controllerToken = created.body.auth.client_token
  const dir = mkdtempSync(join(tmpdir(), 'metrics-test-'))
  writeFileSync(join(dir, 'token'), controllerToken)
  writeFileSync(
    join(dir, 'allow-list.yaml'),
    'rules:\n  - name: web\n    namespaces: [payments]\n    serviceAccounts: [web]\n    policies: [web]\n    ttl: { default: 1h, max: 2h }\n',
  )
  const config = loadConfig({
    VAULT_ADDR: vault.addr,
    VAULT_TOKEN_FILE: join(dir, 'token'),
    VAULT_TOKEN_ROLE: 'pod-tokens',
    ALLOW_LIST_FILE: join(dir, 'allow-list.yaml'),
    CONTROLLER_ID: 'metrics-test',
    LOG_LEVEL: 'silent',
    DELIVERY_MODE: 'response-body',
  })
  const metrics = createMetrics()
  const deps = createDeps(config, { kubeConfig: kubeConfigFor(kube.server, kube.token), metrics })
  app = await buildApp(
    { ...deps.deps, metrics, audit: createAuditLog({ write: () => {}, controllerId: 'metrics-test' }) },
    config,
  )
  app.addHook('onClose', () => deps.close())
})

afterAll(async () => {
  await app?.close()
  await kube?.close()
  await vault?.close()
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
    await call(vault.addr, 'PUT', '/v1/sys/seal', vault.rootToken)
    try {
      const response = await app.inject({ url: '/metrics' })
      expect(response.statusCode).toBe(200)
    } finally {
      await call(vault.addr, 'PUT', '/v1/sys/unseal', vault.rootToken, { key: vault.unsealKey })
    }
  })
})
