/**
 * @module
 * Request ids: every log line of a request carries `reqId`, every error body its `requestId`,
 * and the answer its `X-Request-Id` header. The id is always ours (`req-<uuid>`): it also names
 * the issuance the request makes (the pod's issuance record, the audit line), where it must be
 * unique and not chosen by the caller. An incoming `X-Request-Id` (from an ingress or a mesh) that
 * is sane (short, plain characters) is kept beside it in every log line of the request as
 * `upstreamRequestId`, so one request can still be followed across hops.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify'

export const REQUEST_ID_HEADER = 'x-request-id'

/** Letters, digits and `._:-`, at most 128: safe in logs and headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Fastify's `genReqId`: a new, unique id. */
export function requestIdOf(): string {
  return `req-${randomUUID()}`
}

/** The caller's `X-Request-Id` when it is sane, else undefined (never logged as sent). */
export function upstreamRequestIdOf(request: Pick<IncomingMessage, 'headers'>): string | undefined {
  const incoming = request.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : undefined
}

/** Fastify's `childLoggerFactory`: the request's logger, with the upstream id when there is one. */
export const requestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger: FastifyBaseLogger,
  bindings,
  options,
  rawRequest,
) => {
  const upstream = upstreamRequestIdOf(rawRequest)
  return logger.child(
    upstream === undefined ? bindings : { ...bindings, upstreamRequestId: upstream },
    options,
  )
}

/** Echoes the request id on every answer (register at the root, before the routes). */
export function registerRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
  })
}
