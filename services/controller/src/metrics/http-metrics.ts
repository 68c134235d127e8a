/**
 * @module
 * HTTP-level metrics: every answered request counted by method, route template, status and the
 * error code answered (`OK` for a success), and timed; and the `/metrics` route that serves the
 * registry in Prometheus' text format. The route template (`/v1/token`), never the URL, is the
 * label, so a scanner probing random paths adds one series (`unmatched`), not one per path.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Metrics } from './metrics.ts'

/** The error code each failed request answered, noted by the error handler. */
const answeredCodes = new WeakMap<FastifyRequest, string>()

/** Notes the error code `request` is answered with (the error handler, `/readyz`). */
export function noteErrorCode(request: FastifyRequest, code: string): void {
  answeredCodes.set(request, code)
}

/** Counts and times every request answered by `app` (register at the root, before the routes). */
export function registerHttpMetrics(app: FastifyInstance, metrics: Pick<Metrics, 'countRequest'>): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.countRequest(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        code: answeredCodes.get(request) ?? (reply.statusCode < 400 ? 'OK' : 'UNKNOWN'),
      },
      reply.elapsedTime / 1000,
    )
  })
}

/** `GET /metrics`: the registry in Prometheus' text exposition format. */
export function metricsRoute(metrics: Pick<Metrics, 'registry'>) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/metrics', async (_request, reply) => {
      reply.type(metrics.registry.contentType)
      return metrics.registry.metrics()
    })
  }
}
