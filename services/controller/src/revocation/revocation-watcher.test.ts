/**
 * Revocation when the pod goes away, end to end: the real watcher with its real clients
 * (client-node informer, node-vault) against in-process kube-dev and vault-dev. Pods are put in
 * the state an issuance leaves them in (a real wrapped token minted in Vault, the record, the
 * finalizer and the label written by `issuancePatch`), then deleted or finished. No module of
 * ours is mocked; no sleeps: every wait is on a condition.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ISSUANCE_ANNOTATION,
  ISSUANCE_LABEL,
  ISSUANCE_LABEL_VALUE,
  type IssuanceRecord,
  issuancePatch,
  REVOKE_FINALIZER,
  readIssuance,
} from '@vault-controller/protocol'
import {
  type Clock,
  type KubeDev,
  offsetClock,
  startKubeDev,
  startVaultDev,
  type VaultDev,
  waitFor,
} from '@vault-controller/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.ts'
import { createAuditLog } from '../audit/audit-log.ts'
import { loadConfig } from '../config.ts'
import { createDeps } from '../create-deps.ts'
import { kubeConfigFor } from '../kube/kube-client.ts'
import { createMetrics, type Metrics } from '../metrics/metrics.ts'
import type { Readiness } from '../routes/health.ts'
import {
  type RevocationWatcher,
  type RevocationWatcherSettings,
  revocationSettingsOf,
  runRevocationWatcherWith,
  startRevocationWatcher,
} from './revocation-watcher.ts'

/** Answers of the test servers, read field by field in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from kube-dev and vault-dev; assertions check its shape
type Json = any

const NAMESPACE = 'apps'
const WAIT = { timeoutMs: 8000 }

const CONTROLLER_POLICY = `
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
`

let kube: KubeDev
let vault: VaultDev
let workDir: string

async function call(
  base: string,
  headers: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Json) }
}
const vaultCall = (method: string, path: string, body?: unknown) =>
  call(vault.addr, { 'x-vault-token': vault.rootToken }, method, `/v1/${path}`, body)
const kubeCall = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
  call(
    kube.server,
    { authorization: `Bearer ${kube.token}`, 'content-type': contentType },
    method,
    path,
    body,
  )
const podPath = (name: string) => `/api/v1/namespaces/${NAMESPACE}/pods/${name}`

beforeAll(async () => {
  kube = await startKubeDev({ log: () => {} })
  vault = await startVaultDev({ rootToken: 'root' })
  await kube.createNamespace(NAMESPACE)
  expect((await vaultCall('PUT', 'sys/policies/acl/controller', { policy: CONTROLLER_POLICY })).status).toBe(
    204,
  )
  const controllerToken = await vaultCall('POST', 'auth/token/create-orphan', { policies: ['controller'] })
  workDir = mkdtempSync(join(tmpdir(), 'revocation-test-'))
  writeFileSync(join(workDir, 'vault-token'), controllerToken.body.auth.client_token)
  writeFileSync(join(workDir, 'allow-list.yaml'), 'rules: []\n')
})

afterAll(async () => {
  await kube?.close()
  await vault?.close()
})

// ---------------------------------------------------------------------------------------------
// The watcher under test (a "replica")

interface Replica {
  watcher: RevocationWatcher
  audit: Json[]
  logs: Json[]
  metrics: Metrics
  close(): Promise<void>
}

const replicas: Replica[] = []

function configFor(settings: Record<string, string> = {}) {
  return loadConfig({
    VAULT_ADDR: vault.addr,
    VAULT_TOKEN_FILE: join(workDir, 'vault-token'),
    VAULT_TOKEN_ROLE: 'pod-tokens',
    ALLOW_LIST_FILE: join(workDir, 'allow-list.yaml'),
    CONTROLLER_ID: 'controller-test',
    ...settings,
  })
}

async function startReplica(
  settings: Partial<RevocationWatcherSettings> = {},
  clock?: Clock,
): Promise<Replica> {
  const config = configFor()
  const created = createDeps(config, { kubeConfig: kubeConfigFor(kube.server, kube.token) })
  const audit: Json[] = []
  const logs: Json[] = []
  const log = (level: string) => (object: object, message: string) => logs.push({ level, ...object, message })
  const metrics = createMetrics()
  const watcher = startRevocationWatcher(
    {
      kube: created.kube,
      vault: created.deps.vault,
      audit: createAuditLog({
        write: (line) => audit.push(JSON.parse(line)),
        controllerId: 'controller-test',
      }),
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      metrics,
      ...(clock === undefined ? {} : { clock }),
    },
    {
      ...revocationSettingsOf(config),
      retryMinDelayMs: 20,
      retryMaxDelayMs: 100,
      watchRestartMinDelayMs: 20,
      watchRestartMaxDelayMs: 100,
      ...settings,
    },
  )
  const replica: Replica = {
    watcher,
    audit,
    logs,
    metrics,
    async close() {
      await watcher.stop()
      await created.close()
    },
  }
  replicas.push(replica)
  await waitFor(() => watcher.synced(), { ...WAIT, description: 'the first list' })
  return replica
}

afterEach(async () => {
  for (const replica of replicas.splice(0)) await replica.close()
  kube.stats.reset()
  kube.faults.clear()
  vault.faults.clear()
  await kubeCall('PUT', '/__testkit/config', { watchHistory: 1000 })
})

// ---------------------------------------------------------------------------------------------
// Pods in the state an issuance leaves them in

interface Minted {
  wrappingAccessor: string
  tokenAccessor: string
}

/** A real wrapped, orphan, periodic token for a pod, with the metadata the controller gives it. */
async function mintWrapped(pod: { namespace: string; uid: string }): Promise<Minted> {
  const response = await fetch(`${vault.addr}/v1/auth/token/create-orphan`, {
    method: 'POST',
    headers: {
      'x-vault-token': vault.rootToken,
      'x-vault-wrap-ttl': '60s',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      policies: ['default'],
      period: '1h',
      meta: { namespace: pod.namespace, pod_uid: pod.uid },
    }),
  })
  const body = (await response.json()) as Json
  return { wrappingAccessor: body.wrap_info.accessor, tokenAccessor: body.wrap_info.wrapped_accessor }
}

async function accessorAlive(accessor: string): Promise<boolean> {
  const answer = await vaultCall('POST', 'auth/token/lookup-accessor', { accessor })
  if (answer.status === 200) return true
  expect(answer.body.errors[0]).toContain('invalid accessor')
  return false
}

type RecordShape = 'issued' | 'in-progress' | 'failed' | 'in-progress-empty' | 'in-progress-live'

function recordOf(state: RecordShape, minted: Minted) {
  const common = {
    v: 1 as const,
    requestId: `req-${randomUUID()}`,
    controller: 'controller-0',
    at: new Date().toISOString(),
  }
  const claimExpiresAt = new Date(Date.now() + 60_000).toISOString()
  const records: Record<typeof state, IssuanceRecord> = {
    issued: { ...common, state: 'issued', ...minted, policies: ['default'], ttlSeconds: 3600 },
    'in-progress': { ...common, state: 'in-progress', claimExpiresAt, ...minted },
    failed: { ...common, state: 'failed', reason: 'VC_CALLBACK_FAILED', ...minted },
    'in-progress-empty': {
      ...common,
      state: 'in-progress',
      claimExpiresAt: new Date(Date.now() - 1000).toISOString(),
    },
    'in-progress-live': { ...common, state: 'in-progress', claimExpiresAt },
  }
  return records[state]
}

interface PodOptions {
  state?: RecordShape
  label?: boolean
  finalizer?: boolean
  otherFinalizers?: string[]
  annotation?: string
}

/** Creates a scheduled pod and writes an issuance on it, as the controller's claim does. */
async function issuedPod(name: string, options: PodOptions = {}) {
  const created = await kubeCall('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, {
    metadata: {
      name,
      ...(options.otherFinalizers === undefined ? {} : { finalizers: options.otherFinalizers }),
    },
    spec: { nodeName: 'worker-1', containers: [{ name: 'app', image: 'busybox:1' }] },
  })
  expect(created.status).toBe(201)
  const minted = await mintWrapped({ namespace: NAMESPACE, uid: created.body.metadata.uid as string })
  const record = recordOf(options.state ?? 'issued', minted)
  const patch = issuancePatch({
    resourceVersion: created.body.metadata.resourceVersion,
    finalizers: created.body.metadata.finalizers,
    record,
  }) as Json
  if (options.label === false) delete patch.metadata.labels
  if (options.finalizer === false) patch.metadata.finalizers = options.otherFinalizers ?? []
  if (options.annotation !== undefined) patch.metadata.annotations[ISSUANCE_ANNOTATION] = options.annotation
  const patched = await kubeCall('PATCH', podPath(name), patch, 'application/merge-patch+json')
  expect(patched.status).toBe(200)
  return { uid: created.body.metadata.uid as string, minted, record }
}

async function readPod(name: string): Promise<Json | undefined> {
  const answer = await kubeCall('GET', podPath(name))
  return answer.status === 404 ? undefined : answer.body
}

async function deletePod(name: string, gracePeriodSeconds?: number) {
  const query = gracePeriodSeconds === undefined ? '' : `?gracePeriodSeconds=${gracePeriodSeconds}`
  expect((await kubeCall('DELETE', `${podPath(name)}${query}`)).status).toBe(200)
}

async function eventsOf(name: string): Promise<Json[]> {
  const answer = await kubeCall(
    'GET',
    `/api/v1/namespaces/${NAMESPACE}/events?fieldSelector=involvedObject.name=${name}`,
  )
  return answer.body.items
}

/** How often kube-dev served the cluster-wide pod list and watch. */
function listsAndWatches() {
  const byRoute = kube.stats.snapshot().byRoute
  return { lists: byRoute['GET /api/v1/pods'] ?? 0, watches: byRoute['GET /api/v1/pods?watch'] ?? 0 }
}

const ours = (pod: Json) => ((pod?.metadata?.finalizers ?? []) as string[]).includes(REVOKE_FINALIZER)
const errorsIn = (replica: Replica) => replica.logs.filter((line) => line.level === 'error')

// ---------------------------------------------------------------------------------------------

describe('revocation when the pod goes away', () => {
  it('graceful deletion: revokes by accessor, records it, removes only the finalizer, then the pod goes', async () => {
    const replica = await startReplica()
    const { uid, minted, record } = await issuedPod('graceful')
    expect((await readPod('graceful')).metadata.labels).toEqual({ [ISSUANCE_LABEL]: ISSUANCE_LABEL_VALUE })
    await deletePod('graceful')

    await waitFor(async () => !ours(await readPod('graceful')), { ...WAIT, description: 'finalizer removed' })
    expect(await accessorAlive(minted.tokenAccessor)).toBe(false)
    const pod = await readPod('graceful')
    expect(pod.metadata.deletionTimestamp).toBeDefined()
    expect(pod.metadata.labels?.[ISSUANCE_LABEL]).toBeUndefined()
    expect(readIssuance(pod.metadata.annotations)).toMatchObject({
      kind: 'recorded',
      record: { state: 'revoked', requestId: record.requestId, tokenAccessor: minted.tokenAccessor },
    })
    expect(replica.audit).toEqual([
      expect.objectContaining({
        decision: 'revoked',
        requestId: record.requestId,
        pod: { namespace: NAMESPACE, name: 'graceful', uid },
        policies: ['default'],
        tokenAccessor: minted.tokenAccessor,
        wrappingAccessor: minted.wrappingAccessor,
      }),
    ])
    const events = await waitFor(async () => {
      const found = (await eventsOf('graceful')).filter((event) => event.reason === 'VaultTokenRevoked')
      return found.length > 0 && found
    }, WAIT)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'Normal', involvedObject: { uid } })
    expect(events[0].message).toContain(minted.tokenAccessor)

    // The kubelet's final delete now removes it.
    expect((await kubeCall('POST', `/__testkit/kubelet/${NAMESPACE}/graceful/terminate`)).status).toBe(204)
    expect(await readPod('graceful')).toBeUndefined()
    await waitFor(
      () => replica.metrics.registry.getSingleMetricAsString('vault_controller_revocations_total'),
      WAIT,
    )
    expect(
      await replica.metrics.registry.getSingleMetricAsString('vault_controller_revocations_total'),
    ).toContain('outcome="revoked"} 1')
    expect(errorsIn(replica)).toEqual([])
  })

  it('grace 0: the pod is gone once its token is revoked; other finalizers are kept', async () => {
    const replica = await startReplica()
    const plain = await issuedPod('grace-zero')
    const shared = await issuedPod('shared', { otherFinalizers: ['example.com/other'] })
    await deletePod('grace-zero', 0)
    await deletePod('shared', 0)

    await waitFor(async () => (await readPod('grace-zero')) === undefined, {
      ...WAIT,
      description: 'pod gone',
    })
    expect(await accessorAlive(plain.minted.tokenAccessor)).toBe(false)
    await waitFor(async () => !ours(await readPod('shared')), WAIT)
    const pod = await readPod('shared')
    expect(pod.metadata.finalizers).toEqual(['example.com/other'])
    expect(await accessorAlive(shared.minted.tokenAccessor)).toBe(false)
    await waitFor(() => replica.audit.length === 2, WAIT)
    await kubeCall(
      'PATCH',
      podPath('shared'),
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    )
  })

  it.each(['Succeeded', 'Failed'])('a %s pod is revoked at once and keeps no finalizer', async (phase) => {
    const replica = await startReplica()
    const name = `done-${phase.toLowerCase()}`
    const { minted } = await issuedPod(name)
    expect((await kubeCall('POST', `/__testkit/kubelet/${NAMESPACE}/${name}`, { phase })).status).toBe(204)

    await waitFor(async () => !ours(await readPod(name)), WAIT)
    expect(await accessorAlive(minted.tokenAccessor)).toBe(false)
    const pod = await readPod(name)
    expect(pod.metadata.deletionTimestamp).toBeUndefined()
    expect(readIssuance(pod.metadata.annotations)).toMatchObject({ record: { state: 'revoked' } })
    expect(replica.audit.map((line) => line.decision)).toEqual(['revoked'])
  })

  it.each([
    ['in-progress', 'with accessors (crashed mid-issuance): both are revoked', 'revoked'],
    ['failed', 'with accessors: both are revoked again, harmlessly', 'revoked'],
    ['in-progress-empty', 'without accessors, claim expired: nothing to revoke', 'nothing_to_revoke'],
  ] as const)('an %s record %s', async (state, _what, outcome) => {
    const replica = await startReplica()
    const name = `record-${state}`
    const { minted } = await issuedPod(name, { state })
    await deletePod(name, 0)
    await waitFor(async () => (await readPod(name)) === undefined, WAIT)
    if (outcome === 'revoked') {
      expect(await accessorAlive(minted.tokenAccessor)).toBe(false)
      expect(await accessorAlive(minted.wrappingAccessor)).toBe(false)
      expect(replica.audit.map((line) => line.decision)).toEqual(['revoked'])
    } else {
      // Minted here only to have a token the record does not name: it is none of our business.
      expect(await accessorAlive(minted.tokenAccessor)).toBe(true)
      expect(replica.audit).toEqual([])
    }
    expect(
      await replica.metrics.registry.getSingleMetricAsString('vault_controller_revocations_total'),
    ).toContain(`outcome="${outcome}"} 1`)
  })

  it('waits for a live claim without accessors (a request may be minting), then releases the pod', async () => {
    const clock = offsetClock()
    const replica = await startReplica({}, clock)
    await issuedPod('minting', { state: 'in-progress-live' })
    await deletePod('minting', 0)
    await waitFor(() => replica.logs.some((line) => line.message.includes('live claim')), WAIT)
    expect(ours(await readPod('minting'))).toBe(true)

    clock.advance(61_000)
    await waitFor(async () => (await readPod('minting')) === undefined, WAIT)
    expect(replica.audit).toEqual([])
    expect(
      await replica.metrics.registry.getSingleMetricAsString('vault_controller_revocations_total'),
    ).toContain('outcome="nothing_to_revoke"} 1')
  })

  it('never touches pods that are not ours or not going away', async () => {
    const replica = await startReplica()
    const running = await issuedPod('running')
    expect(
      (await kubeCall('POST', `/__testkit/kubelet/${NAMESPACE}/running`, { phase: 'Running' })).status,
    ).toBe(204)
    const unlabelled = await issuedPod('unlabelled', { label: false })
    const noFinalizer = await issuedPod('no-finalizer', { finalizer: false })
    await deletePod('unlabelled')
    await deletePod('no-finalizer')
    // A pod of ours deleted after them: once it is done, the watch has seen the others.
    const control = await issuedPod('control')
    await deletePod('control', 0)
    await waitFor(async () => (await readPod('control')) === undefined, WAIT)
    expect(await accessorAlive(control.minted.tokenAccessor)).toBe(false)

    for (const pod of [running, unlabelled, noFinalizer])
      expect(await accessorAlive(pod.minted.tokenAccessor)).toBe(true)
    expect(ours(await readPod('running'))).toBe(true)
    expect(ours(await readPod('unlabelled'))).toBe(true)
    expect(replica.audit.map((line) => line.pod.name)).toEqual(['control'])
    await kubeCall(
      'PATCH',
      podPath('unlabelled'),
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    )
  })

  it('Vault down: retries with backoff, says so on the pod, then revokes', async () => {
    vault.faults.add({ method: 'POST', pathPrefix: '/v1/auth/token/revoke-accessor', status: 503, times: 3 })
    const replica = await startReplica()
    const { minted } = await issuedPod('vault-down')
    await deletePod('vault-down', 0)

    await waitFor(async () => (await readPod('vault-down')) === undefined, WAIT)
    expect(await accessorAlive(minted.tokenAccessor)).toBe(false)
    expect(replica.audit.map((line) => line.decision)).toEqual(['revoked'])
    expect(
      await replica.metrics.registry.getSingleMetricAsString('vault_controller_revocation_retries_total'),
    ).toMatch(/ 3$/m)
    const delayed = (await eventsOf('vault-down')).filter(
      (event) => event.reason === 'VaultTokenRevocationDelayed',
    )
    expect(delayed).toHaveLength(1)
    expect(delayed[0].type).toBe('Warning')
    expect(errorsIn(replica)).toEqual([])
  })

  it('gives up after the bound: the finalizer goes, loudly, naming the accessor', async () => {
    vault.faults.add({ method: 'POST', pathPrefix: '/v1/auth/token/revoke-accessor', status: 503 })
    const replica = await startReplica({ giveUpAfterMs: 300 })
    const { minted, record } = await issuedPod('give-up')
    await deletePod('give-up', 0)

    await waitFor(async () => (await readPod('give-up')) === undefined, WAIT)
    vault.faults.clear()
    expect(await accessorAlive(minted.tokenAccessor)).toBe(true)
    expect(replica.audit).toEqual([
      expect.objectContaining({
        decision: 'revoke_failed',
        code: 'VC_VAULT_UNAVAILABLE',
        requestId: record.requestId,
        tokenAccessor: minted.tokenAccessor,
      }),
    ])
    const failed = await waitFor(async () => {
      const found = (await eventsOf('give-up')).filter(
        (event) => event.reason === 'VaultTokenRevocationFailed',
      )
      return found.length > 0 && found
    }, WAIT)
    expect(failed[0].type).toBe('Warning')
    expect(failed[0].message).toContain(`accessor=${minted.tokenAccessor}`)
    expect(errorsIn(replica).map((line) => line.message)).toEqual([
      expect.stringContaining('TOKEN NOT REVOKED'),
    ])
  })

  it('an unreadable record is not guessed at: the finalizer stays until the bound, then goes loudly', async () => {
    const replica = await startReplica({ giveUpAfterMs: 800 })
    await issuedPod('corrupt', { annotation: '{not json' })
    await deletePod('corrupt', 0)
    await waitFor(
      () =>
        replica.metrics.registry
          .getSingleMetricAsString('vault_controller_revocation_retries_total')
          .then((text) => !/ 0$/m.test(text)),
      WAIT,
    )
    expect(ours(await readPod('corrupt'))).toBe(true)

    await waitFor(async () => (await readPod('corrupt')) === undefined, WAIT)
    expect(replica.audit).toEqual([
      expect.objectContaining({ decision: 'revoke_failed', code: 'VC_ISSUANCE_RECORD_INVALID' }),
    ])
  })

  it('catches up at start with deletions it missed', async () => {
    const missed = [await issuedPod('missed-1'), await issuedPod('missed-2')]
    await deletePod('missed-1')
    await deletePod('missed-2', 0)
    const replica = await startReplica()
    await waitFor(() => replica.audit.length === 2, WAIT)
    for (const pod of missed) expect(await accessorAlive(pod.minted.tokenAccessor)).toBe(false)
    expect(await readPod('missed-2')).toBeUndefined()
    expect(ours(await readPod('missed-1'))).toBe(false)
  })

  it('survives dropped watch connections', async () => {
    const replica = await startReplica()
    for (const name of ['after-drop-1', 'after-drop-2']) {
      expect((await kubeCall('POST', '/__testkit/watches/drop')).status).toBe(204)
      const { minted } = await issuedPod(name)
      await deletePod(name, 0)
      await waitFor(async () => (await readPod(name)) === undefined, WAIT)
      expect(await accessorAlive(minted.tokenAccessor)).toBe(false)
    }
    expect(replica.audit).toHaveLength(2)
    expect(listsAndWatches().watches).toBeGreaterThanOrEqual(3)
  })

  it('restarts the watch after an error the informer stops on, and retries Kubernetes failures', async () => {
    const replica = await startReplica()
    kube.faults.add({ method: 'GET', pathPrefix: '/api/v1/pods', status: 500, times: 2 })
    expect((await kubeCall('POST', '/__testkit/watches/drop')).status).toBe(204)
    await waitFor(
      () => replica.logs.filter((line) => line.message.includes('pod watch failed')).length >= 2,
      WAIT,
    )

    const { minted } = await issuedPod('kube-trouble')
    kube.faults.add({ method: 'PATCH', pathPrefix: podPath('kube-trouble'), status: 503, times: 2 })
    await deletePod('kube-trouble', 0)
    await waitFor(async () => (await readPod('kube-trouble')) === undefined, WAIT)
    expect(await accessorAlive(minted.tokenAccessor)).toBe(false)
    expect(replica.audit.map((line) => line.decision)).toEqual(['revoked'])
    expect(kube.faults.list()).toEqual([])
  })

  it('re-lists after 410 Expired and still processes deletions', async () => {
    const replica = await startReplica()
    const during = await issuedPod('during-expiry')
    expect((await kubeCall('PUT', '/__testkit/config', { watchHistory: 1 })).status).toBe(204)
    // Hold the re-watch back while the history moves on past its resourceVersion.
    kube.faults.add({ method: 'GET', pathPrefix: '/api/v1/pods', latencyMs: 400, times: 1 })
    const listsBefore = listsAndWatches().lists
    expect((await kubeCall('POST', '/__testkit/watches/drop')).status).toBe(204)
    await deletePod('during-expiry', 0)
    for (let change = 0; change < 3; change++) {
      await kubeCall(
        'PATCH',
        podPath('during-expiry'),
        { metadata: { annotations: { change: String(change) } } },
        'application/merge-patch+json',
      )
    }
    await waitFor(async () => (await readPod('during-expiry')) === undefined, WAIT)
    expect(await accessorAlive(during.minted.tokenAccessor)).toBe(false)

    const after = await issuedPod('after-expiry')
    await deletePod('after-expiry', 0)
    await waitFor(async () => (await readPod('after-expiry')) === undefined, WAIT)
    expect(await accessorAlive(after.minted.tokenAccessor)).toBe(false)
    expect(replica.audit).toHaveLength(2)
    // The held-back watch got 410 Expired, and the informer listed again.
    expect(listsAndWatches().lists).toBeGreaterThan(listsBefore)
  })

  it('two replicas on the same pods: each token revoked and recorded once, no errors', async () => {
    const first = await startReplica()
    const second = await startReplica()
    const names = ['pair-1', 'pair-2', 'pair-3', 'pair-4']
    const pods = await Promise.all(names.map((name) => issuedPod(name)))
    await Promise.all(names.map((name) => deletePod(name, 0)))
    for (const name of names) await waitFor(async () => (await readPod(name)) === undefined, WAIT)
    for (const pod of pods) expect(await accessorAlive(pod.minted.tokenAccessor)).toBe(false)

    const revoked = [...first.audit, ...second.audit].filter((line) => line.decision === 'revoked')
    expect(revoked.map((line) => line.pod.name).sort()).toEqual(names)
    for (const name of names) {
      expect((await eventsOf(name)).filter((event) => event.reason === 'VaultTokenRevoked')).toHaveLength(1)
    }
    expect([...errorsIn(first), ...errorsIn(second)]).toEqual([])
  })

  it('/readyz waits for the first list, and the watcher stops with the app', async () => {
    kube.faults.add({ method: 'GET', pathPrefix: '/api/v1/pods', latencyMs: 500, times: 1 })
    const config = configFor()
    const created = createDeps(config, { kubeConfig: kubeConfigFor(kube.server, kube.token) })
    const readiness: Readiness = { shuttingDown: false }
    const app = await buildApp({ ...created.deps, readiness, healthCheckIntervalMs: 50 }, config, {
      logStream: { write: () => {} },
    })
    app.addHook('onClose', () => created.close())
    runRevocationWatcherWith(
      app,
      { kube: created.kube, vault: created.deps.vault, audit: created.deps.audit },
      revocationSettingsOf(config),
      readiness,
    )
    try {
      await app.ready()
      const early = await app.inject({ method: 'GET', url: '/readyz' })
      expect(early.statusCode).toBe(503)
      await waitFor(
        async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200,
        WAIT,
      )
    } finally {
      await app.close()
    }
  })
})
