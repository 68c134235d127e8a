/**
 * @module
 * vault-init's HTTPS callback listener: the controller pushes the wrapped token here,
 * `POST /v1/deliver`, over TLS pinned to the certificate made at start. Only that route, only
 * JSON bodies within `MAX_DELIVER_REQUEST_BYTES`; every refusal is a protocol `ErrorBody` with
 * a `VI_…` code. Deliveries pass through a {@link SingleDelivery} gate: the first valid one
 * wins, concurrent and later ones get `409 VI_ALREADY_DELIVERED` and are not unwrapped.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  DELIVER_PATH,
  type DeliverAccepted,
  type DeliverRequest,
  type DeliveryErrorCode,
  deliveryErrorCodes,
  errorBody,
  JSON_CONTENT_TYPE,
  MAX_DELIVER_REQUEST_BYTES,
  parseDeliverRequest,
  RETRY_AFTER_HEADER,
} from '@vault-controller/protocol'
import type { CallbackCertificate } from './callback-certificate.ts'
import type { Logger } from './logger.ts'
import type { SingleDelivery } from './single-delivery.ts'

/** What handling one delivery came to. */
export type DeliveryAnswer =
  | { status: 'accepted'; tokenAccessor: string }
  | { status: 'refused'; code: DeliveryErrorCode; message: string }

export interface CallbackServerOptions {
  host: string
  port: number
  certificate: CallbackCertificate
  gate: SingleDelivery
  onDelivery: (delivery: DeliverRequest) => Promise<DeliveryAnswer>
  logger: Logger
}

export interface CallbackServer {
  /** The bound port (useful with port 0). */
  port: number
  close(): Promise<void>
}

/** Seconds the controller should wait before pushing a still-unused wrapping token again. */
const RETRY_AFTER_SECONDS = '1'

/** How long `close()` lets in-flight answers finish. */
const CLOSE_GRACE_MS = 2_000

/** Starts listening; rejects if the address or port cannot be bound. */
export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const { certificate, logger } = options
  const server: Server = createServer(
    {
      key: certificate.keyPem,
      cert: certificate.certPem,
      minVersion: 'TLSv1.2',
      requestTimeout: 30_000,
      headersTimeout: 10_000,
    },
    (request, response) => {
      handle(request, response, options).catch((error: unknown) => {
        logger.error('callback handler failed', { error })
        if (!response.headersSent) answerError(response, 'VI_INTERNAL', 'internal error', newRequestId())
        else response.destroy()
      })
    },
  )
  server.on('tlsClientError', (error) => logger.debug('callback TLS handshake failed', { error }))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  logger.info('callback listener ready', { address: options.host, port, certSha256: certificate.certSha256 })
  return {
    port,
    // Answers being written (a refusal that ends the run) go out first; stragglers are cut.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref()
      }),
  }
}

async function handle(request: IncomingMessage, response: ServerResponse, options: CallbackServerOptions) {
  const path = (request.url ?? '').split('?')[0]
  if (path !== DELIVER_PATH || request.method !== 'POST') {
    request.resume()
    return answerError(
      response,
      'VI_ROUTE_NOT_FOUND',
      `no route ${request.method ?? ''} ${path ?? ''}`,
      newRequestId(),
    )
  }
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType !== JSON_CONTENT_TYPE) {
    request.resume()
    return answerError(
      response,
      'VI_UNSUPPORTED_MEDIA_TYPE',
      'Content-Type must be application/json',
      newRequestId(),
    )
  }
  const body = await readLimitedBody(request, MAX_DELIVER_REQUEST_BYTES)
  if (body === undefined) {
    response.setHeader('connection', 'close')
    return answerError(
      response,
      'VI_BODY_TOO_LARGE',
      `body larger than ${MAX_DELIVER_REQUEST_BYTES} bytes`,
      newRequestId(),
    )
  }
  let json: unknown
  try {
    json = JSON.parse(body.toString('utf8'))
  } catch {
    return answerError(response, 'VI_BAD_REQUEST', 'body is not valid JSON', newRequestId())
  }
  const parsed = parseDeliverRequest(json)
  if (!parsed.ok) {
    return answerError(
      response,
      'VI_BAD_REQUEST',
      `invalid delivery: ${parsed.errors.join('; ')}`,
      newRequestId(),
    )
  }
  const delivery = parsed.value
  const log = { requestId: delivery.requestId, wrappingAccessor: delivery.wrapInfo.accessor }
  if (!options.gate.tryBegin()) {
    options.logger.warn('delivery refused: a token was already received or is being processed', log)
    return answerError(
      response,
      'VI_ALREADY_DELIVERED',
      'a token was already received or is being processed; this one was not unwrapped',
      delivery.requestId,
    )
  }
  let answer: DeliveryAnswer
  try {
    options.logger.info('delivery received', log)
    answer = await options.onDelivery(delivery)
  } catch (error) {
    options.gate.finish(false)
    throw error
  }
  options.gate.finish(answer.status === 'accepted')
  if (answer.status === 'refused')
    return answerError(response, answer.code, answer.message, delivery.requestId)
  const accepted: DeliverAccepted = {
    status: 'accepted',
    requestId: delivery.requestId,
    tokenAccessor: answer.tokenAccessor,
  }
  answerJson(response, 200, accepted)
}

/** The body, or undefined once it exceeds `limitBytes` (the rest is drained, not buffered). */
function readLimitedBody(request: IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > limitBytes) {
    request.resume()
    return Promise.resolve(undefined)
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limitBytes) chunks.push(chunk)
    })
    request.on('end', () => resolve(size > limitBytes ? undefined : Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

function answerError(response: ServerResponse, code: DeliveryErrorCode, message: string, requestId: string) {
  const info = deliveryErrorCodes[code]
  if (info.retryable) response.setHeader(RETRY_AFTER_HEADER, RETRY_AFTER_SECONDS)
  answerJson(response, info.status, errorBody(code, message, requestId))
}

function answerJson(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  response.end(text)
}

/** For refusals of requests that carry no usable request id. */
function newRequestId(): string {
  return `vi-${randomBytes(6).toString('hex')}`
}
