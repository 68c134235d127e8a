/**
 * Readiness follows the controller's own Vault token: `/readyz` answers 503 until a login
 * succeeds, 200 while the token is usable, 503 again once it has expired, and 200 after the token
 * source has logged in again; `/livez` never moves. The TTL is exported as a gauge.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KubeDev, startKubeDev, startVaultDev, type VaultDev } from '@vault-controller/testkit'
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../app.ts'
import { loadConfig } from '../config.ts'
import { createMetrics } from '../metrics/metrics.ts'
import { Secret } from '../secret.ts'
import { setupVault } from '../setup/setup-vault.ts'
import { createVaultClient } from './vault-client.ts'
import { type Timers, VaultTokenSource } from './vault-token-source.ts'
import { createVaultTransport, type VaultTransport } from './vault-transport.ts'

let vault: VaultDev
let kube: KubeDev
let dir: string
let transport: VaultTransport
let app: FastifyInstance | undefined
let identity: VaultTokenSource | undefined

beforeEach(async () => {
  vault = await startVaultDev({ rootToken: 'root' })
  kube = await startKubeDev({ log: () => {} })
  await kube.createNamespace('vault-controller')
  await kube.createServiceAccount('vault-controller', 'vault-controller')
  await kube.createServiceAccount('vault-controller', 'intruder')
  dir = mkdtempSync(join(tmpdir(), 'vault-readiness-'))
  transport = createVaultTransport({ addr: vault.addr, maxSockets: 4, requestTimeoutMs: 5000 })
})

afterEach(async () => {
  await app?.close()
  identity?.close()
  transport.close()
  await vault.close()
  await kube.close()
  rmSync(dir, { recursive: true, force: true })
})

async function writeServiceAccountToken(path: string, serviceAccount: string): Promise<void> {
  const response = await fetch(
    `${kube.server}/api/v1/namespaces/vault-controller/serviceaccounts/${serviceAccount}/token`,
    {
      method: 'POST',
      headers: { Authorization: `Bearer ${kube.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ spec: { expirationSeconds: 7200 } }),
    },
  )
  writeFileSync(path, ((await response.json()) as { status: { token: string } }).status.token)
}

describe('readiness and the controller’s own Vault token', () => {
  it('is ready only while the controller holds a usable token', async () => {
    await setupVault({
      vaultAddr: vault.addr,
      adminToken: new Secret(vault.rootToken),
      role: 'pod-tokens',
      allowedPoliciesGlob: ['app-*'],
      auth: {
        method: 'kubernetes',
        kubernetesHost: kube.server,
        disableLocalCaJwt: true,
        namespace: 'vault-controller',
        serviceAccount: 'vault-controller',
        tokenTtlSeconds: 600,
      },
    })
    const jwtFile = join(dir, 'token')
    await writeServiceAccountToken(jwtFile, 'intruder')
    const pending: Array<() => void> = []
    const timers: Timers = {
      setTimeout: (callback) => pending.push(callback),
      clearTimeout: () => {},
    }
    const config = loadConfig({
      VAULT_ADDR: vault.addr,
      VAULT_AUTH_METHOD: 'kubernetes',
      VAULT_AUTH_ROLE: 'vault-controller',
      VAULT_AUTH_TOKEN_FILE: jwtFile,
      VAULT_TOKEN_ROLE: 'pod-tokens',
      ALLOW_LIST_FILE: join(dir, 'unused-allow-list.yaml'),
      LOG_LEVEL: 'silent',
    })
    if (config.vault.auth.method !== 'kubernetes') throw new Error('kubernetes auth expected')
    identity = new VaultTokenSource({
      transport,
      auth: config.vault.auth,
      clock: vault.clock,
      timers,
      random: () => 0,
    })
    const vaultClient = createVaultClient({
      addr: vault.addr,
      transport,
      token: identity,
      maxConcurrency: 4,
      requestTimeoutMs: 5000,
    })
    const metrics = createMetrics()
    app = await buildApp(
      {
        vault: vaultClient,
        vaultIdentity: identity,
        metrics,
        kube: {} as never,
        verifier: {} as never,
        allowList: () => ({}) as never,
        audit: { record: () => {} },
        healthCheckIntervalMs: 20,
      },
      config,
    )
    const readyz = async () => (await app?.inject({ url: '/readyz' }))?.statusCode
    const ttlGauge = async () =>
      (await metrics.registry.getSingleMetricAsString('vault_controller_vault_token_ttl_seconds'))
        .split('\n')
        .at(-1)

    // The login is refused (wrong service account): not ready, though Vault itself is fine.
    identity.start()
    await expect.poll(() => identity?.status().lastError, { timeout: 5000 }).toContain('not authorized')
    await expect.poll(readyz, { timeout: 5000 }).toBe(503)
    expect((await app.inject({ url: '/livez' })).statusCode).toBe(200)
    expect(await ttlGauge()).toBe('vault_controller_vault_token_ttl_seconds 0')

    // The right token appears; the retry logs in.
    await writeServiceAccountToken(jwtFile, 'vault-controller')
    pending.splice(0).forEach((retry) => {
      retry()
    })
    await expect.poll(readyz, { timeout: 5000 }).toBe(200)
    expect(await ttlGauge()).toMatch(/^vault_controller_vault_token_ttl_seconds (59\d|600)$/)

    // Time passes with no renewal (its timer is held back): the token expires, readiness drops.
    vault.clock.advance(601_000)
    kube.clock.advance(601_000)
    await expect.poll(readyz, { timeout: 5000 }).toBe(503)

    // The renewal timer fires late: renewal is refused (expired), the source logs in again.
    pending.splice(0).forEach((refresh) => {
      refresh()
    })
    await expect.poll(readyz, { timeout: 5000 }).toBe(200)
    expect(identity.status().usable).toBe(true)
  })
})
