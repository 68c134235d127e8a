/**
 * @module
 * Who is calling, once proven: the pod named by a verified projected service-account token.
 * Both identity modes (local JWKS verification and TokenReview) produce this, and nothing else in
 * the controller looks at the token.
 */
import type { Secret } from '../secret.ts'

export interface PodIdentity {
  namespace: string
  podName: string
  podUid: string
  serviceAccount: string
  serviceAccountUid: string
}

/** Turns a bearer token into a verified {@link PodIdentity}, or throws a `BrokerError` (`VC_IDENTITY_*`). */
export interface PodTokenVerifier {
  verify(token: Secret, signal?: AbortSignal): Promise<PodIdentity>
  /** Whether the verifier can work (discovery done or possible); for readiness. */
  ready?(): Promise<boolean>
}

/** `system:serviceaccount:<ns>:<name>` → its parts. */
export function parseServiceAccountUsername(
  username: string,
): { namespace: string; name: string } | undefined {
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username)
  if (match?.[1] === undefined || match[2] === undefined) return undefined
  return { namespace: match[1], name: match[2] }
}
