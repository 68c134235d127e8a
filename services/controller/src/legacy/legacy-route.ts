/**
 * @module
 * The original protocol's one route (`specs/legacy-protocol.md` §2), registered only when
 * LEGACY_PROTOCOL is `enabled`: any method on exactly `/token`, `name` and `namespace` from the
 * query or a form body, `202` with an empty body once the token is minted and recorded, plain-text
 * errors. The token then goes to the pod in the background, by the original plain-HTTP push.
 *
 * Nothing here proves who is asking: anyone who reaches this route can have a token minted for any
 * pod that is still initialising, delivered to that pod's IP. What the v1 pipeline still enforces
 * (allow-list, one token per pod UID, records, revocation, hostNetwork and init-finished refusals)
 * is all the protection there is; see docs/migration.md.
 */

import {
  type ErrorCode,
  LEGACY_ERROR_CONTENT_TYPE,
  LEGACY_SUCCESS_STATUS,
  LEGACY_TOKEN_PATH,
  LEGACY_WRAP_TTL_SECONDS,
  RETRY_AFTER_HEADER,
} from '@vault-controller/protocol'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BrokerError } from '../errors.ts'
import { acceptLegacyRequest, type IssuanceDeps } from '../issuance/issue-token.ts'
import { noteErrorCode } from '../metrics/http-metrics.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { registerRateLimit } from '../plugins/rate-limit.ts'
import {
  invalidParameterAnswer,
  type LegacyAnswer,
  legacyErrorAnswer,
  missingNameAnswer,
} from './legacy-answers.ts'
import { createLegacyDeliver } from './legacy-callback.ts'
import { createLegacyMetrics } from './legacy-metrics.ts'
import { readLegacyRequest } from './legacy-request.ts'

/** The original init sends an empty body; a form body is a few hundred bytes at most. */
const MAX_LEGACY_BODY_BYTES = 4096

export interface LegacyRouteOptions {
  /** The v1 pipeline's dependencies: the same claim, mint, record and revoke. */
  issuance: IssuanceDeps & { metrics: Metrics }
  requestDeadlineMs: number
  /** Per caller address (there is no identity to key on). */
  rateLimit: { max: number; windowMs: number }
  callback: { port: number; totalTimeoutMs: number }
  /** Refuse requests that do not come from the pod's own IP (LEGACY_CHECK_CALLER_IP). */
  checkCallerIp: boolean
  /** Fastify's own errors (limits, deadline) as BrokerErrors (app.ts's `asBrokerError`). */
  asBrokerError: (error: FastifyError) => BrokerError
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Aborts when a legacy request's deadline passes. */
    legacyDeadline: AbortSignal | undefined
  }
}

/** `ip:port` as Go's `RemoteAddr` prints it (`[v6]:port`). */
export function remoteAddress(request: FastifyRequest): string {
  const ip = request.socket.remoteAddress ?? ''
  const port = request.socket.remotePort ?? 0
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

function send(reply: FastifyReply, answer: LegacyAnswer): FastifyReply {
  if (answer.retryAfterSeconds !== undefined) {
    reply.header(RETRY_AFTER_HEADER, String(answer.retryAfterSeconds))
  }
  return reply.code(answer.status).type(LEGACY_ERROR_CONTENT_TYPE).send(answer.body)
}

export function legacyRoute(options: LegacyRouteOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    app.log.warn(
      { protocol: 'legacy', callbackPort: options.callback.port },
      'LEGACY_PROTOCOL is enabled: POST /token mints tokens for unauthenticated callers (any pod still initialising); migrate to protocol v1 and disable it (docs/migration.md)',
    )
    const metrics = createLegacyMetrics(options.issuance.metrics.registry)
    const deps: IssuanceDeps = {
      ...options.issuance,
      settings: {
        ...options.issuance.settings,
        wrapTtlSeconds: LEGACY_WRAP_TTL_SECONDS,
        // The push happens after the answer: the claim must outlive it too.
        claimTtlMs: options.issuance.settings.claimTtlMs + options.callback.totalTimeoutMs,
      },
    }
    const deliver = createLegacyDeliver({
      kube: options.issuance.kube,
      port: options.callback.port,
      totalTimeoutMs: options.callback.totalTimeoutMs,
    })

    // Pushes outlive their requests; closing waits for them (each bounded by its timeout), so a
    // shutdown does not strand a minted token between "pushed" and "revoked".
    const pending = new Set<Promise<unknown>>()
    app.addHook('onClose', async () => {
      await Promise.allSettled([...pending])
    })

    app.decorateRequest('legacyDeadline', undefined)
    // Any body, any type (the original init sends `Content-Type:` empty); only forms are read.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const failure = options.asBrokerError(error)
      if (failure.statusCode >= 500) request.log.error({ err: error, code: failure.code }, failure.message)
      metrics.countRequest(failure.code)
      noteErrorCode(request, failure.code)
      return send(reply, legacyErrorAnswer(failure, ''))
    })
    await registerRateLimit(app)

    app.all(
      LEGACY_TOKEN_PATH,
      {
        bodyLimit: MAX_LEGACY_BODY_BYTES,
        handlerTimeout: options.requestDeadlineMs,
        config: {
          rateLimit: {
            max: options.rateLimit.max,
            timeWindow: options.rateLimit.windowMs,
            keyGenerator: (request: FastifyRequest) => `legacy-ip:${request.ip}`,
          },
        },
        onRequest: async (request) => {
          request.legacyDeadline = AbortSignal.timeout(options.requestDeadlineMs)
        },
      },
      async (request, reply) => {
        const reading = readLegacyRequest({
          method: request.method,
          url: request.url,
          contentType: request.headers['content-type'],
          body: typeof request.body === 'string' ? request.body : '',
        })
        if (!reading.ok) {
          metrics.countRequest('VC_BAD_REQUEST')
          return send(
            reply,
            reading.problem === 'missing-name'
              ? missingNameAnswer(remoteAddress(request))
              : invalidParameterAnswer(reading.message),
          )
        }
        const podRef = { namespace: reading.namespace, name: reading.name }
        try {
          const accepted = await acceptLegacyRequest(deps, {
            protocol: 'legacy',
            namespace: reading.namespace,
            name: reading.name,
            requestId: request.id,
            deliver,
            ...(options.checkCallerIp && request.socket.remoteAddress !== undefined
              ? { callerIp: request.socket.remoteAddress }
              : {}),
            ...(request.legacyDeadline === undefined ? {} : { signal: request.legacyDeadline }),
          })
          metrics.countRequest('accepted')
          const delivery = accepted.delivery.then((outcome) => metrics.countDelivery(outcome))
          pending.add(delivery)
          void delivery.finally(() => pending.delete(delivery))
          request.log.info(
            { protocol: 'legacy', pod: podRef, tokenAccessor: accepted.tokenAccessor },
            'legacy request accepted; pushing the token to the pod',
          )
          return reply.code(LEGACY_SUCCESS_STATUS).send()
        } catch (error) {
          if (!(error instanceof BrokerError)) throw error
          const code: ErrorCode = error.code
          metrics.countRequest(code)
          request.log.info({ protocol: 'legacy', pod: podRef, code }, error.message)
          return send(reply, legacyErrorAnswer(error, reading.name))
        }
      },
    )
  }
}
