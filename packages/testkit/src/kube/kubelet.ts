/**
 * @module
 * What the kubelet would write into a pod's status, for `POST /__testkit/kubelet/{ns}/{pod}`
 * (spec §11): pod and host IPs, phase, init containers running or done, app containers running,
 * succeeded or failed, with the conditions and container statuses a real kubelet reports. The
 * result is written through the same path as `pods/status`, so watchers see one MODIFIED.
 */
import { isJsonObject, type JsonObject } from './object-patch.ts'
import type { StoredObject } from './object-store.ts'

export interface KubeletUpdate {
  podIP?: string
  hostIP?: string
  phase?: string
  initContainers?: 'running' | 'succeeded'
  containers?: 'running' | 'succeeded' | 'failed'
}

/** Thrown for a kubelet request that makes no sense (400 from the control API). */
export class KubeletRequestError extends Error {}

export function parseKubeletUpdate(body: unknown): KubeletUpdate {
  if (!isJsonObject(body)) throw new KubeletRequestError('body must be a JSON object')
  const update: KubeletUpdate = {}
  for (const field of ['podIP', 'hostIP', 'phase'] as const) {
    const value = body[field]
    if (value === undefined) continue
    if (typeof value !== 'string') throw new KubeletRequestError(`${field} must be a string`)
    update[field] = value
  }
  if (
    update.phase !== undefined &&
    !['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'].includes(update.phase)
  ) {
    throw new KubeletRequestError('phase must be Pending, Running, Succeeded, Failed or Unknown')
  }
  const init = body.initContainers
  if (init !== undefined) {
    if (init !== 'running' && init !== 'succeeded')
      throw new KubeletRequestError('initContainers must be "running" or "succeeded"')
    update.initContainers = init
  }
  const app = body.containers
  if (app !== undefined) {
    if (app !== 'running' && app !== 'succeeded' && app !== 'failed') {
      throw new KubeletRequestError('containers must be "running", "succeeded" or "failed"')
    }
    update.containers = app
  }
  const known = new Set(['podIP', 'hostIP', 'phase', 'initContainers', 'containers'])
  const unknown = Object.keys(body).filter((key) => !known.has(key))
  if (unknown.length > 0) throw new KubeletRequestError(`unknown fields: ${unknown.join(', ')}`)
  return update
}

interface ContainerSpec {
  name: string
  image: string
  sidecar: boolean
}

function containersOf(spec: JsonObject, field: 'initContainers' | 'containers'): ContainerSpec[] {
  const list = Array.isArray(spec[field]) ? (spec[field] as unknown[]) : []
  return list.filter(isJsonObject).map((container) => ({
    name: String(container.name ?? ''),
    image: String(container.image ?? ''),
    sidecar: container.restartPolicy === 'Always',
  }))
}

function condition(type: string, ok: boolean, now: string, reason?: string): JsonObject {
  const entry: JsonObject = {
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
  }
  if (!ok && reason !== undefined) entry.reason = reason
  return entry
}

function containerStatus(
  container: ContainerSpec,
  state: JsonObject,
  ready: boolean,
  started: boolean,
): JsonObject {
  return {
    name: container.name,
    state,
    lastState: {},
    ready,
    restartCount: 0,
    image: container.image,
    imageID: '',
    started,
  }
}

/** The pod's status after the kubelet did what `update` says. */
export function kubeletStatus(pod: StoredObject, update: KubeletUpdate, now: string): JsonObject {
  const spec = isJsonObject(pod.spec) ? pod.spec : {}
  const status: JsonObject = isJsonObject(pod.status) ? structuredClone(pod.status) : {}
  if (update.podIP !== undefined) {
    status.podIP = update.podIP
    status.podIPs = [{ ip: update.podIP }]
  }
  if (update.hostIP !== undefined) {
    status.hostIP = update.hostIP
    status.hostIPs = [{ ip: update.hostIP }]
  }
  if (update.initContainers === undefined && update.containers === undefined) {
    if (update.phase !== undefined) status.phase = update.phase
    return status
  }
  status.startTime ??= now
  const initContainers = containersOf(spec, 'initContainers')
  const appContainers = containersOf(spec, 'containers')
  const initDone = update.initContainers === 'succeeded' || update.containers !== undefined
  const running = { running: { startedAt: now } }
  const completed = {
    terminated: { exitCode: 0, reason: 'Completed', startedAt: status.startTime, finishedAt: now },
  }
  status.initContainerStatuses = initContainers.map((container) => {
    if (container.sidecar) return containerStatus(container, running, initDone, true)
    return initDone
      ? containerStatus(container, completed, true, false)
      : containerStatus(container, running, false, true)
  })
  if (initContainers.length === 0) delete status.initContainerStatuses
  let appState: JsonObject
  let appReady = false
  let phase: string
  if (update.containers === 'running') {
    appState = running
    appReady = true
    phase = 'Running'
  } else if (update.containers === 'succeeded' || update.containers === 'failed') {
    const exitCode = update.containers === 'succeeded' ? 0 : 1
    appState = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt: status.startTime,
        finishedAt: now,
      },
    }
    phase = update.containers === 'succeeded' ? 'Succeeded' : 'Failed'
  } else {
    appState = { waiting: { reason: 'PodInitializing' } }
    phase = 'Pending'
  }
  status.containerStatuses = appContainers.map((container) =>
    containerStatus(container, appState, appReady, update.containers === 'running'),
  )
  status.phase = update.phase ?? phase
  const notInitialized = initContainers.length > 0 ? 'ContainersNotInitialized' : undefined
  const notReady = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady'
  status.conditions = [
    condition('PodReadyToStartContainers', true, now),
    condition('Initialized', initDone, now, notInitialized),
    condition('Ready', appReady, now, notReady),
    condition('ContainersReady', appReady, now, notReady),
    condition('PodScheduled', true, now),
  ]
  return status
}
