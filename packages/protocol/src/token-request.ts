/**
 * @module
 * `POST /v1/token`: vault-init asks the controller for its pod's token.
 *
 * The caller proves who it is with `Authorization: Bearer <projected service-account token>`
 * (audience `DEFAULT_AUDIENCE` unless configured); the body names the pod and the pinned
 * callback. The controller answers only once the outcome is known:
 * - `200 {status: 'delivered', …}`: the wrapped token was pushed to the callback and vault-init
 *   confirmed it (accessors only, nothing secret);
 * - `200 {status: 'wrapped', wrapInfo, …}`: response-body delivery mode, for networks that block
 *   controller → pod traffic; vault-init unwraps `wrapInfo.token` itself;
 * - otherwise an `ErrorBody` with a `VC_…` code.
 *
 * vault-init always sends `callback`, whichever delivery mode the controller runs, so it needs no
 * configuration to match; in response-body mode the controller ignores it.
 */
import { type Static, Type } from 'typebox'
import { RequestId } from './error-body.ts'
import { NamespaceName, PodName } from './kubernetes-names.ts'
import { compileParser, type ParseResult } from './validation.ts'
import { Accessor, WrapInfo } from './wrap-info.ts'

/** The route. */
export const TOKEN_PATH = '/v1/token'

/** Header carrying the pod's projected service-account token, with scheme {@link BEARER_SCHEME}. */
export const AUTHORIZATION_HEADER = 'authorization'
export const BEARER_SCHEME = 'Bearer'

/** Both directions of protocol v1 speak JSON only. */
export const JSON_CONTENT_TYPE = 'application/json'

/** SHA-256 of the DER certificate the callback listener presents: 64 lowercase hex digits. */
export const CertificateSha256 = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** A TCP port. */
export const Port = Type.Integer({ minimum: 1, maximum: 65_535 })

export const TokenRequest = Type.Object(
  {
    namespace: NamespaceName,
    name: PodName,
    callback: Type.Object({ port: Port, certSha256: CertificateSha256 }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)
export type TokenRequest = Static<typeof TokenRequest>

/** Validates a token request body. */
export const parseTokenRequest = compileParser(TokenRequest)

/** Vault policy names as granted (normalised: trimmed, lowercase, deduplicated). */
export const GrantedPolicies = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
})

/** The token's period in seconds. */
export const TtlSeconds = Type.Integer({ minimum: 1 })

/** Delivered through the callback and confirmed by vault-init. */
export const TokenDelivered = Type.Object(
  {
    status: Type.Literal('delivered'),
    requestId: RequestId,
    wrappingAccessor: Accessor,
    tokenAccessor: Accessor,
    policies: GrantedPolicies,
    ttlSeconds: TtlSeconds,
  },
  { additionalProperties: false },
)
export type TokenDelivered = Static<typeof TokenDelivered>

/** Response-body delivery mode: the single-use, short-lived wrapping token is in the answer. */
export const TokenWrapped = Type.Object(
  {
    status: Type.Literal('wrapped'),
    requestId: RequestId,
    wrapInfo: WrapInfo,
    policies: GrantedPolicies,
    ttlSeconds: TtlSeconds,
  },
  { additionalProperties: false },
)
export type TokenWrapped = Static<typeof TokenWrapped>

/** Any 200 answer to `POST /v1/token`; branch on `status`. */
export const TokenResponse = Type.Union([TokenDelivered, TokenWrapped])
export type TokenResponse = Static<typeof TokenResponse>

const parseDelivered = compileParser(TokenDelivered)
const parseWrapped = compileParser(TokenWrapped)

/** Validates a 200 answer (vault-init's side), with errors for the variant its `status` names. */
export function parseTokenResponse(body: unknown): ParseResult<TokenResponse> {
  const status = typeof body === 'object' && body !== null ? (body as { status?: unknown }).status : undefined
  if (status === 'wrapped') return parseWrapped(body)
  if (status === 'delivered') return parseDelivered(body)
  return { ok: false, errors: ["status: must be 'delivered' or 'wrapped'"] }
}
