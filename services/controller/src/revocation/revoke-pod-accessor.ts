/**
 * @module
 * Revoking an accessor read from a pod's issuance record — but only if it names a token minted
 * for that pod. The record is a pod annotation: whoever may patch the pod (a namespace admin, a
 * compromised workload with pod write access) can write any accessor into it. Without this check
 * a forged record would make the controller, whose policy allows `revoke-accessor` on any token,
 * revoke somebody else's token. So before revoking, the token is looked up by accessor and must
 * carry the pod's `namespace` and `pod_uid` metadata (every token we mint does); a
 * response-wrapping token (no metadata of ours; at worst an in-flight delivery is cut short) is
 * revoked as named. A token that is already gone needs nothing.
 */
import type { VaultClient } from '../vault/vault-client.ts'

/** The policy Vault gives every response-wrapping token. */
const RESPONSE_WRAPPING_POLICY = 'response-wrapping'

export type PodAccessorRevocation =
  /** The pod's token (or a wrapping token) was revoked. */
  | 'revoked'
  /** No live token has this accessor: nothing to do. */
  | 'gone'
  /** The token belongs to someone else: not revoked (the record was forged or mixed up). */
  | 'foreign'

export async function revokePodAccessor(
  vault: Pick<VaultClient, 'lookupAccessor' | 'revokeAccessor'>,
  accessor: string,
  pod: { namespace: string; uid: string },
): Promise<PodAccessorRevocation> {
  const token = await vault.lookupAccessor(accessor)
  if (token === undefined) return 'gone'
  const wrapping = token.policies.length === 1 && token.policies[0] === RESPONSE_WRAPPING_POLICY
  const ours = token.meta?.namespace === pod.namespace && token.meta?.pod_uid === pod.uid
  if (!wrapping && !ours) return 'foreign'
  await vault.revokeAccessor(accessor)
  return 'revoked'
}
