/**
 * The controller's own Vault identity, end to end against vault-dev (and kube-dev for Kubernetes
 * auth, whose TokenReview vault-dev calls for real). Vault is configured by `setupVault`, as an
 * operator would. Time moves through both servers' clocks and the token source's injected timers:
 * no sleeps.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KubeDev, startKubeDev, startVaultDev, type VaultDev } from '@vault-controller/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BrokerError } from '../errors.ts'
import { Secret } from '../secret.ts'
import { setupVault } from '../setup/setup-vault.ts'
import { vaultCall } from '../test-support/dev-api.ts'
import { createVaultClient, type VaultClient } from './vault-client.ts'
import type { VaultAuthSettings } from './vault-login.ts'
import { type Timers, VaultTokenSource } from './vault-token-source.ts'
import { createVaultTransport, type VaultTransport } from './vault-transport.ts'

const NAMESPACE = 'vault-controller'
const SERVICE_ACCOUNT = 'vault-controller'

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; delayMs: number }>()
  let nextId = 1
  const timers: Timers = {
    setTimeout(callback, delayMs) {
      const id = nextId++
      pending.set(id, { callback, delayMs })
      return id
    },
    clearTimeout(handle) {
      pending.delete(handle as number)
    },
  }
  return {
    timers,
    delays: () => [...pending.values()].map((timer) => timer.delayMs),
    /** Fires the one pending timer. */
    fire() {
      const entries = [...pending.entries()]
      expect(entries).toHaveLength(1)
      const [id, timer] = entries[0] as [number, { callback: () => void }]
      pending.delete(id)
      timer.callback()
    },
  }
}

let vault: VaultDev
let kube: KubeDev
let dir: string
let transport: VaultTransport
const closing: Array<() => unknown> = []

beforeEach(async () => {
  vault = await startVaultDev({ rootToken: 'root' })
  kube = await startKubeDev({ log: () => {} })
  await kube.createNamespace(NAMESPACE)
  await kube.createServiceAccount(NAMESPACE, SERVICE_ACCOUNT)
  dir = mkdtempSync(join(tmpdir(), 'vault-identity-'))
  transport = createVaultTransport({ addr: vault.addr, maxSockets: 4, requestTimeoutMs: 5000 })
})

afterEach(async () => {
  for (const close of closing.splice(0)) await close()
  transport.close()
  await vault.close()
  await kube.close()
  rmSync(dir, { recursive: true, force: true })
})

const root = (method: string, path: string, body?: unknown) => vaultCall(vault, method, path, body)

/** What the kubelet writes into the pod: a fresh service-account token. */
async function writeServiceAccountToken(path: string, serviceAccount = SERVICE_ACCOUNT): Promise<string> {
  const response = await fetch(
    `${kube.server}/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${serviceAccount}/token`,
    {
      method: 'POST',
      headers: { Authorization: `Bearer ${kube.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ spec: { expirationSeconds: 3600 } }),
    },
  )
  expect(response.status).toBe(201)
  const jwt = ((await response.json()) as { status: { token: string } }).status.token
  writeFileSync(path, jwt)
  return jwt
}

async function setUp(auth: 'kubernetes' | 'approle', tokenTtlSeconds = 3600, tokenMaxTtlSeconds = 86_400) {
  return setupVault({
    vaultAddr: vault.addr,
    adminToken: new Secret(vault.rootToken),
    role: 'pod-tokens',
    allowedPoliciesGlob: ['app-*'],
    auth:
      auth === 'kubernetes'
        ? {
            method: 'kubernetes',
            kubernetesHost: kube.server,
            disableLocalCaJwt: true,
            namespace: NAMESPACE,
            serviceAccount: SERVICE_ACCOUNT,
            tokenTtlSeconds,
            tokenMaxTtlSeconds,
          }
        : { method: 'approle', tokenTtlSeconds, tokenMaxTtlSeconds },
  })
}

function source(auth: VaultAuthSettings, timers: Timers): VaultTokenSource {
  const created = new VaultTokenSource({ transport, auth, clock: vault.clock, timers, random: () => 0 })
  closing.push(() => created.close())
  return created
}

function clientOf(provider: VaultTokenSource): VaultClient {
  const client = createVaultClient({
    addr: vault.addr,
    transport,
    token: provider,
    maxConcurrency: 8,
    requestTimeoutMs: 5000,
  })
  closing.push(() => client.close())
  return client
}

/** Real time runs under the servers' clocks too: a second or two may have passed. */
function ttlNear(identity: VaultTokenSource, seconds: number): boolean {
  const { ttlSeconds } = identity.status()
  return ttlSeconds <= seconds && ttlSeconds >= seconds - 5
}

function expectOneTimerNear(delays: number[], delayMs: number): void {
  expect(delays).toHaveLength(1)
  expect(delays[0]).toBeLessThanOrEqual(delayMs)
  expect(delays[0]).toBeGreaterThan(delayMs - 5000)
}

function count(route: string): number {
  return vault.stats.snapshot().byRoute[route] ?? 0
}

/** Both servers' clocks move together, as real time would. */
function advanceSeconds(seconds: number): void {
  vault.clock.advance(seconds * 1000)
  kube.clock.advance(seconds * 1000)
}

const mint = {
  role: 'pod-tokens',
  policies: ['app-web'],
  meta: { pod_name: 'p1' },
  displayName: 'ns-p1',
  periodSeconds: 600,
  wrapTtlSeconds: 30,
}

describe('VaultTokenSource with Kubernetes auth', () => {
  const jwtFile = () => join(dir, 'sa-token')
  const kubernetes = (): VaultAuthSettings => ({
    method: 'kubernetes',
    mount: 'kubernetes',
    role: 'vault-controller',
    jwtFile: jwtFile(),
  })

  it('logs in with its service-account token (TokenReview for real) and mints with sudo on its role only', async () => {
    await setUp('kubernetes')
    const jwt = await writeServiceAccountToken(jwtFile())
    const { timers, delays } = manualTimers()
    const identity = source(kubernetes(), timers)
    expect(identity.status()).toMatchObject({ usable: false, ttlSeconds: 0, method: 'kubernetes' })

    kube.stats.reset()
    const token = await identity.token()
    const self = await root('POST', 'auth/token/lookup', { token: token.reveal() })
    expect(self.body.data).toMatchObject({
      display_name: `kubernetes-${NAMESPACE}-${SERVICE_ACCOUNT}`,
      policies: ['default', 'vault-controller'],
      path: 'auth/kubernetes/login',
    })
    expect(identity.status()).toMatchObject({ usable: true })
    expect(ttlNear(identity, 3600)).toBe(true)
    expect(JSON.stringify(identity.status())).not.toContain(token.reveal())
    const reviews = Object.entries(kube.stats.snapshot().byRoute).filter(([route]) =>
      route.includes('tokenreviews'),
    )
    expect(reviews.map(([, n]) => n)).toEqual([1])
    // Renewal is planned at two thirds of the lease.
    expectOneTimerNear(delays(), 2_400_000)

    // The per-pod period needs the sudo that the setup's policy grants on this one path.
    const minted = await clientOf(identity).createWrappedToken(mint)
    expect(minted.creationPath).toBe('auth/token/create/pod-tokens')
    expect(JSON.stringify(identity.status())).not.toContain(jwt)
  })

  it('renews at two thirds of the lease, and logs in again (re-reading the JWT) when renewal is capped', async () => {
    await setUp('kubernetes', 3600, 7200)
    await writeServiceAccountToken(jwtFile())
    const { timers, delays, fire } = manualTimers()
    const identity = source(kubernetes(), timers)
    const first = await identity.token()
    expect(count('POST auth/kubernetes/login')).toBe(1)

    advanceSeconds(2400)
    fire()
    await expect.poll(() => count('POST auth/token/renew-self')).toBe(1)
    await expect.poll(() => ttlNear(identity, 3600)).toBe(true)
    expect(await identity.token()).toBe(first)
    expectOneTimerNear(delays(), 2_400_000)

    // 4800 s after login, renewal is capped at 2400 s (max TTL 2 h): still worth keeping.
    advanceSeconds(2400)
    fire()
    await expect.poll(() => ttlNear(identity, 2400)).toBe(true)
    expect(count('POST auth/kubernetes/login')).toBe(1)

    // Then 800 s, less than a third of a fresh lease: log in again, with the kubelet's new JWT
    // (the first one has expired by now on both clocks).
    advanceSeconds(1600)
    await writeServiceAccountToken(jwtFile())
    fire()
    await expect.poll(() => count('POST auth/kubernetes/login')).toBe(2)
    await expect.poll(() => ttlNear(identity, 3600)).toBe(true)
    const second = await identity.token()
    expect(second.reveal()).not.toBe(first.reveal())
  })

  it('replaces a revoked token once, however many calls see the 403 at the same time', async () => {
    await setUp('kubernetes')
    await writeServiceAccountToken(jwtFile())
    const identity = source(kubernetes(), manualTimers().timers)
    const client = clientOf(identity)
    const first = await identity.token()
    const accessor = identity.status().accessor
    expect((await root('POST', 'auth/token/revoke-accessor', { accessor })).status).toBe(204)

    const minted = await Promise.all([1, 2, 3, 4, 5].map(() => client.createWrappedToken(mint)))

    expect(minted).toHaveLength(5)
    expect(count('POST auth/kubernetes/login')).toBe(2)
    expect((await identity.token()).reveal()).not.toBe(first.reveal())
  })

  it('does not log in again when the 403 is its policy’s, not its token’s', async () => {
    await setUp('kubernetes')
    await writeServiceAccountToken(jwtFile())
    const identity = source(kubernetes(), manualTimers().timers)
    const failure = await clientOf(identity)
      .createWrappedToken({ ...mint, role: 'someone-elses-role' })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(BrokerError)
    expect((failure as BrokerError).code).toBe('VC_VAULT_ERROR')
    expect(count('POST auth/kubernetes/login')).toBe(1)
    expect(identity.status().usable).toBe(true)
  })

  it('retries a refused login with backoff, never putting the JWT in an error, and recovers', async () => {
    await setUp('kubernetes')
    await kube.createServiceAccount(NAMESPACE, 'intruder')
    const jwt = await writeServiceAccountToken(jwtFile(), 'intruder')
    const { timers, delays, fire } = manualTimers()
    const identity = source(kubernetes(), timers)

    const failure = await identity.token().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(BrokerError)
    const everything = JSON.stringify({
      message: (failure as Error).message,
      cause: String((failure as Error).cause),
      status: identity.status(),
    })
    expect(everything).toContain('service account name not authorized')
    expect(everything).not.toContain(jwt)
    expect(identity.status()).toMatchObject({ usable: false })
    expect(delays()).toEqual([1000])

    await identity.token().catch(() => {})
    expect(delays()).toEqual([2000])

    await writeServiceAccountToken(jwtFile())
    fire()
    await expect.poll(() => identity.status().usable).toBe(true)
    expectOneTimerNear(delays(), 2_400_000)
  })
})

describe('VaultTokenSource with AppRole and with a token file', () => {
  it('logs in with AppRole credentials read from files', async () => {
    const result = await setUp('approle')
    const roleIdFile = join(dir, 'role-id')
    const secretIdFile = join(dir, 'secret-id')
    writeFileSync(roleIdFile, `${result.approle?.roleId}\n`)
    writeFileSync(secretIdFile, `${result.approle?.secretId?.reveal()}\n`)
    const identity = source(
      { method: 'approle', mount: 'approle', roleIdFile, secretIdFile },
      manualTimers().timers,
    )
    const token = await identity.token()
    const self = await root('POST', 'auth/token/lookup', { token: token.reveal() })
    expect(self.body.data).toMatchObject({
      policies: ['default', 'vault-controller'],
      meta: { role_name: 'vault-controller' },
    })
    expect(await clientOf(identity).createWrappedToken(mint)).toMatchObject({ wrapTtlSeconds: 30 })
  })

  it('adopts a token file, learns its TTL, renews it, and picks up a new file', async () => {
    await setUp('approle')
    const create = async () =>
      (await root('POST', 'auth/token/create-orphan', { policies: ['vault-controller'], ttl: '30m' })).body
        .auth.client_token as string
    const tokenFile = join(dir, 'token')
    writeFileSync(tokenFile, `${await create()}\n`)
    const { timers, delays, fire } = manualTimers()
    const identity = new VaultTokenSource({
      transport,
      auth: { method: 'token', tokenFile },
      clock: vault.clock,
      timers,
      random: () => 0,
      fileCheckIntervalMs: 0,
    })
    closing.push(() => identity.close())
    const first = await identity.token()
    expect(identity.status()).toMatchObject({ usable: true })
    expect(ttlNear(identity, 1800)).toBe(true)
    expectOneTimerNear(delays(), 1_200_000)

    vault.clock.advance(1_200_000)
    fire()
    await expect.poll(() => ttlNear(identity, 1800)).toBe(true)
    expect(count('POST auth/token/renew-self')).toBe(1)

    // Vault Agent writes a new token: the next call uses it.
    const next = await create()
    writeFileSync(tokenFile, next)
    expect((await identity.token()).reveal()).toBe(next)
    expect(first.reveal()).not.toBe(next)
  })
})
