/**
 * @module
 * Kubernetes probes. `/livez` says only that the process serves HTTP: it is registered at the root
 * with no checks, so a Vault outage never gets the controller restarted. `/readyz` lives beside
 * `/v1/*` under under-pressure, so it fails exactly when token requests would (Vault sealed or
 * unreachable), and while the replica is shutting down.
 */
import { ErrorBody } from '@vault-controller/protocol'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { BrokerError } from '../errors.ts'

const Ok = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })

export async function livezRoute(app: FastifyInstance): Promise<void> {
  app.get('/livez', { schema: { response: { 200: Ok } } }, async () => ({ status: 'ok' as const }))
}

export interface Readiness {
  /** Set when shutdown starts: the endpoints controller stops sending traffic here. */
  shuttingDown: boolean
}

export function readyzRoute(readiness: Readiness) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/readyz',
      { schema: { response: { 200: Ok, '4xx': ErrorBody, '5xx': ErrorBody } } },
      async () => {
        if (readiness.shuttingDown) throw new BrokerError('VC_SHUTTING_DOWN', 'this replica is shutting down')
        return { status: 'ok' as const }
      },
    )
  }
}
