/**
 * @module
 * Revocation when the pod goes away (DESIGN §3 step 10), through real processes: pods get their
 * token from the controller through vault-init, then are deleted or finish, and the controller's
 * pod watch revokes the token by accessor, records `revoked` (audit line, pod Event) and removes
 * its finalizer. Also: a controller that was down catches up when it starts, a sealed Vault makes
 * the deletion wait, the watch survives dropped connections and 410 Expired, and a pod that is
 * not going away keeps its token. The controllers log in to Vault with their own service
 * account (Kubernetes auth, set up by `setup-vault`).
 */
import { readFileSync } from 'node:fs'
import { eventReasons, REVOKE_FINALIZER } from '@vault-controller/protocol'
import { waitFor } from '@vault-controller/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AuditLine } from '../harness/controller-process.ts'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import { e2eTargets, NEEDS_VAULT_DEV } from '../harness/e2e-targets.ts'
import type { SimulatedPod } from '../harness/simulated-pod.ts'
import { CONTROLLER_POLICY_NAME } from '../harness/vault-operator-setup.ts'

const WAIT = { timeoutMs: 15_000, intervalMs: 100 }

let env: E2eEnvironment
/** A pod that is never deleted: its token must outlive every case. */
let bystander: IssuedPod

interface IssuedPod {
  pod: SimulatedPod
  accessor: string
}

beforeAll(async () => {
  env = await startE2eEnvironment()
  bystander = await issuedPod('e2e-revocation-bystander', 'web-1')
  await env.kubeDev.kubelet(bystander.pod.namespace, bystander.pod.name, { containers: 'running' })
}, 60_000)

afterEach(async () => {
  await env.vaultDev?.unseal()
  await env.kubeDev.clearFaults()
  await env.kubeDev.setWatchHistory(1000)
})

afterAll(async () => {
  await env?.close()
}, 30_000)

/** A pod that got its token through vault-init, and that token's accessor. */
async function issuedPod(namespace: string, name: string): Promise<IssuedPod> {
  const pod = await env.createPod({ namespace, name, policies: 'web' })
  const result = await pod.runVaultInit()
  expect(result.code, result.stderr).toBe(0)
  const self = await env.vault.lookupSelf(readFileSync(pod.tokenPath, 'utf8'))
  expect((await pod.read())?.metadata?.finalizers).toContain(REVOKE_FINALIZER)
  return { pod, accessor: self.accessor }
}

async function alive(accessor: string): Promise<boolean> {
  return (await env.vault.lookupAccessor(accessor)) !== undefined
}

function auditOf(pod: SimulatedPod): AuditLine[] {
  return env.controllers.flatMap((controller) => controller.auditFor(pod.namespace, pod.name))
}

async function gone(pod: SimulatedPod): Promise<boolean> {
  return (await pod.read()) === undefined
}

async function holdsFinalizer(pod: SimulatedPod): Promise<boolean> {
  return ((await pod.read())?.metadata?.finalizers ?? []).includes(REVOKE_FINALIZER)
}

/** The token is dead, the pod's token file no longer works, one `revoked` audit line names it. */
async function expectRevoked({ pod, accessor }: IssuedPod): Promise<void> {
  await waitFor(async () => !(await alive(accessor)), { ...WAIT, description: `${pod.ref}: token revoked` })
  await expect(env.vault.lookupSelf(readFileSync(pod.tokenPath, 'utf8'))).rejects.toThrow(/403/)
  const revoked = await waitFor(
    () => {
      // An empty list is not "found": the audit line follows the revocation by a moment.
      const lines = auditOf(pod).filter((line) => line.decision === 'revoked')
      return lines.length > 0 ? lines : undefined
    },
    {
      ...WAIT,
      description: `${pod.ref}: revoked audit line`,
    },
  )
  expect(revoked.length).toBeGreaterThanOrEqual(1)
  expect(revoked[0]).toMatchObject({ pod: { uid: pod.uid }, tokenAccessor: accessor })
}

describe.skipIf(process.env.E2E_CONTROLLER_VAULT_AUTH === 'token')(
  "the controller's own Vault identity",
  () => {
    it('logged in with its service account through Kubernetes auth: its policy only, no root', async () => {
      const logins = await env.vault.liveTokens('auth/kubernetes/login')
      expect(logins.length).toBeGreaterThanOrEqual(1)
      for (const login of logins) {
        expect([...login.policies].sort()).toEqual(['default', CONTROLLER_POLICY_NAME])
        expect(login.meta).toMatchObject({
          service_account_namespace: 'vault-system',
          service_account_name: 'vault-controller',
        })
      }
      expect(env.vaultSetup.auth).toBe('kubernetes')
    })
  },
)

describe('revocation when the pod goes away', () => {
  it('a deleted pod: token revoked, audit line and Event, finalizer removed, then the pod is gone', {
    timeout: 40_000,
  }, async () => {
    const issued = await issuedPod('e2e-revocation-delete', 'web-1')
    const { pod } = issued
    await env.kube.deletePod(pod.namespace, pod.name)
    await expectRevoked(issued)
    await waitFor(async () => !(await holdsFinalizer(pod)), { ...WAIT, description: 'finalizer removed' })
    // Graceful deletion: the pod still exists (terminating) until the kubelet's final delete.
    expect((await pod.read())?.metadata?.deletionTimestamp).toBeDefined()
    expect(await pod.issuance()).toMatchObject({ state: 'revoked', tokenAccessor: issued.accessor })
    const events = await waitFor(
      async () => {
        const found = (await env.kube.podEvents(pod.namespace, pod.uid)).filter(
          (event) => event.reason === eventReasons.revoked,
        )
        return found.length > 0 && found
      },
      { ...WAIT, description: 'VaultTokenRevoked Event' },
    )
    expect(events).toHaveLength(1)
    expect(events[0]?.message).toContain(issued.accessor)
    await env.kubeDev.terminate(pod.namespace, pod.name)
    expect(await gone(pod)).toBe(true)
  })

  it.each(['succeeded', 'failed'] as const)(
    'a pod whose containers %s is revoked at once, while it still exists',
    {
      timeout: 40_000,
    },
    async (outcome) => {
      const issued = await issuedPod(`e2e-revocation-${outcome}`, 'job-1')
      const { pod } = issued
      await env.kubeDev.kubelet(pod.namespace, pod.name, { containers: outcome })
      await expectRevoked(issued)
      await waitFor(async () => !(await holdsFinalizer(pod)), { ...WAIT, description: 'finalizer removed' })
      const live = await pod.read()
      expect(live?.metadata?.deletionTimestamp).toBeUndefined()
      expect(live?.status?.phase).toBe(outcome === 'succeeded' ? 'Succeeded' : 'Failed')
      // Deleting it later revokes nothing more.
      await env.kube.deletePod(pod.namespace, pod.name, 0)
      await waitFor(() => gone(pod), { ...WAIT, description: 'pod gone' })
      expect(auditOf(pod).filter((line) => line.decision === 'revoked')).toHaveLength(1)
    },
  )
})

describe('the pod watch', () => {
  it('survives connections reset under it', { timeout: 40_000 }, async () => {
    const issued = await issuedPod('e2e-revocation-reset', 'web-1')
    const before = await env.kubeDev.requestCounts()
    await env.kubeDev.dropWatches('reset')
    await env.kube.deletePod(issued.pod.namespace, issued.pod.name, 0)
    await expectRevoked(issued)
    await waitFor(() => gone(issued.pod), { ...WAIT, description: 'pod gone' })
    const after = await env.kubeDev.requestCounts()
    expect(after['GET /api/v1/pods?watch'] ?? 0).toBeGreaterThan(before['GET /api/v1/pods?watch'] ?? 0)
  })

  it('survives 410 Expired: it re-lists and revokes what happened meanwhile', {
    timeout: 60_000,
  }, async () => {
    const issued = await issuedPod('e2e-revocation-expired', 'web-1')
    const churn = await env.createPod({ namespace: 'e2e-revocation-expired', name: 'churn', policies: 'web' })
    // The watch ends (as at a server timeout); its re-watch from the last resourceVersion is held
    // back while the deletion happens and the history it needs is evicted: it gets 410 Expired.
    await env.kubeDev.setWatchHistory(1)
    await env.kubeDev.addFault({ method: 'GET', pathPrefix: '/api/v1/pods', latencyMs: 3000, times: 1 })
    const listsBefore = (await env.kubeDev.requestCounts())['GET /api/v1/pods'] ?? 0
    await env.kubeDev.dropWatches('end')
    await env.kube.deletePod(issued.pod.namespace, issued.pod.name, 0)
    for (const phase of ['Pending', 'Running', 'Pending', 'Running'])
      await env.kubeDev.kubelet(churn.namespace, churn.name, { phase })
    await expectRevoked(issued)
    await waitFor(() => gone(issued.pod), { ...WAIT, description: 'pod gone' })
    // The watch from the old resourceVersion got 410, and the informer listed again.
    expect((await env.kubeDev.requestCounts())['GET /api/v1/pods'] ?? 0).toBeGreaterThan(listsBefore)
  })
})

describe.skipIf(!e2eTargets.testkitVault)(`Vault sealed during deletion ${NEEDS_VAULT_DEV}`, () => {
  it('the deletion waits on the finalizer and the token is revoked once Vault is unsealed', {
    timeout: 60_000,
  }, async () => {
    const issued = await issuedPod('e2e-revocation-sealed', 'web-1')
    const { pod } = issued
    await env.vaultDev?.seal()
    await env.kube.deletePod(pod.namespace, pod.name, 0)
    const delayed = await waitFor(
      async () =>
        (await env.kube.podEvents(pod.namespace, pod.uid)).find(
          (event) => event.reason === eventReasons.revocationDelayed,
        ),
      { ...WAIT, description: 'VaultTokenRevocationDelayed Event' },
    )
    expect(delayed.type).toBe('Warning')
    expect(await holdsFinalizer(pod)).toBe(true)
    expect(auditOf(pod).filter((line) => line.decision === 'revoked')).toEqual([])
    await env.vaultDev?.unseal()
    await waitFor(() => gone(pod), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: 'pod gone after unseal',
    })
    await expectRevoked(issued)
  })
})

describe('catching up', () => {
  it('a controller that was down while pods were deleted revokes them when it starts', {
    timeout: 60_000,
  }, async () => {
    const pods = await Promise.all(
      ['web-1', 'web-2', 'web-3'].map((name) => issuedPod('e2e-revocation-catch-up', name)),
    )
    for (const controller of env.controllers) await controller.stop()
    for (const { pod } of pods) await env.kube.deletePod(pod.namespace, pod.name, 0)
    for (const { pod, accessor } of pods) {
      // Nobody revoked it: the pod waits on the finalizer, terminating, its token alive.
      expect((await pod.read())?.metadata?.deletionTimestamp).toBeDefined()
      expect(await holdsFinalizer(pod)).toBe(true)
      expect(await alive(accessor)).toBe(true)
    }
    await env.startController()
    for (const issued of pods) {
      await expectRevoked(issued)
      await waitFor(() => gone(issued.pod), { ...WAIT, description: `${issued.pod.ref} gone` })
    }
  })
})

describe('a pod that is not going away', () => {
  it('keeps its token and its finalizer through all of the above', async () => {
    expect(await alive(bystander.accessor)).toBe(true)
    expect(await holdsFinalizer(bystander.pod)).toBe(true)
    expect(await bystander.pod.issuance()).toMatchObject({
      state: 'issued',
      tokenAccessor: bystander.accessor,
    })
    expect(auditOf(bystander.pod).map((line) => line.decision)).toEqual(['issued'])
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller, setup-vault or vault-init output', () => {
    expect(env.output.leaks()).toEqual([])
    expect(env.output.lines('setup-vault').length).toBeGreaterThan(0)
  })
})
