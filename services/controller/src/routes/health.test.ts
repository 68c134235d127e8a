/**
 * `/livez` and `/readyz` on the real app against an in-process vault-dev: readiness names its
 * failing checks, turns 200 the moment the last condition holds (not on the next health-check
 * tick), and a Vault outage fails readiness but never liveness.
 */
import { startVaultDev, type VaultDev } from '@vault-controller/testkit'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type AppDeps, buildApp } from '../app.ts'
import { createAuditLog } from '../audit/audit-log.ts'
import { loadConfig } from '../config.ts'
import { BrokerError } from '../errors.ts'
import { upstreamRequestIdOf } from '../plugins/request-id.ts'
import { CachedProbe } from '../plugins/vault-pressure.ts'
import { Secret } from '../secret.ts'
import { createVaultClient } from '../vault/vault-client.ts'
import type { Readiness } from './health.ts'

let vault: VaultDev
const apps: FastifyInstance[] = []

beforeAll(async () => {
  vault = await startVaultDev({ rootToken: 'root' })
})
afterAll(async () => {
  await vault?.close()
})
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
  await fetch(`${vault.addr}/v1/sys/unseal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: vault.unsealKey }),
  })
})

/** A stand-in for the controller's VaultTokenSource: the test decides when the token arrives. */
function fakeIdentity() {
  const state = { usable: false }
  return {
    state,
    identity: {
      status: () => ({ method: 'token' as const, usable: state.usable, ttlSeconds: state.usable ? 3600 : 0 }),
      settled: async () => state.usable,
      useLogger: () => {},
    },
  }
}

async function startApp(
  options: {
    identity?: AppDeps['vaultIdentity']
    readiness?: Readiness
    jwksReady?: () => Promise<boolean>
  } = {},
) {
  const config = loadConfig({
    VAULT_ADDR: vault.addr,
    VAULT_TOKEN_FILE: '/nonexistent/token',
    VAULT_TOKEN_ROLE: 'pod-tokens',
    ALLOW_LIST_FILE: '/nonexistent/allow-list.yaml',
    CONTROLLER_ID: 'health-test',
    LOG_LEVEL: 'silent',
  })
  const vaultClient = createVaultClient({
    addr: vault.addr,
    token: async () => new Secret(vault.rootToken),
    maxConcurrency: 2,
    requestTimeoutMs: 2000,
  })
  const unused = () => {
    throw new Error('not used by these tests')
  }
  const app = await buildApp(
    {
      kube: { readPod: unused, mergePatchPod: unused, createPodEvent: unused },
      vault: vaultClient,
      ...(options.identity === undefined ? {} : { vaultIdentity: options.identity }),
      verifier: {
        verify: async () => {
          throw new BrokerError('VC_IDENTITY_INVALID', 'no')
        },
        ...(options.jwksReady === undefined ? {} : { ready: options.jwksReady }),
      },
      allowList: unused,
      audit: createAuditLog({ write: () => {}, controllerId: 'health-test' }),
      // The default interval: readiness must not wait for its next tick.
      healthCheckIntervalMs: 5000,
      ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
    },
    config,
  )
  app.addHook('onClose', async () => vaultClient.close())
  apps.push(app)
  return app
}

describe('/livez and /readyz', () => {
  it('turns ready as soon as the controller obtains its Vault token, naming the failing check until then', async () => {
    const { identity, state } = fakeIdentity()
    const app = await startApp({ identity })

    const before = await app.inject({ url: '/readyz' })
    expect(before.statusCode).toBe(503)
    expect(before.json()).toMatchObject({
      status: 'unavailable',
      failing: ['vaultToken'],
      checks: { shutdown: 'ok', vault: 'ok', vaultToken: 'failing' },
      error: { code: 'VC_VAULT_UNAVAILABLE', retryable: true },
    })
    expect(before.headers['retry-after']).toMatch(/^\d+$/)
    expect((await app.inject({ url: '/livez' })).statusCode).toBe(200)

    state.usable = true
    const startedMs = Date.now()
    const after = await app.inject({ url: '/readyz' })

    expect(after.statusCode).toBe(200)
    expect(Date.now() - startedMs).toBeLessThan(1000)
    expect(after.json()).toEqual({
      status: 'ok',
      checks: { shutdown: 'ok', vault: 'ok', vaultToken: 'ok' },
    })
  })

  it('waits for the revocation watch and the JWKS, each named while it fails', async () => {
    const { identity, state } = fakeIdentity()
    state.usable = true
    let synced = false
    let keysLoaded = false
    const app = await startApp({
      identity,
      readiness: { shuttingDown: false, watchSynced: () => synced },
      jwksReady: async () => keysLoaded,
    })

    const first = await app.inject({ url: '/readyz' })
    expect(first.statusCode).toBe(503)
    expect(first.json()).toMatchObject({
      failing: ['jwks', 'revocationWatch'],
      error: { code: 'VC_KUBE_UNAVAILABLE' },
    })

    synced = true
    keysLoaded = true
    // A failing JWKS check is re-checked within a second, not at the next 5 s interval.
    await expect
      .poll(async () => (await app.inject({ url: '/readyz' })).statusCode, { timeout: 3000 })
      .toBe(200)
    expect((await app.inject({ url: '/readyz' })).json().checks).toEqual({
      shutdown: 'ok',
      vault: 'ok',
      vaultToken: 'ok',
      jwks: 'ok',
      revocationWatch: 'ok',
    })
  })

  it('fails readiness but not liveness while Vault is sealed, and recovers within a second of the unseal', async () => {
    const app = await startApp()
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)
    await fetch(`${vault.addr}/v1/sys/seal`, { method: 'PUT', headers: { 'x-vault-token': vault.rootToken } })

    // The passing answer is trusted for the interval (5 s); the probe sees the seal by then.
    await expect
      .poll(async () => (await app.inject({ url: '/readyz' })).json().failing, {
        timeout: 8000,
        interval: 200,
      })
      .toEqual(['vault'])
    const livez = await app.inject({ url: '/livez' })
    expect(livez.statusCode).toBe(200)
    expect(livez.json()).toEqual({ status: 'ok' })

    await fetch(`${vault.addr}/v1/sys/unseal`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: vault.unsealKey }),
    })
    await expect
      .poll(async () => (await app.inject({ url: '/readyz' })).statusCode, { timeout: 2500 })
      .toBe(200)
  }, 15_000)

  it('names shutdown first once the replica is shutting down', async () => {
    const readiness: Readiness = { shuttingDown: true }
    const app = await startApp({ readiness })
    const readyz = await app.inject({ url: '/readyz' })
    expect(readyz.statusCode).toBe(503)
    expect(readyz.json()).toMatchObject({ failing: ['shutdown'], error: { code: 'VC_SHUTTING_DOWN' } })
  })

  it("answers with its own request id, never the caller's (it names issuances)", async () => {
    const app = await startApp()
    const first = await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'ingress-42.a:b' } })
    const second = await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'ingress-42.a:b' } })
    expect(first.headers['x-request-id']).toMatch(/^req-[0-9a-f-]{36}$/)
    expect(first.json().error.requestId).toBe(first.headers['x-request-id'])
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id'])
  })

  it('logs a sane upstream X-Request-Id beside its own, and drops an unsafe one', () => {
    expect(upstreamRequestIdOf({ headers: { 'x-request-id': 'ingress-42.a:b' } })).toBe('ingress-42.a:b')
    expect(upstreamRequestIdOf({ headers: { 'x-request-id': 'a b"}{' } })).toBeUndefined()
    expect(upstreamRequestIdOf({ headers: {} })).toBeUndefined()
  })
})

describe('CachedProbe', () => {
  it('runs one check for many callers and re-checks a failure only after its delay', async () => {
    let calls = 0
    let healthy = false
    let now = 0
    const probe = new CachedProbe(
      async () => {
        calls += 1
        return healthy
      },
      { freshForMs: 5000, recheckFailureAfterMs: 1000, clock: { now: () => now } },
    )

    expect(await Promise.all([probe.current({ waitMs: 100 }), probe.current({ waitMs: 100 })])).toEqual([
      false,
      false,
    ])
    expect(calls).toBe(1)
    healthy = true
    expect(await probe.current({ waitMs: 100 })).toBe(false)
    now = 1000
    expect(await probe.current({ waitMs: 100 })).toBe(true)
    now = 5999
    expect(await probe.current({ waitMs: 100 })).toBe(true)
    expect(calls).toBe(2)
  })

  it('answers from the last result when a check outlasts the wait', async () => {
    const probe = new CachedProbe(() => new Promise<boolean>(() => {}), { freshForMs: 1000 })
    expect(await probe.current({ waitMs: 20 })).toBe(false)
  })
})
