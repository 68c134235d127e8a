/**
 * @module
 * The legacy protocol through real processes: controllers with LEGACY_PROTOCOL=enabled, kube-dev,
 * Vault, and for each pod a client that behaves exactly like the original init container
 * (`harness/original-init.ts`: `POST /token?name&namespace`, a plain-HTTP listener on the pod's own
 * address, first-party unwrap, `secret.json`). Port 80 is used as in the original when this process
 * may bind it; otherwise LEGACY_CALLBACK_PORT moves the push to a high port (docs/migration.md).
 */
import { randomInt } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { LEGACY_CALLBACK_PORT, REVOKE_FINALIZER } from '@vault-controller/protocol'
import { waitFor } from '@vault-controller/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import {
  ORIGINAL_SECRET_FILE,
  type OriginalInitOptions,
  requestOriginalToken,
  startOriginalInit,
} from '../harness/original-init.ts'
import type { SimulatedPod } from '../harness/simulated-pod.ts'

/** Whether this process may listen on port 80 of a loopback address (root or NET_BIND_SERVICE). */
async function canBindPort80(): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen({ host: `127.${randomInt(16, 250)}.254.254`, port: LEGACY_CALLBACK_PORT }, () =>
      server.close(() => resolve(true)),
    )
  })
}

let env: E2eEnvironment
let callbackPort: number

beforeAll(async () => {
  callbackPort = (await canBindPort80()) ? LEGACY_CALLBACK_PORT : 18_080
  env = await startE2eEnvironment({
    controllerEnv: {
      LEGACY_PROTOCOL: 'enabled',
      LEGACY_CALLBACK_TIMEOUT: '3s',
      ...(callbackPort === LEGACY_CALLBACK_PORT ? {} : { LEGACY_CALLBACK_PORT: String(callbackPort) }),
    },
  })
}, 30_000)

afterAll(async () => {
  await env?.close()
}, 30_000)

/** The original init container for `pod`, bounded for the test. */
function originalInit(pod: SimulatedPod, options: Partial<OriginalInitOptions> = {}) {
  return startOriginalInit({
    podName: pod.name,
    podNamespace: pod.namespace,
    vaultAddr: env.vault.addr,
    controllerAddr: env.controller.url,
    listenAddress: pod.ip,
    listenPort: callbackPort,
    secretDir: pod.outputDir,
    retryIntervalMs: 200,
    fileWaitMs: 10_000,
    maxAttempts: 3,
    log: (line) => env.output.record(`original-init ${pod.ref}`, 'stderr', line),
    ...options,
  })
}

async function eventReasons(pod: SimulatedPod): Promise<string[]> {
  return (await env.kube.podEvents(pod.namespace, pod.uid)).map((event) => event.reason ?? '')
}

describe('legacy protocol: the original init container gets its token', () => {
  it('one token with the allowed policies, the original secret.json, records, finalizer, revoked with the pod', async () => {
    const pod = await env.createPod({ namespace: 'e2e-legacy-ok', name: 'web-1', policies: 'web', ttl: '2h' })
    const before = await env.vault.countTokens()

    const result = await (await originalInit(pod)).done
    expect(result.code).toBe(0)
    expect(result.attempts).toEqual([{ status: 202, body: '' }])
    expect(result.callbacks).toEqual([{ method: 'POST', path: '/', status: 200 }])

    // The file as the original wrote it: Vault's whole unwrap answer, a newline, 0666 minus the umask.
    const path = join(pod.outputDir, ORIGINAL_SECRET_FILE)
    const text = readFileSync(path, 'utf8')
    expect(text.endsWith('}\n')).toBe(true)
    const secret = JSON.parse(text) as {
      auth: {
        client_token: string
        accessor: string
        lease_duration: number
        metadata: Record<string, string>
      }
    }
    expect(statSync(path).mode & 0o777).toBe(0o666 & ~process.umask())
    env.output.addSecret(secret.auth.client_token)

    const token = await env.vault.lookupSelf(secret.auth.client_token)
    expect([...token.policies].sort()).toEqual(['default', 'web'])
    expect(token.orphan).toBe(true)
    expect(token.period).toBe(7200)
    expect(token.meta).toMatchObject({ pod_uid: pod.uid, pod_name: pod.name, namespace: pod.namespace })
    expect(await env.vault.countTokens()).toBe(before + 1)

    const record = await waitFor(async () => {
      const current = await pod.issuance()
      return current?.state === 'issued' ? current : undefined
    })
    expect(record).toMatchObject({ tokenAccessor: secret.auth.accessor, policies: ['web'], ttlSeconds: 7200 })
    expect((await pod.read())?.metadata?.finalizers).toContain(REVOKE_FINALIZER)
    expect(await eventReasons(pod)).toContain('VaultTokenIssued')
    const issued = await env.controller.waitForAudit(
      (line) => line.pod.namespace === pod.namespace && line.decision === 'issued',
    )
    expect(issued).toMatchObject({
      protocol: 'legacy',
      deliveryMode: 'legacy-callback',
      serviceAccount: 'web',
      tokenAccessor: secret.auth.accessor,
      pod: { uid: pod.uid },
    })

    // Revocation on deletion is the same as v1's: the finalizer holds the pod until it is done.
    await env.kube.deletePod(pod.namespace, pod.name, 0)
    await waitFor(async () => (await env.vault.lookupAccessor(secret.auth.accessor)) === undefined, {
      timeoutMs: 15_000,
      description: 'the legacy token to be revoked with its pod',
    })
  })

  it('a second request for the same pod is refused, in either protocol (one token per pod UID)', async () => {
    const pod = await env.createPod({ namespace: 'e2e-legacy-twice', name: 'web-1', policies: 'web' })
    expect((await (await originalInit(pod)).done).code).toBe(0)
    await waitFor(async () => (await pod.issuance())?.state === 'issued')
    const before = await env.vault.countTokens()

    const again = await requestOriginalToken(env.controller.url, pod.name, pod.namespace, { from: pod.ip })
    expect(again.status).toBe(409)
    expect(again.body).toMatch(/^VC_ALREADY_ISSUED: /)
    // In a directory of its own: vault-init would take the original's secret.json as its own and exit 0.
    const v1 = await pod.runVaultInit({ env: { VAULT_INIT_OUTPUT_DIR: env.runDir.makeDir('v1-out.') } })
    expect(v1.code).not.toBe(0)
    expect(v1.stderr).toContain('VC_ALREADY_ISSUED')
    expect(await env.vault.countTokens()).toBe(before)
  })
})

describe('legacy protocol: refusals mint nothing', () => {
  it('a policy outside the allow-list', async () => {
    const pod = await env.createPod({ namespace: 'e2e-legacy-deny', name: 'web-1', policies: 'web,admin' })
    const before = await env.vault.countTokens()
    const result = await (await originalInit(pod, { maxAttempts: 2 })).done
    expect(result.code).toBe(1)
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([403, 403])
    expect(result.attempts[0]?.body).toMatch(/^VC_POLICY_NOT_ALLOWED: /)
    expect(result.callbacks).toEqual([])
    expect(await env.vault.countTokens()).toBe(before)
    expect(await pod.issuance()).toBeUndefined()
    expect(await eventReasons(pod)).toContain('VaultTokenDenied')
    expect(
      await env.controller.waitForAudit(
        (line) => line.pod.namespace === pod.namespace && line.decision === 'denied',
      ),
    ).toMatchObject({ code: 'VC_POLICY_NOT_ALLOWED', protocol: 'legacy' })
  })

  it("a request that does not come from the pod's IP (LEGACY_CHECK_CALLER_IP, on by default)", async () => {
    const pod = await env.createPod({ namespace: 'e2e-legacy-stranger', name: 'web-1', policies: 'web' })
    const before = await env.vault.countTokens()
    const stranger = await env.allocateAddress()
    const answer = await requestOriginalToken(env.controller.url, pod.name, pod.namespace, { from: stranger })
    expect(answer.status).toBe(403)
    expect(answer.body).toMatch(/^VC_IDENTITY_MISMATCH: the request comes from /)
    expect(await env.vault.countTokens()).toBe(before)
    expect(await pod.issuance()).toBeUndefined()
    // The pod's own request still works.
    expect((await (await originalInit(pod, { maxAttempts: 1 })).done).code).toBe(0)
  })

  it('a hostNetwork pod', async () => {
    const pod = await env.createPod({
      namespace: 'e2e-legacy-hostnet',
      name: 'web-1',
      policies: 'web',
      hostNetwork: true,
    })
    const before = await env.vault.countTokens()
    const answer = await requestOriginalToken(env.controller.url, pod.name, pod.namespace, { from: pod.ip })
    expect(answer.body).toMatch(/^VC_HOST_NETWORK_POD: /)
    expect(answer.status).toBeGreaterThanOrEqual(400)
    expect(await env.vault.countTokens()).toBe(before)
    expect(await pod.issuance()).toBeUndefined()
  })

  it('a pod whose init containers have finished (port 80 may be the app now): nothing is pushed', async () => {
    const pod = await env.createPod({ namespace: 'e2e-legacy-done', name: 'web-1', policies: 'web' })
    await env.kubeDev.kubelet(pod.namespace, pod.name, { initContainers: 'succeeded', phase: 'Running' })
    const before = await env.vault.countTokens()
    // The listener stands for whatever holds the pod's port 80 now.
    const result = await (await originalInit(pod, { maxAttempts: 1 })).done
    expect(result.attempts[0]?.body).toMatch(/^VC_POD_NOT_INITIALIZING: /)
    expect(result.callbacks).toEqual([])
    expect(await env.vault.countTokens()).toBe(before)
  })
})

describe('legacy protocol: a failed push is revoked', () => {
  it('nothing listening on the pod: the token and its wrapping token are revoked, and a later request succeeds', async () => {
    const pod = await env.createPod({ namespace: 'e2e-legacy-nolisten', name: 'web-1', policies: 'web' })
    const before = await env.vault.countTokens()
    const answer = await requestOriginalToken(env.controller.url, pod.name, pod.namespace, { from: pod.ip })
    expect(answer).toEqual({ status: 202, body: '' })

    const failed = await env.controller.waitForAudit(
      (line) => line.pod.namespace === pod.namespace && line.decision === 'delivery_failed',
    )
    expect(failed).toMatchObject({ code: 'VC_CALLBACK_FAILED', revoked: true, protocol: 'legacy' })
    expect(await env.vault.lookupAccessor(failed.tokenAccessor ?? '')).toBeUndefined()
    expect(await env.vault.lookupAccessor(failed.wrappingAccessor ?? '')).toBeUndefined()
    expect(await env.vault.countTokens()).toBe(before)
    await waitFor(async () => (await pod.issuance())?.state === 'failed')
    expect(await eventReasons(pod)).toContain('VaultTokenDeliveryFailed')

    // The failed issuance allows a retry: the original init now gets exactly one live token.
    expect((await (await originalInit(pod)).done).code).toBe(0)
    expect(await env.vault.countTokens()).toBe(before + 1)
  })

  it('the init container answers 500 (its unwrap failed): revoked, no live token left', async () => {
    const pod = await env.createPod({ namespace: 'e2e-legacy-500', name: 'web-1', policies: 'web' })
    const before = await env.vault.countTokens()
    const result = await (
      await originalInit(pod, { vaultAddr: 'http://127.0.0.1:9', maxAttempts: 1, fileWaitMs: 3000 })
    ).done
    expect(result.attempts).toEqual([{ status: 202, body: '' }])
    expect(result.callbacks).toEqual([{ method: 'POST', path: '/', status: 500 }])
    const failed = await env.controller.waitForAudit(
      (line) => line.pod.namespace === pod.namespace && line.decision === 'delivery_failed',
    )
    expect(failed).toMatchObject({ revoked: true, protocol: 'legacy' })
    expect(failed.message).toMatch(/HTTP 500/)
    expect(await env.vault.lookupAccessor(failed.tokenAccessor ?? '')).toBeUndefined()
    expect(await env.vault.countTokens()).toBe(before)
  })
})

describe('legacy protocol disabled (the default)', () => {
  it('has no /token route: 404 to the original request', async () => {
    const disabled = await env.startController({ LEGACY_PROTOCOL: 'disabled' })
    const answer = await requestOriginalToken(disabled.url, 'web-1', 'e2e-legacy-off')
    expect(answer.status).toBe(404)
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller or init output', () => {
    expect(env.output.leaks()).toEqual([])
  })
})
