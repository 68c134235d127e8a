/**
 * @module
 * Kubernetes probes. `/livez` says only that the process serves HTTP: it is registered at the root
 * with no checks, so a Vault outage never gets the controller restarted. `/readyz` lives beside
 * `/v1/*` under under-pressure, so it fails exactly when token requests would (Vault sealed or
 * unreachable), while the replica is shutting down, and until the revocation watch has synced.
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
  /**
   * The revocation watch has listed the managed pods once (revocation/). Not ready before: a
   * replica that cannot watch deletions must not hand out tokens it could not revoke.
   */
  watchSynced?: () => boolean
}

export function readyzRoute(readiness: Readiness) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/readyz',
      { schema: { response: { 200: Ok, '4xx': ErrorBody, '5xx': ErrorBody } } },
      async () => {
        if (readiness.shuttingDown) throw new BrokerError('VC_SHUTTING_DOWN', 'this replica is shutting down')
        if (readiness.watchSynced?.() === false) {
          throw new BrokerError('VC_KUBE_UNAVAILABLE', 'the pod watch has not listed the managed pods yet', {
            retryAfterSeconds: 2,
          })
        }
        return { status: 'ok' as const }
      },
    )
  }
}
