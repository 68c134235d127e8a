/**
 * @module
 * The names the controller shares with the cluster: what a pod asks for (its annotations), what
 * the controller records on it (the issuance annotation and the finalizer that guarantees
 * revocation), and the reasons of the Kubernetes Events it emits. Renaming any of these breaks
 * pods already running, so they live in one place.
 */

/** Requested policies, comma-separated (`"default,web"`); normalised the way Vault does. */
export const POLICIES_ANNOTATION = 'vaultproject.io/policies'

/** Requested token period as a Vault duration (`"24h"`). */
export const TTL_ANNOTATION = 'vaultproject.io/ttl'

/** The controller's issuance record (JSON, accessors only); see `issuance-record.ts`. */
export const ISSUANCE_ANNOTATION = 'vaultproject.io/issuance'

/** Held on a pod from the claim until its token is revoked, so deletion waits for revocation. */
export const REVOKE_FINALIZER = 'vaultproject.io/revoke-token'

/**
 * Set on the pod with the claim and removed with the finalizer: the label selector the
 * controller's pod watch uses, so it sees only pods it still has work on (label and field
 * selectors cannot see annotations or finalizers). Its value is constant.
 */
export const ISSUANCE_LABEL = 'vaultproject.io/vault-controller'

/** The value of {@link ISSUANCE_LABEL}. */
export const ISSUANCE_LABEL_VALUE = 'managed'

/** Reasons of the Events recorded on the pod (one per audit decision). */
export const eventReasons = {
  issued: 'VaultTokenIssued',
  denied: 'VaultTokenDenied',
  deliveryFailed: 'VaultTokenDeliveryFailed',
  revoked: 'VaultTokenRevoked',
  /** Revocation failed and is being retried (Vault down, record unreadable); deletion waits. */
  revocationDelayed: 'VaultTokenRevocationDelayed',
  /** Revocation gave up after the configured bound; the finalizer was removed anyway. */
  revocationFailed: 'VaultTokenRevocationFailed',
} as const

export type EventReason = (typeof eventReasons)[keyof typeof eventReasons]
