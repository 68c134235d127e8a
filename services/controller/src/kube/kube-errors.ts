/**
 * @module
 * Kubernetes API failures in the controller's vocabulary. A 409 Conflict on a conditional write is
 * not a failure but a signal (the pod changed: re-read and decide again), so it has its own class;
 * everything else becomes a `BrokerError`: the API server unreachable or overloaded is
 * `VC_KUBE_UNAVAILABLE` (retryable), a refusal (RBAC, validation) is `VC_KUBE_ERROR`, which
 * means the controller is misconfigured. The API server's answer is never echoed to the caller.
 */
import { ApiException } from '@kubernetes/client-node'
import { BrokerError, isAbortError } from '../errors.ts'

/** A write conditioned on `resourceVersion` lost: someone changed the object since it was read. */
export class ResourceConflictError extends Error {
  override readonly name = 'ResourceConflictError'
}

/** The Status `reason` of an API error, if its body is a Status. */
function statusReason(error: ApiException<unknown>): string | undefined {
  const body = error.body
  if (typeof body !== 'string') return undefined
  try {
    const reason = (JSON.parse(body) as { reason?: unknown }).reason
    return typeof reason === 'string' ? reason : undefined
  } catch {
    return undefined
  }
}

/** The HTTP status of a Kubernetes API error, or undefined for a network failure. */
export function kubeStatusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined
}

/**
 * Maps an error of a client-node call. `what` names the call for the message (`read pod ns/p`).
 * `withCause: false` drops the original error (TokenReview errors may carry the reviewed token).
 */
export function kubeError(error: unknown, what: string, options: { withCause?: boolean } = {}): Error {
  if (isAbortError(error)) return error as Error
  const cause = options.withCause === false ? {} : { cause: error }
  if (error instanceof ApiException) {
    const reason = statusReason(error)
    if (error.code === 409 && reason === 'Conflict') return new ResourceConflictError(`${what}: conflict`)
    if (error.code === 429 || error.code >= 500) {
      return new BrokerError('VC_KUBE_UNAVAILABLE', 'the Kubernetes API is unavailable', {
        ...cause,
        retryAfterSeconds: 2,
      })
    }
    return new BrokerError(
      'VC_KUBE_ERROR',
      `the Kubernetes API refused to ${what} (HTTP ${error.code}${reason === undefined ? '' : ` ${reason}`})`,
      cause,
    )
  }
  return new BrokerError('VC_KUBE_UNAVAILABLE', 'the Kubernetes API is unreachable', {
    ...cause,
    retryAfterSeconds: 2,
  })
}
