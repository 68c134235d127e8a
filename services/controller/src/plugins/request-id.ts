/**
 * @module
 * Request ids: every log line of a request carries `reqId`, every error body its `requestId`,
 * and the answer its `X-Request-Id` header. An incoming `X-Request-Id` (from an ingress or a mesh)
 * is kept when it is sane (short, plain characters), so one id follows a request across hops;
 * otherwise a new `req-<uuid>` is made.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'

export const REQUEST_ID_HEADER = 'x-request-id'

/** Letters, digits and `._:-`, at most 128: safe in logs, headers and the issuance record. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Fastify's `genReqId`: the caller's sane `X-Request-Id`, or a new one. */
export function requestIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const incoming = request.headers[REQUEST_ID_HEADER]
  if (typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming)) return incoming
  return `req-${randomUUID()}`
}

/** Echoes the request id on every answer (register at the root, before the routes). */
export function registerRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
  })
}
