/**
 * @module
 * The renewal sidecar through real processes: a pod gets its token from vault-init (the init
 * mode), then the same bundle runs as `vault-init sidecar` against the pod's output directory,
 * as the native sidecar would. The pods ask for a 4-second period, so the token would be dead
 * within seconds without it: the token outlives several periods (Vault's own lookup says so),
 * `secret.json` follows the renewals, SIGTERM stops it at once with 0, and revoking the token
 * (as the operator or the controller would) makes it exit 8.
 */
import { readFileSync, statSync } from 'node:fs'
import { waitFor } from '@vault-controller/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import type { SimulatedPod } from '../harness/simulated-pod.ts'
import { runVaultInitSidecar, type VaultInitRun } from '../harness/vault-init-process.ts'

const PERIOD_SECONDS = 4

let env: E2eEnvironment

beforeAll(async () => {
  env = await startE2eEnvironment()
}, 30_000)

afterAll(async () => {
  await env?.close()
}, 30_000)

interface SecretJson {
  request_id: string
  auth: { client_token: string; accessor: string; lease_duration: number; metadata: Record<string, string> }
}

const readSecret = (pod: SimulatedPod) => JSON.parse(readFileSync(pod.secretPath, 'utf8')) as SecretJson

/** A pod with a short period whose init container has run. */
async function podWithToken(name: string): Promise<{ pod: SimulatedPod; issued: SecretJson }> {
  const pod = await env.createPod({
    namespace: 'e2e-renewal',
    name,
    policies: 'web',
    ttl: `${PERIOD_SECONDS}s`,
  })
  const init = await pod.runVaultInit()
  expect(init.code, init.stderr).toBe(0)
  return { pod, issued: readSecret(pod) }
}

function sidecar(pod: SimulatedPod): VaultInitRun {
  return runVaultInitSidecar({ pod, vaultAddr: env.vault.addr, output: env.output })
}

const logged = (run: VaultInitRun, msg: string) =>
  run
    .stderrLines()
    .filter((line) => line.startsWith('{') && (JSON.parse(line) as { msg?: string }).msg === msg)

describe('renewal sidecar', () => {
  it('keeps a 4s token alive for several periods, rewrites secret.json, and stops with 0 on SIGTERM', async () => {
    const { pod, issued } = await podWithToken('web-1')
    const issuedAt = Date.now()
    const run = sidecar(pod)

    // Renewed at once, then about every 2 s; by the fourth renewal the first period is long over.
    await waitFor(() => logged(run, 'token renewed').length >= 4, { timeoutMs: 15_000 })
    expect(Date.now() - issuedAt).toBeGreaterThan(PERIOD_SECONDS * 1000)
    const live = await env.vault.lookupAccessor(issued.auth.accessor)
    expect(live?.period).toBe(PERIOD_SECONDS)
    expect(live?.ttl).toBeGreaterThan(0)
    expect(live?.ttl).toBeLessThanOrEqual(PERIOD_SECONDS)
    expect(typeof live?.last_renewal).toBe('string')

    // secret.json follows the renewals (Vault's shape, same mode); the token file never changes.
    const renewed = readSecret(pod)
    expect(renewed.request_id).not.toBe(issued.request_id)
    expect(renewed.auth).toMatchObject({
      client_token: issued.auth.client_token,
      accessor: issued.auth.accessor,
      lease_duration: PERIOD_SECONDS,
      metadata: issued.auth.metadata,
    })
    expect(statSync(pod.secretPath).mode & 0o777).toBe(0o600)
    expect(readFileSync(pod.tokenPath, 'utf8')).toBe(issued.auth.client_token)

    const stoppedAt = Date.now()
    run.kill()
    const result = await run.done
    expect(result.code, result.stderr).toBe(0)
    expect(Date.now() - stoppedAt).toBeLessThan(2_000)
    expect(logged(run, 'stopped by SIGTERM')).toHaveLength(1)
  }, 30_000)

  it('exits 8 (TOKEN_REVOKED) soon after the token is revoked in Vault', async () => {
    const { pod, issued } = await podWithToken('web-2')
    const run = sidecar(pod)
    await waitFor(() => logged(run, 'token renewed').length >= 1, { timeoutMs: 10_000 })

    await env.vault.revokeAccessor(issued.auth.accessor)
    const result = await run.done
    expect(result.code, result.stderr).toBe(8)
    expect(result.stderr).toContain(`vault-init: TOKEN_REVOKED: Vault renew-self answered 403`)
    expect(result.stderr).toContain(`accessor ${issued.auth.accessor}) was revoked or is invalid`)
  }, 30_000)

  it('refuses to start (exit 7) before the init container wrote the files', async () => {
    const pod = await env.createPod({ namespace: 'e2e-renewal', name: 'web-3', policies: 'web', ttl: '4s' })
    const result = await sidecar(pod).done
    expect(result.code).toBe(7)
    expect(result.stderr).toContain('the vault-init init container must run (and succeed) before the sidecar')
  })

  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.size).toBeGreaterThan(0)
    expect(env.output.leaks()).toEqual([])
  })
})
