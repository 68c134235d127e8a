/**
 * @module
 * Turns a pod's projected service-account token into a verified PodIdentity. The signature is
 * checked locally against the cluster's JWKS, so a token request costs no API call; TokenReview
 * (`token-review.ts`) is the alternative mode for clusters that do not expose discovery.
 *
 * The issuer comes from the API server's OIDC discovery document (or configuration), the keys from
 * the API server's `/openid/v1/jwks` (or a configured URL), fetched with the cluster CA and the
 * controller's own service-account token, cached, and refetched when a token names an unknown key
 * (key rotation). A pod-bound token stays cryptographically valid after its pod is gone, so the
 * caller must still compare the live pod's UID (see `issuance/`).
 *
 * @see specs/kubernetes-api.md §5 (the JWT), §6 (discovery), §10.2 (jose).
 */
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from 'jose'
import { BrokerError } from '../errors.ts'
import type { KubeClient } from '../kube/kube-client.ts'
import type { Secret } from '../secret.ts'
import { type PodIdentity, type PodTokenVerifier, parseServiceAccountUsername } from './pod-identity.ts'

/** Algorithms Kubernetes signs service-account tokens with. */
const ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512']

export interface JwksVerifierOptions {
  kube: Pick<KubeClient, 'serverUrl' | 'apiServerFetch'>
  audience: string
  /** Expected `iss`; default: the `issuer` of the API server's discovery document. */
  issuer?: string
  /** Where the keys are; default: `<API server>/openid/v1/jwks`. */
  jwksUrl?: string
  /** Minimum time between two JWKS fetches triggered by unknown key ids; default 10 s. */
  jwksCooldownMs?: number
  now?: () => number
}

interface Discovered {
  issuer: string
  keys: ReturnType<typeof createRemoteJWKSet>
}

export function createJwksVerifier(options: JwksVerifierOptions): PodTokenVerifier {
  const { kube, audience } = options
  const now = options.now ?? Date.now
  const jwksUrl = options.jwksUrl ?? new URL('/openid/v1/jwks', kube.serverUrl).toString()
  const apiServerOrigin = new URL(kube.serverUrl).origin
  let discovery: Promise<Discovered> | undefined

  const fetchFor = (url: string, init: { headers?: Headers; signal?: AbortSignal | null }) =>
    new URL(url).origin === apiServerOrigin ? kube.apiServerFetch(url, init) : fetch(url, init)

  async function discover(): Promise<Discovered> {
    let issuer = options.issuer
    if (issuer === undefined) {
      const url = new URL('/.well-known/openid-configuration', kube.serverUrl).toString()
      const response = await kube.apiServerFetch(url, {
        headers: new Headers({ accept: 'application/json' }),
        signal: AbortSignal.timeout(5000),
      })
      if (response.status !== 200) {
        await response.body?.cancel()
        throw new Error(`OIDC discovery: ${url} answered HTTP ${response.status}`)
      }
      const document = (await response.json()) as { issuer?: unknown }
      if (typeof document.issuer !== 'string' || document.issuer === '') {
        throw new Error(`OIDC discovery: ${url} names no issuer`)
      }
      issuer = document.issuer
    }
    const keys = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: options.jwksCooldownMs ?? 10_000,
      [customFetch]: (url, init) => fetchFor(url, init),
    })
    return { issuer, keys }
  }

  function discovered(): Promise<Discovered> {
    if (discovery === undefined) {
      discovery = discover()
      // A failed discovery is retried by the next request, not cached.
      discovery.catch(() => {
        discovery = undefined
      })
    }
    return discovery
  }

  return {
    async ready() {
      try {
        const found = await discovered()
        // Readiness means the keys are in hand, not only the issuer.
        if (found.keys.jwks() === undefined) await found.keys.reload()
        return true
      } catch {
        return false
      }
    },

    async verify(token: Secret): Promise<PodIdentity> {
      let found: Discovered
      try {
        found = await discovered()
      } catch (error) {
        throw new BrokerError('VC_KUBE_UNAVAILABLE', "cannot read the cluster's token issuer", {
          cause: error,
          retryAfterSeconds: 5,
        })
      }
      let payload: Record<string, unknown>
      try {
        ;({ payload } = await jwtVerify(token.reveal(), found.keys, {
          issuer: found.issuer,
          audience,
          algorithms: ALGORITHMS,
          clockTolerance: 60,
          requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'kubernetes.io'],
          currentDate: new Date(now()),
        }))
      } catch (error) {
        throw identityError(error)
      }
      return identityFromClaims(payload)
    },
  }
}

/** Maps a jose error to a `VC_IDENTITY_*` code (or `VC_KUBE_UNAVAILABLE` when the keys cannot be read). */
export function identityError(error: unknown): BrokerError {
  if (error instanceof joseErrors.JWTExpired) {
    return new BrokerError('VC_IDENTITY_EXPIRED', 'the identity token has expired')
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return new BrokerError(
        'VC_IDENTITY_WRONG_AUDIENCE',
        "the identity token is not for the controller's audience",
      )
    }
    if (error.claim === 'nbf' || error.claim === 'iat') {
      return new BrokerError('VC_IDENTITY_EXPIRED', 'the identity token is not valid yet')
    }
    return new BrokerError(
      'VC_IDENTITY_INVALID',
      `the identity token's ${error.claim} claim is not acceptable`,
    )
  }
  if (
    error instanceof joseErrors.JWKSTimeout ||
    !(error instanceof joseErrors.JOSEError) ||
    (error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(error.message))
  ) {
    return new BrokerError('VC_KUBE_UNAVAILABLE', "cannot read the cluster's signing keys", {
      cause: error,
      retryAfterSeconds: 5,
    })
  }
  // Malformed, forged, wrong algorithm, unknown key: all the caller needs is "invalid".
  return new BrokerError('VC_IDENTITY_INVALID', 'the identity token is not a valid service-account token')
}

function stringAt(value: unknown, ...path: string[]): string | undefined {
  let current = value
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return typeof current === 'string' && current !== '' ? current : undefined
}

/** The pod identity in a verified token's claims. */
export function identityFromClaims(payload: Record<string, unknown>): PodIdentity {
  const claims = payload['kubernetes.io']
  const namespace = stringAt(claims, 'namespace')
  const serviceAccount = stringAt(claims, 'serviceaccount', 'name')
  const serviceAccountUid = stringAt(claims, 'serviceaccount', 'uid')
  const podName = stringAt(claims, 'pod', 'name')
  const podUid = stringAt(claims, 'pod', 'uid')
  const subject = parseServiceAccountUsername(typeof payload.sub === 'string' ? payload.sub : '')
  if (
    namespace === undefined ||
    serviceAccount === undefined ||
    serviceAccountUid === undefined ||
    subject?.namespace !== namespace ||
    subject.name !== serviceAccount
  ) {
    throw new BrokerError('VC_IDENTITY_INVALID', 'the identity token does not name a service account')
  }
  if (podName === undefined || podUid === undefined) {
    throw new BrokerError(
      'VC_IDENTITY_INVALID',
      'the identity token is not bound to a pod (use a projected service-account token)',
    )
  }
  return { namespace, podName, podUid, serviceAccount, serviceAccountUid }
}
