/**
 * @module
 * The controller's domain metrics on their own prom-client registry (no global state, so every
 * app built in a test has its own): issuance outcomes by code, and how long each stage takes.
 * Labels are bounded (codes, stages); never a pod name, never a token.
 */
import { Counter, Histogram, Registry } from 'prom-client'

export type IssuanceStage = 'identity' | 'decide' | 'claim' | 'mint' | 'deliver' | 'record' | 'revoke'

export interface Metrics {
  readonly registry: Registry
  /** One finished request: `outcome` is `issued` or the error code. */
  countIssuance(outcome: string): void
  /** Starts timing a stage; call the result when it ends. */
  startStage(stage: IssuanceStage): () => void
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
  return {
    registry,
    countIssuance(outcome) {
      issuance.inc({ outcome })
    },
    startStage(stage) {
      return stages.startTimer({ stage })
    },
  }
}
