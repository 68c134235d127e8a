/**
 * @module
 * Delivery: the controller pushes the wrapped token to the pod that asked for it.
 *
 * `POST https://<podIP>:<callback.port>/v1/deliver`, `Content-Type: application/json`, body
 * {@link DeliverRequest}. The controller's TLS client accepts exactly one certificate: the one
 * whose DER SHA-256 equals `callback.certSha256` from the token request (no CA, no hostname
 * check). So the wrapping token goes only to the process that made the request, on the pod's
 * own IP.
 *
 * vault-init unwraps, checks that the token was minted for its pod, writes the files, then
 * answers 200 {@link DeliverAccepted} with the unwrapped token's accessor, which the controller
 * compares with `wrapInfo.wrappedAccessor`. A refusal is an `ErrorBody` with a `VI_…` code.
 * The path is versioned like `/v1/token`, so a future protocol can add `/v2/deliver` to the
 * same listener.
 */
import { createHash } from 'node:crypto'
import { type Static, Type } from 'typebox'
import { RequestId } from './error-body.ts'
import { compileParser } from './validation.ts'
import { Accessor, WrapInfo } from './wrap-info.ts'

/** The route on vault-init's callback listener. */
export const DELIVER_PATH = '/v1/deliver'

export const DeliverRequest = Type.Object(
  { requestId: RequestId, wrapInfo: WrapInfo },
  { additionalProperties: false },
)
export type DeliverRequest = Static<typeof DeliverRequest>

/** Validates a delivery body (vault-init's side). */
export const parseDeliverRequest = compileParser(DeliverRequest)

/** 200: unwrapped and written; `tokenAccessor` is the unwrapped token's accessor. */
export const DeliverAccepted = Type.Object(
  { status: Type.Literal('accepted'), requestId: RequestId, tokenAccessor: Accessor },
  { additionalProperties: false },
)
export type DeliverAccepted = Static<typeof DeliverAccepted>

/** Validates a 200 answer to a delivery (the controller's side). */
export const parseDeliverAccepted = compileParser(DeliverAccepted)

/** The URL the controller delivers to; IPv6 pod IPs are bracketed. */
export function deliverUrl(podIp: string, port: number): string {
  const host = podIp.includes(':') ? `[${podIp}]` : podIp
  return `https://${host}:${port}${DELIVER_PATH}`
}

/**
 * SHA-256 of a DER-encoded certificate as `certSha256` spells it (lowercase hex). vault-init
 * hashes the certificate it serves; the controller hashes the peer certificate it is shown
 * (`tlsSocket.getPeerCertificate().raw`) and compares.
 */
export function certificateSha256(derBytes: Uint8Array): string {
  return createHash('sha256').update(derBytes).digest('hex')
}
