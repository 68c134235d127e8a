import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startVaultDev, type VaultDev, waitFor } from '@vault-controller/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { SidecarConfig } from './config.ts'
import { exitCodes } from './exit-codes.ts'
import { jsonLogger } from './logger.ts'
import { runRenewalSidecar, type SidecarDeps } from './run-renewal-sidecar.ts'

const POD = { namespace: 'payments', name: 'web-1' }
const META = { namespace: POD.namespace, pod_name: POD.name, pod_uid: '0b6c3a8e-4f1d-4c39-9a51-2f4b9d1e7c01' }
const RENEW_PATH = '/v1/auth/token/renew-self'

let vault: VaultDev
let dir: string
let logs: string[]
beforeAll(async () => {
  vault = await startVaultDev()
})
afterAll(async () => {
  await vault.close()
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-init-sidecar-'))
  logs = []
  vault.faults.clear()
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function vaultCall(method: string, path: string, body?: unknown, token = vault.rootToken) {
  const response = await fetch(`${vault.addr}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) }
}

/** Mints a periodic orphan token as the controller does and leaves the files vault-init writes. */
async function tokenFiles(settings: Record<string, unknown> = { period: '60s' }, mode = 0o640) {
  const minted = await vaultCall('POST', 'auth/token/create-orphan', {
    policies: ['default'],
    meta: META,
    ...settings,
  })
  const token: string = minted.json.auth.client_token
  const accessor: string = minted.json.auth.accessor
  await writeFile(join(dir, 'token'), token, { mode })
  await writeFile(join(dir, 'secret.json'), `${JSON.stringify(minted.json)}\n`, { mode })
  // The files were written "now" on the server's clock, which earlier tests moved forward.
  const seconds = vault.clock.now() / 1000
  await utimes(join(dir, 'secret.json'), seconds, seconds)
  return { token, accessor, original: minted.json as Record<string, unknown> }
}

function config(overrides: Partial<SidecarConfig> = {}): SidecarConfig {
  return { vaultAddr: vault.addr, outputDir: dir, pod: POD, logLevel: 'debug', ...overrides }
}

/**
 * Deps on vault-dev's clock: each sleep is recorded and moves that clock instead of waiting,
 * and `onSleep` may stop the sidecar or act on Vault between renewals.
 */
function fakeTime(onSleep: (sleeps: number[], stop: AbortController) => Promise<void> | void = () => {}) {
  const sleeps: number[] = []
  const stop = new AbortController()
  const deps: SidecarDeps = {
    logger: jsonLogger({ level: 'debug', write: (line) => logs.push(line) }),
    clock: vault.clock,
    signal: stop.signal,
    sleep: async (ms) => {
      sleeps.push(ms)
      vault.clock.advance(ms)
      await onSleep(sleeps, stop)
    },
  }
  return { sleeps, stop, deps }
}

const messages = () => logs.map((line) => JSON.parse(line) as { msg: string; [key: string]: unknown })
const renewCalls = () =>
  Object.entries(vault.stats.snapshot().byRoute)
    .filter(([route]) => route.includes('renew-self'))
    .reduce((sum, [, count]) => sum + count, 0)

describe('renewal sidecar', () => {
  it('renews at once, then at about half the period, and keeps the token alive past its first expiry', async () => {
    const { token, accessor } = await tokenFiles()
    vault.stats.reset()
    const { sleeps, deps } = fakeTime((sleeps, stop) => {
      if (sleeps.length === 4) stop.abort('SIGTERM')
    })
    const result = await runRenewalSidecar(config(), deps)
    expect(result).toEqual({ exitCode: exitCodes.OK, code: 'STOPPED', message: 'stopped by SIGTERM' })
    expect(sleeps).toHaveLength(4)
    for (const ms of sleeps) {
      expect(ms).toBeGreaterThanOrEqual(24_000)
      expect(ms).toBeLessThanOrEqual(36_000)
    }
    expect(sleeps.reduce((a, b) => a + b)).toBeGreaterThan(60_000)
    expect(renewCalls()).toBe(4)
    const lookup = await vaultCall('POST', 'auth/token/lookup-accessor', { accessor })
    expect(lookup.status).toBe(200)
    expect(lookup.json.data.ttl).toBeGreaterThan(20)
    expect(messages().filter((m) => m.msg === 'token renewed')).toHaveLength(4)
    expect(logs.join('')).not.toContain(token)
  })

  it('rewrites secret.json atomically with the renewal, keeping its mode and shape; token stays', async () => {
    const { token, original } = await tokenFiles({ period: '90s' }, 0o640)
    const before = await stat(join(dir, 'secret.json'))
    const { deps } = fakeTime((_, stop) => stop.abort('SIGTERM'))
    expect((await runRenewalSidecar(config(), deps)).exitCode).toBe(exitCodes.OK)
    const after = await stat(join(dir, 'secret.json'))
    expect(after.mode & 0o777).toBe(0o640)
    expect(after.ino).not.toBe(before.ino) // replaced by a rename, not rewritten in place
    expect((await readdir(dir)).sort()).toEqual(['secret.json', 'token'])
    expect(await readFile(join(dir, 'token'), 'utf8')).toBe(token)
    const text = await readFile(join(dir, 'secret.json'), 'utf8')
    expect(text.endsWith('}\n')).toBe(true)
    const secret = JSON.parse(text)
    expect(Object.keys(secret).sort()).toEqual(Object.keys(original).sort())
    expect(secret.request_id).not.toBe(original.request_id)
    expect(secret.auth).toMatchObject({
      client_token: token,
      accessor: (original.auth as { accessor: string }).accessor,
      lease_duration: 90,
      renewable: true,
      metadata: META,
    })
  })

  it('backs off on 503 with growing jittered delays, then recovers', async () => {
    await tokenFiles()
    vault.faults.add({ method: 'POST', pathPrefix: RENEW_PATH, status: 503, times: 3 })
    const { sleeps, deps } = fakeTime((sleeps, stop) => {
      if (sleeps.length === 4) stop.abort('SIGTERM')
    })
    deps.random = () => 0.999
    expect((await runRenewalSidecar(config(), deps)).exitCode).toBe(exitCodes.OK)
    // Doubling from 1 s with the jitter at its top. vault-dev's clock also runs in real time, so a
    // loaded machine may let a few milliseconds pass between two readings of it.
    for (const [index, expected] of [999, 1998, 3996].entries()) {
      expect(sleeps[index]).toBeLessThanOrEqual(expected)
      expect(sleeps[index]).toBeGreaterThan(expected - 100)
    }
    // Renewed: next at ~half the lease with the jitter at its top (a few ms may pass on the clock).
    expect(sleeps[3]).toBeLessThanOrEqual(60_000 * (0.5 + 0.499 * 0.2) + 1)
    expect(sleeps[3]).toBeGreaterThan(60_000 * (0.5 + 0.499 * 0.2) - 100)
    const failures = messages().filter((m) => m.msg === 'renewal failed; retrying')
    expect(failures.map((m) => m.failures)).toEqual([1, 2, 3])
    expect(String(failures[0]?.reason)).toContain('503')
    expect(messages().filter((m) => m.msg === 'token renewed')).toHaveLength(1)
  })

  it('keeps retrying a down Vault within the token’s life, then exits 9 once it expired', async () => {
    const { token } = await tokenFiles({ period: '20s' })
    vault.faults.add({ method: 'POST', pathPrefix: RENEW_PATH, drop: true, times: 1000 })
    const { sleeps, deps } = fakeTime()
    deps.random = () => 0.999
    const result = await runRenewalSidecar(config(), deps)
    expect(result.exitCode).toBe(exitCodes.TOKEN_EXPIRED)
    expect(result.code).toBe('TOKEN_EXPIRED')
    expect(result.message).toMatch(/expired at .* without a successful renewal; last error: Vault renew-self/)
    // Never waits past half the time left, so the last tries come just before the expiry.
    const total = sleeps.reduce((a, b) => a + b)
    expect(total).toBeGreaterThanOrEqual(20_000 - 1_000)
    expect(total).toBeLessThan(20_000 + 1_000)
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(10_000)
    expect(sleeps.length).toBeGreaterThan(5)
    expect(logs.join('')).not.toContain(token)
  })

  it('exits 8 with a specific message when the token was revoked', async () => {
    const { token, accessor } = await tokenFiles()
    const { deps } = fakeTime(async () => {
      await vaultCall('POST', 'auth/token/revoke-accessor', { accessor })
    })
    const result = await runRenewalSidecar(config(), deps)
    expect(result.exitCode).toBe(exitCodes.TOKEN_REVOKED)
    expect(result.code).toBe('TOKEN_REVOKED')
    expect(result.message).toContain('403')
    expect(result.message).toContain(`accessor ${accessor}) was revoked or is invalid`)
    expect(result.message).not.toContain(token)
    expect(logs.join('')).not.toContain(token)
  })

  it('exits 10 when Vault says the token is not renewable', async () => {
    await tokenFiles({ ttl: '60s', renewable: false })
    const result = await runRenewalSidecar(config(), fakeTime().deps)
    expect(result.exitCode).toBe(exitCodes.NOT_RENEWABLE)
    expect(result.message).toContain('lease is not renewable')
  })

  it('stops promptly on SIGTERM while waiting, and while a renewal is in flight', async () => {
    await tokenFiles()
    const stop = new AbortController()
    const logger = jsonLogger({ level: 'debug', write: (line) => logs.push(line) })
    const running = runRenewalSidecar(config(), { logger, signal: stop.signal })
    await waitFor(() => messages().some((m) => m.msg === 'token renewed'), { timeoutMs: 5_000 })
    let started = Date.now()
    stop.abort('SIGTERM')
    expect(await running).toMatchObject({ exitCode: exitCodes.OK, code: 'STOPPED' })
    expect(Date.now() - started).toBeLessThan(1_000)

    vault.stats.reset()
    vault.faults.add({ method: 'POST', pathPrefix: RENEW_PATH, latencyMs: 20_000, times: 1 })
    const hanging = new AbortController()
    const inFlight = runRenewalSidecar(config(), { logger, signal: hanging.signal })
    await waitFor(() => renewCalls() === 1, { timeoutMs: 5_000 })
    started = Date.now()
    hanging.abort('SIGTERM')
    expect((await inFlight).exitCode).toBe(exitCodes.OK)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('refuses to start without the init container’s files, or with another pod’s', async () => {
    const none = await runRenewalSidecar(config(), fakeTime().deps)
    expect(none.exitCode).toBe(exitCodes.NO_TOKEN_FILES)
    expect(none.message).toContain('the vault-init init container must run (and succeed) before the sidecar')

    const { token } = await tokenFiles()
    const other = await runRenewalSidecar(
      config({ pod: { namespace: 'payments', name: 'web-2' } }),
      fakeTime().deps,
    )
    expect(other).toMatchObject({ exitCode: exitCodes.FOREIGN_FILES, code: 'FOREIGN_TOKEN_FILES' })
    expect(other.message).toContain('names another pod (pod_name differ)')

    await writeFile(join(dir, 'token'), `${token}x`)
    const mismatch = await runRenewalSidecar(config(), fakeTime().deps)
    expect(mismatch.exitCode).toBe(exitCodes.FOREIGN_FILES)
    expect(mismatch.message).not.toContain(token)

    await rm(join(dir, 'token'))
    expect((await runRenewalSidecar(config(), fakeTime().deps)).exitCode).toBe(exitCodes.NO_TOKEN_FILES)
  })
})
