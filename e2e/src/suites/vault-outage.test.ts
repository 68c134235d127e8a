/**
 * @module
 * Vault sealed or unreachable while pods start: the controller answers a retryable
 * VC_VAULT_UNAVAILABLE, vault-init keeps asking, and once Vault is back the pod gets its token;
 * nothing minted on the way is left alive. Sealing and dropping connections need vault-dev's
 * hooks, so these cases are skipped against a real Vault.
 */
import { waitFor } from '@vault-controller/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ControllerProxy, startControllerProxy } from '../harness/controller-proxy.ts'
import { postToken, tokenRequestBody } from '../harness/controller-requests.ts'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import { e2eTargets, NEEDS_VAULT_DEV } from '../harness/e2e-targets.ts'
import type { VaultDevControl } from '../harness/vault-dev-control.ts'
import type { VaultInitRun } from '../harness/vault-init-process.ts'

let env: E2eEnvironment
let proxy: ControllerProxy

beforeAll(async () => {
  env = await startE2eEnvironment()
  proxy = await startControllerProxy(env.controller.url)
}, 30_000)

afterEach(async () => {
  await env.vaultDev?.unseal()
  await env.vaultDev?.clearFaults()
})

afterAll(async () => {
  await proxy?.close()
  await env?.close()
}, 30_000)

function vaultDev(): VaultDevControl {
  if (env.vaultDev === undefined) throw new Error('vault-dev hooks are not available against a real Vault')
  return env.vaultDev
}

/** Waits until vault-init logged that the controller asked it to retry with `code`. */
async function retriedWith(run: VaultInitRun, code: string): Promise<void> {
  await waitFor(() => run.stderrLines().some((line) => line.includes(`"code":"${code}"`)), {
    timeoutMs: 15_000,
    description: `vault-init retrying after ${code}`,
  })
}

describe.skipIf(!e2eTargets.testkitVault)(`Vault unavailable or sealed ${NEEDS_VAULT_DEV}`, () => {
  it('sealed: a retryable VC_VAULT_UNAVAILABLE, then the token once unsealed', {
    timeout: 40_000,
  }, async () => {
    const pod = await env.createPod({ namespace: 'e2e-vault-sealed', name: 'web-1', policies: 'web' })
    const before = await env.vault.countTokens()
    await vaultDev().seal()

    const direct = await postToken(env.controller.url, {
      bearer: await pod.identityToken(),
      body: tokenRequestBody(pod),
    })
    expect(direct.status).toBe(503)
    expect(direct.code).toBe('VC_VAULT_UNAVAILABLE')
    expect(Number(direct.retryAfter)).toBeGreaterThan(0)

    const run = await pod.startVaultInit()
    await retriedWith(run, 'VC_VAULT_UNAVAILABLE')
    await vaultDev().unseal()
    const result = await run.done
    expect(result.code, result.stderr).toBe(0)
    expect(await env.vault.countTokens()).toBe(before + 1)
    expect(await pod.issuance()).toMatchObject({ state: 'issued' })
  })

  it('unreachable (connections to the create path dropped): retryable, then the token', {
    timeout: 30_000,
  }, async () => {
    const pod = await env.createPod({ namespace: 'e2e-vault-down', name: 'web-1', policies: 'web' })
    const before = await env.vault.countTokens()
    const fault = await vaultDev().addFault({
      method: 'POST',
      pathPrefix: '/v1/auth/token/create',
      drop: true,
    })

    const run = await pod.startVaultInit()
    await retriedWith(run, 'VC_VAULT_UNAVAILABLE')
    const failed = await env.controller.waitForAudit(
      (line) => line.pod.namespace === pod.namespace && line.decision === 'failed',
    )
    expect(failed).toMatchObject({ code: 'VC_VAULT_UNAVAILABLE' })
    expect(failed.tokenAccessor).toBeUndefined()
    await vaultDev().removeFault(fault)

    const result = await run.done
    expect(result.code, result.stderr).toBe(0)
    expect(await env.vault.countTokens()).toBe(before + 1)
    expect(await pod.issuance()).toMatchObject({ state: 'issued' })
  })

  it('a failed delivery Vault cannot revoke is revoked before the next claim', {
    timeout: 30_000,
  }, async () => {
    const pod = await env.createPod({ namespace: 'e2e-vault-norevoke', name: 'web-1', policies: 'web' })
    const before = await env.vault.countTokens()
    const fault = await vaultDev().addFault({
      method: 'POST',
      pathPrefix: '/v1/auth/token/revoke-accessor',
      drop: true,
    })
    let attempts = 0
    proxy.handler = async (request, forward) => {
      attempts += 1
      const body = request.body as { callback: { port: number } }
      // The first delivery goes nowhere; its token cannot be revoked while the fault holds.
      return forward(
        attempts === 1 ? { ...request, body: { ...body, callback: { ...body.callback, port: 9 } } } : request,
      )
    }

    const run = await pod.startVaultInit({ controllerUrl: proxy.url })
    const failed = await env.controller.waitForAudit(
      (line) => line.pod.namespace === pod.namespace && line.decision === 'delivery_failed',
    )
    expect(failed).toMatchObject({ code: 'VC_CALLBACK_FAILED', revoked: false })
    // Still alive, and its accessors stay on the pod's failed record.
    expect(await env.vault.lookupAccessor(failed.tokenAccessor ?? '')).toBeDefined()
    await vaultDev().removeFault(fault)

    const result = await run.done
    expect(result.code, result.stderr).toBe(0)
    const revoked = await env.controller.waitForAudit(
      (line) => line.pod.namespace === pod.namespace && line.decision === 'revoked',
    )
    expect(revoked.tokenAccessor).toBe(failed.tokenAccessor)
    expect(await env.vault.lookupAccessor(failed.tokenAccessor ?? '')).toBeUndefined()
    expect(await env.vault.countTokens()).toBe(before + 1)
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.leaks()).toEqual([])
  })
})
