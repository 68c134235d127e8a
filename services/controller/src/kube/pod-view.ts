/**
 * @module
 * The few facts about a pod the controller decides on, taken from the client library's model
 * once, so the rest of the controller never touches `V1Pod` (its `Date`s, its optional
 * everything) and tests can reason about plain data.
 */
import type { V1Pod } from '@kubernetes/client-node'

export interface PodView {
  namespace: string
  name: string
  uid: string
  resourceVersion: string
  annotations: Readonly<Record<string, string>>
  finalizers: readonly string[]
  /** `metadata.deletionTimestamp` is set. */
  terminating: boolean
  serviceAccountName: string
  /** Empty until scheduled. */
  nodeName: string
  hostNetwork: boolean
  /** `Pending`, `Running`, …; empty when the kubelet has not reported yet. */
  phase: string
  /** Empty until allocated. */
  podIp: string
  hostIp: string
  /** The `Initialized` condition is `True`: every init container has finished. */
  initialized: boolean
}

export function podView(pod: V1Pod): PodView {
  const metadata = pod.metadata ?? {}
  const status = pod.status ?? {}
  return {
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    uid: metadata.uid ?? '',
    resourceVersion: metadata.resourceVersion ?? '',
    annotations: { ...(metadata.annotations ?? {}) },
    finalizers: [...(metadata.finalizers ?? [])],
    terminating: metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null,
    serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
    nodeName: pod.spec?.nodeName ?? '',
    hostNetwork: pod.spec?.hostNetwork === true,
    phase: status.phase ?? '',
    podIp: status.podIP ?? '',
    hostIp: status.hostIP ?? '',
    initialized: (status.conditions ?? []).some(
      (condition) => condition.type === 'Initialized' && condition.status === 'True',
    ),
  }
}
