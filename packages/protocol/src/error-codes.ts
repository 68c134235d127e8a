/**
 * @module
 * The catalogue of stable error codes the controller answers with (protocol v1). A code names
 * one failure for good: clients branch on it, operators search logs and dashboards for it, and
 * the README documents it. Messages may improve; codes and their statuses do not change.
 *
 * `retryable` means the same request may succeed later without anyone changing anything
 * (the pod gets its IP, Vault is unsealed, the rate limit refills). Everything else needs a
 * change to the pod, its annotations, the allow-list or the caller before a retry can help.
 * Only the controller's error handler turns codes into responses (see {@link httpStatusOf}).
 */

/** What the catalogue says about one code. */
export type ErrorCodeInfo = {
  /** The HTTP status answered with this code. */
  readonly status: number
  /** Whether repeating the same request later may succeed (the answer then carries `Retry-After`). */
  readonly retryable: boolean
  /** One line for the docs; never shown with request values filled in. */
  readonly description: string
}

export const errorCodes = {
  // The request itself (DESIGN §3 step 2).
  VC_BAD_REQUEST: {
    status: 400,
    retryable: false,
    description: 'Body or parameters malformed or not valid JSON.',
  },
  VC_BODY_TOO_LARGE: { status: 413, retryable: false, description: 'Request body larger than the limit.' },
  VC_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    description: 'Content-Type is not application/json.',
  },
  VC_ROUTE_NOT_FOUND: { status: 404, retryable: false, description: 'No such route.' },

  // Who is calling (step 3: the projected service-account token).
  VC_IDENTITY_MISSING: { status: 401, retryable: false, description: 'No Bearer identity token.' },
  VC_IDENTITY_INVALID: {
    status: 401,
    retryable: false,
    description: 'Identity token malformed, forged, badly signed, wrong algorithm, issuer or key.',
  },
  VC_IDENTITY_EXPIRED: {
    status: 401,
    retryable: false,
    description: 'Identity token expired or not yet valid.',
  },
  VC_IDENTITY_WRONG_AUDIENCE: {
    status: 401,
    retryable: false,
    description: "Identity token not issued for the controller's audience.",
  },
  VC_IDENTITY_MISMATCH: {
    status: 403,
    retryable: false,
    description: 'Identity names another pod, namespace or service account than the request.',
  },

  // The live pod (step 3).
  VC_POD_NOT_FOUND: { status: 404, retryable: false, description: 'No such pod.' },
  VC_POD_REPLACED: {
    status: 409,
    retryable: false,
    description: "Pod UID differs from the identity token's: the pod was replaced.",
  },
  VC_POD_TERMINATING: { status: 409, retryable: false, description: 'Pod is being deleted.' },
  VC_POD_NOT_INITIALIZING: {
    status: 409,
    retryable: false,
    description: 'Pod is no longer initialising (not Pending, or its init container finished).',
  },
  VC_POD_NOT_READY: { status: 412, retryable: true, description: 'Pod has no IP yet.' },
  VC_HOST_NETWORK_POD: {
    status: 403,
    retryable: false,
    description: "hostNetwork pods are refused: the node's address is not the pod's own.",
  },

  // The pod's annotations and the allow-list (step 3).
  VC_POLICIES_ANNOTATION_INVALID: {
    status: 400,
    retryable: false,
    description: 'Annotation vaultproject.io/policies missing, empty or malformed.',
  },
  VC_TTL_ANNOTATION_INVALID: {
    status: 400,
    retryable: false,
    description: 'Annotation vaultproject.io/ttl is not a positive Vault duration.',
  },
  VC_NO_MATCHING_RULE: {
    status: 403,
    retryable: false,
    description: "No allow-list rule for the pod's namespace and service account (default deny).",
  },
  VC_POLICY_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    description: 'A requested policy is not allowed by the matching rule.',
  },
  VC_ROOT_POLICY_REFUSED: { status: 403, retryable: false, description: 'The root policy is never granted.' },
  VC_TTL_ABOVE_MAX: { status: 403, retryable: false, description: "Requested TTL above the rule's maximum." },
  VC_TTL_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    description: 'The matching rule has a fixed TTL and the requested TTL is another.',
  },

  // One token per pod (step 4).
  VC_ALREADY_ISSUED: {
    status: 409,
    retryable: false,
    description: 'A token was already delivered to this pod (UID).',
  },
  VC_ISSUANCE_IN_PROGRESS: {
    status: 409,
    retryable: true,
    description: 'Another request or replica is issuing a token for this pod.',
  },
  VC_ISSUANCE_RECORD_INVALID: {
    status: 409,
    retryable: false,
    description: "The pod's vaultproject.io/issuance annotation is unreadable; an operator must look.",
  },

  // Mint and deliver (steps 5 and 6).
  VC_RATE_LIMITED: {
    status: 429,
    retryable: true,
    description: 'Too many requests for this namespace or caller.',
  },
  VC_CALLBACK_FAILED: {
    status: 502,
    retryable: true,
    description: 'Delivery to the pod callback failed; the minted token was revoked.',
  },
  VC_VAULT_UNAVAILABLE: { status: 503, retryable: true, description: 'Vault unreachable or sealed.' },
  VC_VAULT_ERROR: {
    status: 502,
    retryable: false,
    description: "Vault refused or failed the request (e.g. the controller's permissions).",
  },
  VC_KUBE_UNAVAILABLE: { status: 503, retryable: true, description: 'Kubernetes API unreachable.' },
  VC_KUBE_ERROR: {
    status: 502,
    retryable: false,
    description: "Kubernetes API refused the controller's request (e.g. RBAC).",
  },

  // The controller itself.
  VC_DEADLINE_EXCEEDED: { status: 504, retryable: true, description: 'Request deadline exceeded.' },
  VC_SHUTTING_DOWN: { status: 503, retryable: true, description: 'This replica is shutting down.' },
  VC_INTERNAL: { status: 500, retryable: false, description: 'Unexpected internal error.' },
} as const satisfies Record<`VC_${string}`, ErrorCodeInfo>

/** Every code the controller may answer with. */
export type ErrorCode = keyof typeof errorCodes

/** Whether `value` is a code of this catalogue (a newer controller may send codes we do not know). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value)
}

/** The HTTP status answered with `code`. */
export function httpStatusOf(code: ErrorCode): number {
  return errorCodes[code].status
}

/** Whether a request that failed with `code` may succeed if repeated unchanged. */
export function isRetryable(code: ErrorCode): boolean {
  return errorCodes[code].retryable
}
