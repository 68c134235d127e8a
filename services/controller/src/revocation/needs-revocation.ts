/**
 * @module
 * When a pod's token must be revoked: the pod carries our finalizer (a token may have been
 * minted for it) and it is going away, either being deleted or finished for good (`Succeeded`
 * and `Failed` are terminal phases: its containers will not run again, so nothing will use or
 * renew the token). Both conditions only ever become true, never false again, so a decision
 * taken on a slightly stale copy of the pod is still right. Never true for a running pod.
 */
import { REVOKE_FINALIZER } from '@vault-controller/protocol'
import type { PodView } from '../kube/pod-view.ts'

export const TERMINAL_PHASES: readonly string[] = ['Succeeded', 'Failed']

export function needsRevocation(pod: Pick<PodView, 'finalizers' | 'terminating' | 'phase'>): boolean {
  return pod.finalizers.includes(REVOKE_FINALIZER) && (pod.terminating || TERMINAL_PHASES.includes(pod.phase))
}

/** Why the pod's token goes, for audit lines and Events. */
export function revocationCause(pod: Pick<PodView, 'terminating' | 'phase'>): string {
  return pod.terminating ? 'the pod is being deleted' : `the pod has finished (${pod.phase})`
}
