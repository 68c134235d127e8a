/**
 * @module
 * Delivery by callback: the wrapped token is pushed to the pod that asked for it, at
 * `https://<podIP>:<port>/v1/deliver`, over a TLS connection pinned to the certificate vault-init
 * named in its authenticated request. There is no CA and no hostname to check: the pin is the
 * whole trust decision, so it is checked (in constant time) on the raw connection BEFORE a single
 * byte of the request is written; only then does HTTP/1.1 run over that verified socket.
 *
 * Connect and total timeouts are short and well inside the wrap TTL: the caller revokes what it
 * minted whenever delivery fails, and the init container is waiting for the outcome.
 *
 * @see packages/protocol/src/callback.ts for the wire contract.
 */
import { timingSafeEqual } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { createSecureContext, type SecureContext, type TLSSocket, connect as tlsConnect } from 'node:tls'
import {
  certificateSha256,
  DELIVER_PATH,
  type DeliveryErrorCode,
  isDeliveryErrorCode,
  JSON_CONTENT_TYPE,
  parseDeliverAccepted,
  parseErrorBody,
  type WrapInfo,
} from '@vault-controller/protocol'
import type { Secret } from '../secret.ts'

/** Larger answers are not read: a valid one is under 300 bytes. */
const MAX_ANSWER_BYTES = 16_384

let sharedContext: SecureContext | undefined

/** The TLS client context of deliveries: no CA and no client certificate, so one fits all. */
function callbackContext(): SecureContext {
  sharedContext ??= createSecureContext({ minVersion: 'TLSv1.2' })
  return sharedContext
}

export interface CallbackTarget {
  podIp: string
  port: number
  /** SHA-256 of the DER certificate the listener must present, lowercase hex. */
  certSha256: string
}

export interface CallbackDelivery {
  target: CallbackTarget
  requestId: string
  /** `wrapInfo` without its token, which travels separately as a {@link Secret}. */
  wrapInfo: Omit<WrapInfo, 'token'>
  wrappingToken: Secret
  connectTimeoutMs: number
  totalTimeoutMs: number
  signal?: AbortSignal
}

/** Why a delivery failed; `vaultInitCode` when vault-init refused with a `VI_…` code. */
export type DeliveryFailureKind =
  | 'connect'
  | 'certificate-mismatch'
  | 'timeout'
  | 'aborted'
  | 'refused'
  | 'bad-answer'
  | 'accessor-mismatch'

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError'
  readonly kind: DeliveryFailureKind
  readonly vaultInitCode: DeliveryErrorCode | undefined
  constructor(
    kind: DeliveryFailureKind,
    message: string,
    options: { cause?: unknown; vaultInitCode?: DeliveryErrorCode } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.kind = kind
    this.vaultInitCode = options.vaultInitCode
  }
}

/** Whether `der` hashes to `expectedSha256` (hex), compared in constant time. */
export function certificateMatches(der: Uint8Array, expectedSha256: string): boolean {
  const actual = Buffer.from(certificateSha256(der), 'hex')
  const expected = Buffer.from(expectedSha256, 'hex')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/**
 * Delivers and resolves with vault-init's confirmation (the unwrapped token's accessor, already
 * checked against `wrapInfo.wrappedAccessor`), or rejects with a {@link DeliveryError}.
 */
export function deliverByCallback(delivery: CallbackDelivery): Promise<{ tokenAccessor: string }> {
  const { target } = delivery
  return new Promise((resolve, reject) => {
    let settled = false
    let socket: TLSSocket | undefined
    const timers: NodeJS.Timeout[] = []
    const finish = (outcome: { tokenAccessor: string } | DeliveryError) => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      delivery.signal?.removeEventListener('abort', onAbort)
      if (outcome instanceof DeliveryError) {
        socket?.destroy()
        reject(outcome)
      } else {
        socket?.end()
        resolve(outcome)
      }
    }
    const onAbort = () =>
      finish(new DeliveryError('aborted', 'delivery aborted: the request deadline passed'))
    if (delivery.signal?.aborted) return onAbort()
    delivery.signal?.addEventListener('abort', onAbort, { once: true })
    timers.push(
      setTimeout(
        () =>
          finish(
            new DeliveryError('timeout', `no answer from the callback within ${delivery.totalTimeoutMs} ms`),
          ),
        delivery.totalTimeoutMs,
      ),
    )
    timers.push(
      // Cleared once the TLS handshake is done.
      setTimeout(
        () =>
          finish(
            new DeliveryError(
              'timeout',
              `no TLS connection to the callback within ${delivery.connectTimeoutMs} ms`,
            ),
          ),
        delivery.connectTimeoutMs,
      ),
    )

    socket = tlsConnect({
      host: target.podIp,
      port: target.port,
      // The pin below is the trust decision; there is no CA for an ephemeral self-signed certificate.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      // One context for every delivery: building one per connection was a visible CPU cost.
      secureContext: callbackContext(),
    })
    socket.once('error', (error) =>
      finish(
        new DeliveryError('connect', `cannot connect to the callback: ${error.message}`, { cause: error }),
      ),
    )
    socket.once('secureConnect', () => {
      const verified = socket as TLSSocket
      const der = verified.getPeerCertificate().raw
      if (der === undefined || !certificateMatches(der, target.certSha256)) {
        finish(
          new DeliveryError(
            'certificate-mismatch',
            'the callback presented a certificate other than the pinned one',
          ),
        )
        return
      }
      clearTimeout(timers[1])
      send(verified)
    })

    function send(verified: TLSSocket) {
      const body = JSON.stringify({
        requestId: delivery.requestId,
        wrapInfo: { ...delivery.wrapInfo, token: delivery.wrappingToken.reveal() },
      })
      const request = httpRequest({
        createConnection: () => verified,
        method: 'POST',
        path: DELIVER_PATH,
        host: target.podIp,
        port: target.port,
        headers: {
          'content-type': JSON_CONTENT_TYPE,
          'content-length': Buffer.byteLength(body),
          accept: JSON_CONTENT_TYPE,
          connection: 'close',
        },
      })
      request.once('error', (error) =>
        finish(
          new DeliveryError('connect', `the callback connection failed: ${error.message}`, { cause: error }),
        ),
      )
      request.once('response', (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_ANSWER_BYTES) {
            finish(new DeliveryError('bad-answer', 'the callback answer is too large'))
            return
          }
          chunks.push(chunk)
        })
        response.once('error', (error) =>
          finish(
            new DeliveryError('connect', `the callback answer broke off: ${error.message}`, { cause: error }),
          ),
        )
        response.once('end', () =>
          finish(interpret(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))),
        )
      })
      request.end(body)
    }

    function interpret(status: number, text: string): { tokenAccessor: string } | DeliveryError {
      let answer: unknown
      try {
        answer = JSON.parse(text)
      } catch {
        return new DeliveryError('bad-answer', `the callback answered HTTP ${status} without a JSON body`)
      }
      if (status !== 200) {
        const refusal = parseErrorBody(answer)
        const code = refusal.ok ? refusal.value.error.code : undefined
        if (code !== undefined && isDeliveryErrorCode(code)) {
          return new DeliveryError(
            'refused',
            `vault-init refused the delivery with ${code} (HTTP ${status})`,
            {
              vaultInitCode: code,
            },
          )
        }
        return new DeliveryError('bad-answer', `the callback answered HTTP ${status}`)
      }
      const accepted = parseDeliverAccepted(answer)
      if (!accepted.ok || accepted.value.requestId !== delivery.requestId) {
        return new DeliveryError('bad-answer', 'the callback answer is not a valid delivery confirmation')
      }
      if (accepted.value.tokenAccessor !== delivery.wrapInfo.wrappedAccessor) {
        return new DeliveryError(
          'accessor-mismatch',
          'vault-init unwrapped a token other than the one delivered',
        )
      }
      return { tokenAccessor: accepted.value.tokenAccessor }
    }
  })
}
