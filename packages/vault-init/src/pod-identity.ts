/**
 * @module
 * Which pod this is, and whether a Vault token was minted for it. The controller records the
 * pod in the token's metadata (`namespace`, `pod_name`, `pod_uid`); before writing a token,
 * vault-init checks those against its own downward-API names and the pod UID in its projected
 * service-account token, so a token meant for another pod is never put in place.
 */

export interface PodIdentity {
  namespace: string
  name: string
  /** From the projected token's `kubernetes.io.pod.uid` claim, when it has one. */
  uid?: string
}

/**
 * The pod UID claim of a projected service-account token, decoded without verification: the
 * token is the pod's own, read from its own volume; the controller is the one that verifies it.
 */
export function podUidFromServiceAccountToken(jwt: string): string | undefined {
  const payload = jwt.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      'kubernetes.io'?: { pod?: { uid?: unknown } }
    }
    const uid = claims['kubernetes.io']?.pod?.uid
    return typeof uid === 'string' && uid !== '' ? uid : undefined
  } catch {
    return undefined
  }
}

/** Why `metadata` does not name `pod` (empty when it does). Names the fields, never their values. */
export function podMismatches(metadata: unknown, pod: PodIdentity): string[] {
  const meta = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<string, unknown>
  const mismatches: string[] = []
  if (meta.namespace !== pod.namespace) mismatches.push('namespace')
  if (meta.pod_name !== pod.name) mismatches.push('pod_name')
  if (pod.uid !== undefined && meta.pod_uid !== pod.uid) mismatches.push('pod_uid')
  return mismatches
}
