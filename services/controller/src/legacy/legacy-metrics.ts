/**
 * @module
 * Legacy requests counted on their own, so a dashboard shows at a glance whether anything still
 * speaks the original protocol (the signal that LEGACY_PROTOCOL can be turned off). They are not
 * counted in `vault_controller_issuance_requests_total`, which is protocol v1's.
 */
import { Counter, type Registry } from 'prom-client'

export interface LegacyMetrics {
  /** One answered request: `accepted` (202) or the error code. */
  countRequest(outcome: string): void
  /** One finished push: `delivered` or `failed` (revoked). */
  countDelivery(outcome: 'delivered' | 'failed'): void
}

export function createLegacyMetrics(registry: Registry): LegacyMetrics {
  const requests = new Counter({
    name: 'vault_controller_legacy_requests_total',
    help: 'Requests in the original (legacy, unauthenticated) protocol, by outcome: "accepted" or the error code.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const deliveries = new Counter({
    name: 'vault_controller_legacy_deliveries_total',
    help: 'Legacy pushes to a pod by outcome: delivered, or failed (the token was revoked).',
    labelNames: ['outcome'],
    registers: [registry],
  })
  return {
    countRequest(outcome) {
      requests.inc({ outcome })
    },
    countDelivery(outcome) {
      deliveries.inc({ outcome })
    },
  }
}
