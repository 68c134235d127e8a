/**
 * @module
 * kube-dev's service-account tokens without HTTP: issuing the JWTs TokenRequest returns,
 * reviewing them as TokenReview and bearer authentication do, and publishing the keys for
 * OIDC discovery (spec §5, §6, §7, §11). Time comes from the injected clock only, so tests
 * expire tokens by advancing it.
 *
 * Review follows kube-apiserver's `pkg/serviceaccount` (jwt.go, claims.go) step by step: issuer
 * pre-check on the unverified payload, key by `kid` (every key when none), signature, audiences,
 * then `exp`/`nbf`/`iat` with 60 s leeway and the bound objects (service account, pod) with a
 * 60 s grace after a deletion timestamp. Failures carry the API server's error texts, wrapped the
 * way the bearer-token authenticator chain aggregates them (`[invalid bearer token, …]`).
 *
 * @example
 * const tokens = new ServiceAccountTokens({ issuer: 'https://kubernetes.default.svc.cluster.local', clock })
 * const { token } = await tokens.issue({ namespace: 'ns1', serviceAccount: { name: 'sa', uid }, audiences: ['vault-controller'], expirationSeconds: 600 })
 * const result = await tokens.review(token, ['vault-controller'], lookup)
 */
import { randomUUID } from 'node:crypto'
import { CompactSign, compactVerify } from 'jose'
import type { Clock } from '../clock.ts'
import {
  createSigningKey,
  generateSigningKey,
  type SigningKey,
  type SigningKeyOptions,
  signingKeyFromOptions,
} from './signing-keys.ts'

export type { SigningAlgorithm, SigningKey, SigningKeyOptions } from './signing-keys.ts'

export interface BoundPod {
  name: string
  uid: string
}

export interface TokenSubject {
  namespace: string
  serviceAccount: { name: string; uid: string }
  /** Set for pod-bound tokens. */
  pod?: BoundPod
  /** Set for pod-bound tokens whose pod is scheduled; `uid` only when the Node object is known. */
  node?: { name: string; uid?: string }
}

export interface IssueRequest extends TokenSubject {
  /** Empty means the API server's own audiences. */
  audiences: string[]
  expirationSeconds: number
}

export interface IssuedToken {
  token: string
  /** RFC 3339, second precision, UTC: `exp` as a timestamp. */
  expirationTimestamp: string
  jti: string
}

/** What review needs to know about the live objects a token is bound to. */
export interface ReviewLookup {
  /** The current uid of the service account, or undefined when it does not exist. */
  serviceAccountUid(namespace: string, name: string): string | undefined
  pod(namespace: string, name: string): { uid: string; deletionTimestampMs?: number } | undefined
}

export interface ReviewedUser {
  username: string
  uid: string
  groups: string[]
  extra: Record<string, string[]>
}

export type ReviewResult =
  | { authenticated: true; user: ReviewedUser; audiences: string[] }
  | { authenticated: false; error: string }

export interface ServiceAccountTokensOptions {
  /** The `iss` of every token and the OIDC issuer. */
  issuer: string
  /** The API server's audiences (default `[issuer]`): used when a request names none. */
  apiAudiences?: string[]
  clock: Clock
  key?: SigningKeyOptions
}

/** jwt.DefaultLeeway in go-jose: applies to exp/nbf/iat and to deletion timestamps. */
const leewayMs = 60_000
/** bearertoken.invalidToken: the chain's answer when no authenticator had anything better to say. */
const invalidBearerToken = 'invalid bearer token'
const base64UrlPattern = /^[A-Za-z0-9_-]*$/

class ReviewFailure extends Error {
  readonly reasons: string[]
  constructor(...reasons: string[]) {
    super(reasons.join(', '))
    this.reasons = reasons
  }
}

/** The service-account token issuer and authenticator of one kube-dev. */
export class ServiceAccountTokens {
  readonly issuer: string
  readonly apiAudiences: string[]
  readonly #clock: Clock
  /** Current signing key first, then retained older keys. */
  #keys: SigningKey[]

  /**
   * Generates (or imports) the signing key synchronously; `signingKey`, when given, is used
   * instead of `options.key` (that is how `create` hands over a key made asynchronously).
   */
  constructor(
    options: ServiceAccountTokensOptions,
    signingKey: SigningKey = signingKeyFromOptions(options.key),
  ) {
    this.issuer = options.issuer
    this.apiAudiences = [...(options.apiAudiences ?? [options.issuer])]
    this.#clock = options.clock
    this.#keys = [signingKey]
  }

  /** Like the constructor, but generates the key without blocking the event loop. */
  static async create(options: ServiceAccountTokensOptions): Promise<ServiceAccountTokens> {
    return new ServiceAccountTokens(options, await createSigningKey(options.key))
  }

  /** The `kid` new tokens carry. */
  get currentKeyId(): string {
    return this.#currentKey().kid
  }

  /** Signs a token for the subject; empty audiences mean the API audiences. */
  async issue(request: IssueRequest): Promise<IssuedToken> {
    const { expirationSeconds } = request
    if (!Number.isSafeInteger(expirationSeconds) || expirationSeconds <= 0) {
      throw new RangeError(`expirationSeconds must be a positive integer, got ${expirationSeconds}`)
    }
    const key = this.#currentKey()
    const issuedAtSeconds = Math.floor(this.#clock.now() / 1000)
    const expiresAtSeconds = issuedAtSeconds + expirationSeconds
    const jti = randomUUID()
    const claims = {
      // The API server's JSON has sorted keys (go-jose merges claims through a map).
      aud: request.audiences.length > 0 ? [...request.audiences] : [...this.apiAudiences],
      exp: expiresAtSeconds,
      iat: issuedAtSeconds,
      iss: this.issuer,
      jti,
      'kubernetes.io': kubernetesClaim(request),
      nbf: issuedAtSeconds,
      sub: serviceAccountUsername(request.namespace, request.serviceAccount.name),
    }
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid })
      .sign(key.privateKey)
    return { token, expirationTimestamp: rfc3339Seconds(expiresAtSeconds), jti }
  }

  /**
   * TokenReview: is the token valid now for any of the audiences (empty → API audiences)?
   * Never throws; anything wrong with the token is an `{authenticated: false, error}` result.
   */
  async review(token: string, audiences: string[], lookup: ReviewLookup): Promise<ReviewResult> {
    try {
      return await this.#review(token, audiences.length > 0 ? audiences : this.apiAudiences, lookup)
    } catch (error) {
      if (error instanceof ReviewFailure) {
        return { authenticated: false, error: aggregateErrors([invalidBearerToken, ...error.reasons]) }
      }
      // Not expected; still an answer, never an exception, and never the token in the text.
      return {
        authenticated: false,
        error: aggregateErrors([
          invalidBearerToken,
          'service account token claims could not be validated due to unexpected validation error',
        ]),
      }
    }
  }

  /** Bearer authentication of API requests: review against the API audiences. */
  authenticate(token: string, lookup: ReviewLookup): Promise<ReviewResult> {
    return this.review(token, this.apiAudiences, lookup)
  }

  /** The JWKS document: every key that may still verify a live token, current key first. */
  jwks(): { keys: Array<Record<string, unknown>> } {
    return { keys: this.#keys.map((key) => ({ ...key.publicJwk })) }
  }

  /** `/.well-known/openid-configuration` for the given JWKS URL. */
  openidConfiguration(jwksUri: string): Record<string, unknown> {
    const algorithms = [...new Set(this.#keys.map((key) => key.algorithm))].sort()
    return {
      issuer: this.issuer,
      jwks_uri: jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: algorithms,
    }
  }

  /**
   * A new signing key of the current algorithm; new tokens carry its `kid`. With `retainOld` the
   * previous keys stay in JWKS and keep verifying; without it they are dropped with their tokens.
   */
  async rotate(options: { retainOld: boolean }): Promise<void> {
    const next = await generateSigningKey(this.#currentKey().algorithm)
    this.#keys = options.retainOld ? [next, ...this.#keys] : [next]
  }

  #currentKey(): SigningKey {
    const key = this.#keys[0]
    if (key === undefined) throw new Error('no signing key')
    return key
  }

  async #review(token: string, requestedAudiences: string[], lookup: ReviewLookup): Promise<ReviewResult> {
    // hasCorrectIssuer: anything that is not a compact JWT with our `iss` is not ours to judge.
    const parts = typeof token === 'string' && !token.trimStart().startsWith('{') ? token.split('.') : []
    const [encodedHeader, encodedPayload, encodedSignature] = parts
    if (parts.length !== 3 || encodedHeader === undefined || encodedPayload === undefined) {
      throw new ReviewFailure()
    }
    const payload = decodeJsonSegment(encodedPayload)
    if (!isRecord(payload) || payload.iss !== this.issuer) throw new ReviewFailure()
    const header = decodeJsonSegment(encodedHeader)
    if (
      !isRecord(header) ||
      typeof header.alg !== 'string' ||
      !base64UrlPattern.test(encodedSignature ?? '')
    ) {
      throw new ReviewFailure()
    }

    const kid = typeof header.kid === 'string' ? header.kid : ''
    const candidates = kid === '' ? this.#keys : this.#keys.filter((key) => key.kid === kid)
    if (candidates.length === 0) throw new ReviewFailure('invalid signature, no keys found')
    const signatureErrors: string[] = []
    let verified = false
    for (const key of candidates) {
      const error = await verifySignature(token, header.alg, key)
      if (error === undefined) {
        verified = true
        break
      }
      signatureErrors.push(error)
    }
    if (!verified) throw new ReviewFailure(...signatureErrors)

    const claims = readClaims(payload)
    const tokenAudiences = claims.audiences.length > 0 ? claims.audiences : this.apiAudiences
    const audiences = tokenAudiences.filter((audience) => requestedAudiences.includes(audience))
    if (audiences.length === 0 && this.apiAudiences.length > 0) {
      throw new ReviewFailure(
        `token audiences ${goQuoted(tokenAudiences)} is invalid for the target audiences ${goQuoted(requestedAudiences)}`,
      )
    }

    const nowMs = this.#clock.now()
    if (claims.notBeforeSeconds !== undefined && nowMs + leewayMs < claims.notBeforeSeconds * 1000) {
      throw new ReviewFailure('service account token is not valid yet')
    }
    if (claims.expiresAtSeconds !== undefined && nowMs - leewayMs > claims.expiresAtSeconds * 1000) {
      throw new ReviewFailure('service account token has expired')
    }
    if (claims.issuedAtSeconds !== undefined && nowMs + leewayMs < claims.issuedAtSeconds * 1000) {
      throw new ReviewFailure(
        'service account token claims could not be validated due to unexpected validation error',
      )
    }

    const { namespace, serviceAccount, pod, node } = claims
    const serviceAccountUid = lookup.serviceAccountUid(namespace, serviceAccount.name)
    if (serviceAccountUid === undefined) {
      throw new ReviewFailure(`serviceaccounts ${JSON.stringify(serviceAccount.name)} not found`)
    }
    if (serviceAccountUid !== serviceAccount.uid) {
      throw new ReviewFailure(
        `service account UID (${serviceAccountUid}) does not match claim (${serviceAccount.uid})`,
      )
    }
    if (pod !== undefined) {
      const livePod = lookup.pod(namespace, pod.name)
      if (livePod === undefined) throw new ReviewFailure('service account token has been invalidated')
      if (livePod.deletionTimestampMs !== undefined && livePod.deletionTimestampMs < nowMs - leewayMs) {
        throw new ReviewFailure('service account token has been invalidated')
      }
      if (livePod.uid !== pod.uid) {
        throw new ReviewFailure(
          `pod UID (${livePod.uid}) does not match service account pod ref claim (${pod.uid})`,
        )
      }
    }

    // authentication.kubernetes.io/* extras; Go serialises the map with sorted keys.
    const extra: Record<string, string[]> = {}
    if (claims.jti !== '') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`]
    if (node !== undefined && node.name !== '') extra['authentication.kubernetes.io/node-name'] = [node.name]
    if (node?.uid !== undefined && node.uid !== '')
      extra['authentication.kubernetes.io/node-uid'] = [node.uid]
    if (pod !== undefined) {
      extra['authentication.kubernetes.io/pod-name'] = [pod.name]
      extra['authentication.kubernetes.io/pod-uid'] = [pod.uid]
    }
    return {
      authenticated: true,
      user: {
        username: serviceAccountUsername(namespace, serviceAccount.name),
        uid: serviceAccount.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        extra,
      },
      audiences,
    }
  }
}

/** `system:serviceaccount:<ns>:<name>`: the username and the `sub` of a service account. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`
}

function kubernetesClaim(subject: TokenSubject): Record<string, unknown> {
  const claim: Record<string, unknown> = { namespace: subject.namespace }
  if (subject.node !== undefined) {
    claim.node =
      subject.node.uid === undefined || subject.node.uid === ''
        ? { name: subject.node.name }
        : { name: subject.node.name, uid: subject.node.uid }
  }
  if (subject.pod !== undefined) claim.pod = { name: subject.pod.name, uid: subject.pod.uid }
  claim.serviceaccount = { name: subject.serviceAccount.name, uid: subject.serviceAccount.uid }
  return claim
}

/** The verification error go-jose would give, or undefined when the signature holds. */
async function verifySignature(token: string, alg: string, key: SigningKey): Promise<string | undefined> {
  if (alg !== key.algorithm) return 'square/go-jose: unknown/unsupported algorithm'
  try {
    await compactVerify(token, key.publicKey, { algorithms: [key.algorithm] })
    return undefined
  } catch {
    return 'square/go-jose: error in cryptographic primitive'
  }
}

interface ReviewedClaims {
  audiences: string[]
  expiresAtSeconds: number | undefined
  notBeforeSeconds: number | undefined
  issuedAtSeconds: number | undefined
  jti: string
  namespace: string
  serviceAccount: { name: string; uid: string }
  pod: BoundPod | undefined
  node: { name: string; uid: string | undefined } | undefined
}

/** Reads the verified payload the way Go unmarshals it: wrong types fail, absent fields are empty. */
function readClaims(payload: Record<string, unknown>): ReviewedClaims {
  const kubernetes = optionalRecord(payload['kubernetes.io']) ?? {}
  const serviceAccount = optionalRecord(kubernetes.serviceaccount) ?? {}
  const pod = optionalRecord(kubernetes.pod)
  const node = optionalRecord(kubernetes.node)
  return {
    audiences: readAudiences(payload.aud),
    expiresAtSeconds: optionalNumericDate(payload.exp),
    notBeforeSeconds: optionalNumericDate(payload.nbf),
    issuedAtSeconds: optionalNumericDate(payload.iat),
    jti: optionalString(payload.jti) ?? '',
    namespace: optionalString(kubernetes.namespace) ?? '',
    serviceAccount: {
      name: optionalString(serviceAccount.name) ?? '',
      uid: optionalString(serviceAccount.uid) ?? '',
    },
    pod:
      pod === undefined
        ? undefined
        : { name: optionalString(pod.name) ?? '', uid: optionalString(pod.uid) ?? '' },
    node:
      node === undefined
        ? undefined
        : { name: optionalString(node.name) ?? '', uid: optionalString(node.uid) },
  }
}

function readAudiences(value: unknown): string[] {
  if (value === undefined || value === null) return []
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value
  throw new ReviewFailure('square/go-jose/jwt: expected string or array value to unmarshal to Audience')
}

function optionalNumericDate(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number' && Number.isFinite(value)) return value
  throw new ReviewFailure('square/go-jose/jwt: expected number value to unmarshal to NumericDate')
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  throw new ReviewFailure('json: cannot unmarshal into Go value of type string')
}

function optionalRecord(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined
  if (isRecord(value)) return value
  throw new ReviewFailure('json: cannot unmarshal into Go struct field')
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Strict base64url (no padding, as Go's RawURLEncoding) of a JSON document; undefined if not one. */
function decodeJsonSegment(segment: string): unknown {
  if (!base64UrlPattern.test(segment) || segment.length % 4 === 1) return undefined
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

/** utilerrors.NewAggregate(...).Error(): duplicates dropped, one message bare, several in brackets. */
function aggregateErrors(messages: string[]): string {
  const unique = [...new Set(messages)]
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`
}

/** Go's `%q` of a []string: `["a" "b"]`. */
function goQuoted(values: string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(' ')}]`
}

function rfc3339Seconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
