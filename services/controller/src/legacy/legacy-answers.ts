/**
 * @module
 * What a legacy request is answered, in the original's words where the original had words
 * (`specs/legacy-protocol.md` §2 table: its statuses and plain-text bodies, kept for strict
 * compatibility), and as `<VC code>: <message>` with the catalogue's status for the refusals the
 * original never made (allow-list, hostNetwork, finished init containers, one token per pod, rate
 * limit). The original init retries every 5 s on anything but 202, so every refusal is safe for it;
 * a permanent one keeps it retrying until someone fixes the pod or the allow-list.
 *
 * As in protocol v1, a 5xx body never carries a Vault or Kubernetes answer.
 */
import { errorCodes } from '@vault-controller/protocol'
import type { BrokerError } from '../errors.ts'

/** One plain-text answer. */
export interface LegacyAnswer {
  status: number
  body: string
  /** Seconds, for a retryable refusal. */
  retryAfterSeconds?: number
}

/** The original's 400 for a missing or empty `name`; `remote` is `ip:port` (`[v6]:port`). */
export function missingNameAnswer(remote: string): LegacyAnswer {
  return { status: 400, body: `missing or empty name parameter from ${remote}` }
}

/** A malformed parameter (the original did not check; we do before any lookup). */
export function invalidParameterAnswer(message: string): LegacyAnswer {
  return { status: errorCodes.VC_BAD_REQUEST.status, body: `VC_BAD_REQUEST: ${message}` }
}

/** The policies annotation is absent or names nothing (the original's 500, "role" and all). */
function isMissingPoliciesAnnotation(error: BrokerError): boolean {
  return (
    error.code === 'VC_POLICIES_ANNOTATION_INVALID' &&
    (/ is missing$/.test(error.message) || / names no policy /.test(error.message))
  )
}

/** The answer to a refused or failed legacy request, for the pod named `podName`. */
export function legacyErrorAnswer(error: BrokerError, podName: string): LegacyAnswer {
  switch (error.code) {
    // The original looked the pod up without checking the status: a missing pod had no IP.
    case 'VC_POD_NOT_FOUND':
    case 'VC_POD_NOT_READY':
      return { status: 412, body: `error missing or empty pod IP (${podName})` }
    case 'VC_KUBE_UNAVAILABLE':
    case 'VC_KUBE_ERROR':
      return {
        status: 500,
        body: `error during pod (${podName}) lookup ${error.code}: ${errorCodes[error.code].description}`,
      }
    case 'VC_VAULT_UNAVAILABLE':
    case 'VC_VAULT_ERROR':
      return { status: 500, body: `error creating wrapped token for pod (${podName})` }
  }
  if (isMissingPoliciesAnnotation(error)) {
    return { status: 500, body: `error missing or empty pod vaultproject.io/role annotation (${podName})` }
  }
  const message = error.statusCode >= 500 ? errorCodes[error.code].description : error.message
  return {
    status: error.statusCode,
    body: `${error.code}: ${message}`,
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
  }
}
