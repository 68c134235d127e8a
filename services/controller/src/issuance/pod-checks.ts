/**
 * @module
 * Is the live pod the one that asked, and may it have a token now? A pod-bound token stays
 * cryptographically valid after its pod is gone, so these checks run on a fresh read of the pod
 * for every request (and again after every conflict). The first failing check answers.
 */
import type { ErrorCode } from '@vault-controller/protocol'
import type { PodIdentity } from '../identity/pod-identity.ts'
import type { PodView } from '../kube/pod-view.ts'

export interface PodRefusal {
  code: ErrorCode
  message: string
}

/** Why the pod may not get a token now, or undefined when it may. */
export function checkPod(pod: PodView, identity: PodIdentity): PodRefusal | undefined {
  if (pod.uid !== identity.podUid) {
    return {
      code: 'VC_POD_REPLACED',
      message: 'the pod was replaced: its UID is not the one in the identity token',
    }
  }
  if (pod.serviceAccountName !== identity.serviceAccount) {
    return {
      code: 'VC_IDENTITY_MISMATCH',
      message: "the identity token's service account is not the pod's service account",
    }
  }
  return checkPodState(pod)
}

/**
 * The checks on the pod's own state, without an identity to compare (the legacy protocol has
 * none): not being deleted, not hostNetwork (the node's address is not the pod's own), an IP, and
 * still initialising (the push must reach the init container, not the app).
 */
export function checkPodState(pod: PodView): PodRefusal | undefined {
  if (pod.terminating) return { code: 'VC_POD_TERMINATING', message: 'the pod is being deleted' }
  if (pod.hostNetwork) {
    return {
      code: 'VC_HOST_NETWORK_POD',
      message: "hostNetwork pods are refused: the node's address is not the pod's own",
    }
  }
  if (pod.podIp === '') return { code: 'VC_POD_NOT_READY', message: 'the pod has no IP yet' }
  if ((pod.phase !== '' && pod.phase !== 'Pending') || pod.initialized) {
    return {
      code: 'VC_POD_NOT_INITIALIZING',
      message: 'the pod is no longer initialising: tokens are issued to init containers only',
    }
  }
  return undefined
}
