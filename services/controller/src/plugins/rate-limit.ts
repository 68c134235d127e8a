/**
 * @module
 * @fastify/rate-limit, registered without a global limit: the token route sets its own, keyed on
 * the verified pod identity (namespace and service account) and checked after verification, so
 * one namespace cannot spend another's budget. An exceeded limit is `429 VC_RATE_LIMITED` with
 * `Retry-After`, through the app's one error handler.
 *
 * @see https://github.com/fastify/fastify-rate-limit
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { BrokerError } from '../errors.ts'

export async function registerRateLimit(scope: FastifyInstance): Promise<void> {
  await scope.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new BrokerError('VC_RATE_LIMITED', 'too many token requests for this namespace and service account', {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  })
}
