/**
 * @module
 * The controller's domain metrics on their own prom-client registry (no global state, so every
 * app built in a test has its own): issuance outcomes by code, how long each stage takes, and
 * revocations by outcome with the depth of their queue.
 * Labels are bounded (codes, stages); never a pod name, never a token.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export type IssuanceStage = 'identity' | 'decide' | 'claim' | 'mint' | 'deliver' | 'record' | 'revoke'

export interface Metrics {
  readonly registry: Registry
  /** One finished request: `outcome` is `issued` or the error code. */
  countIssuance(outcome: string): void
  /** Starts timing a stage; call the result when it ends. */
  startStage(stage: IssuanceStage): () => void
  /** One pod's revocation finished: `revoked`, `nothing_to_revoke`, `gone` or `gave_up`. */
  countRevocation(outcome: string): void
  /** One revocation attempt failed and will be retried. */
  countRevocationRetry(): void
  setRevocationQueueDepth(depth: number): void
  /** Reports the TTL of the controller's own Vault token (seconds; +Inf: never expires; 0: none). */
  trackVaultTokenTtl(read: () => number): void
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  const issuance = new Counter({
    name: 'vault_controller_issuance_requests_total',
    help: 'Token requests by outcome: "issued" or the error code answered.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const stages = new Histogram({
    name: 'vault_controller_issuance_stage_seconds',
    help: 'Time spent in each stage of a token request.',
    labelNames: ['stage'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  let readVaultTokenTtl: (() => number) | undefined
  new Gauge({
    name: 'vault_controller_vault_token_ttl_seconds',
    help: "Seconds left on the controller's own Vault token (+Inf: never expires; 0: it holds none).",
    registers: [registry],
    collect() {
      if (readVaultTokenTtl !== undefined) this.set(readVaultTokenTtl())
    },
  })
  const revocations = new Counter({
    name: 'vault_controller_revocations_total',
    help: 'Pods whose token revocation finished, by outcome: revoked, nothing_to_revoke, gone, gave_up.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const revocationRetries = new Counter({
    name: 'vault_controller_revocation_retries_total',
    help: 'Revocation attempts that failed and were retried (Vault or Kubernetes trouble).',
    registers: [registry],
  })
  const revocationQueueDepth = new Gauge({
    name: 'vault_controller_revocation_queue_depth',
    help: 'Pods waiting for (or in) revocation on this replica.',
    registers: [registry],
  })
  return {
    registry,
    countRevocation(outcome) {
      revocations.inc({ outcome })
    },
    countRevocationRetry() {
      revocationRetries.inc()
    },
    setRevocationQueueDepth(depth) {
      revocationQueueDepth.set(depth)
    },
    trackVaultTokenTtl(read) {
      readVaultTokenTtl = read
    },
    countIssuance(outcome) {
      issuance.inc({ outcome })
    },
    startStage(stage) {
      return stages.startTimer({ stage })
    },
  }
}
