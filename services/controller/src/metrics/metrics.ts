/**
 * @module
 * The controller's metrics on their own prom-client registry (no global state, so every app built
 * in a test has its own): HTTP requests and issuances by outcome and code, how long a request and
 * each of its stages take, every call to Vault and to the Kubernetes API, revocations, the
 * controller's own Vault token TTL, issuances in flight, and prom-client's process metrics.
 * Every label is bounded (routes, codes, stages, operations, verbs); never a pod name, an
 * accessor or a token. docs/observability.md lists them all.
 *
 * The call sites stay small: `startStage`, `startVaultCall`, `startKubeCall` return a function to
 * call when the work ends (with a failure kind, if it failed).
 */
import { type ErrorCode, errorCodes, httpStatusOf } from '@vault-controller/protocol'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** Stages of a token request (identity happens in the route, the rest in issuance/). */
export type IssuanceStage =
  | 'identity'
  | 'pod_lookup'
  | 'decide'
  | 'claim'
  | 'vault'
  | 'callback'
  | 'record'
  | 'revoke'

/** What the controller asks Vault, as a metric label (vault-transport.ts derives it from the path). */
export type VaultOperation =
  | 'token_create'
  | 'revoke_accessor'
  | 'lookup_accessor'
  | 'health'
  | 'login'
  | 'renew_self'
  | 'lookup_self'
  | 'other'

/** How a finished issuance ended: `issued`, refused (4xx) or failed (5xx). */
export type IssuanceOutcome = 'issued' | 'denied' | 'failed'

/** Ends a timed call: no argument when it succeeded, else a bounded failure kind (`503`, `network`). */
export type EndCall = (failure?: string) => void

export interface Metrics {
  readonly registry: Registry
  /** One answered HTTP request; `code` is the error code answered, or `OK`. */
  countRequest(labels: { method: string; route: string; status: number; code: string }, seconds: number): void
  /** One issuance started (in flight until `endIssuance`). */
  startIssuance(): (outcome: IssuanceOutcome, code: string) => void
  /** One finished issuance not timed by `startIssuance`: `issued` or the error code answered. */
  countIssuance(outcome: string): void
  /** Starts timing a stage; call the result when it ends. */
  startStage(stage: IssuanceStage): () => void
  /** Starts timing one Vault call. */
  startVaultCall(operation: VaultOperation): EndCall
  /** Starts timing one Kubernetes API call (`get`/`pods`, `patch`/`pods`, `create`/`events`, …). */
  startKubeCall(verb: string, resource: string): EndCall
  /** One pod's revocation finished: `revoked`, `nothing_to_revoke`, `gone` or `gave_up`. */
  countRevocation(outcome: string): void
  /** One revocation attempt failed and will be retried. */
  countRevocationRetry(): void
  setRevocationQueueDepth(depth: number): void
  /** Reports the TTL of the controller's own Vault token (seconds; +Inf: never expires; 0: none). */
  trackVaultTokenTtl(read: () => number): void
  /** A changed allow-list or TLS file was applied, or refused (reload/). */
  countConfigReload(file: 'allow-list' | 'tls', outcome: 'applied' | 'rejected'): void
  /** Reports the allow-list in force: the SHA-256 of its file and its generation (reload/). */
  trackAllowList(read: () => { sha256: string; generation: number }): void
}

export interface MetricsOptions {
  /** prom-client's process and Node.js metrics (`process_*`, `nodejs_*`); default true. */
  processMetrics?: boolean
}

/** Latency buckets (seconds) shared by requests, stages and calls. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

const PREFIX = 'vault_controller_'

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry()
  const registers = [registry]
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry })

  const requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by method, route template, status and code (the error code, or OK).',
    labelNames: ['method', 'route', 'status', 'code'],
    registers,
  })
  const requestSeconds = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Time to answer an HTTP request, by method and route template.',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const issuances = new Counter({
    name: `${PREFIX}issuance_requests_total`,
    help: 'Token requests that reached issuance (identity verified), by outcome (issued, denied, failed) and code.',
    labelNames: ['outcome', 'code'],
    registers,
  })
  const issuanceSeconds = new Histogram({
    name: `${PREFIX}issuance_duration_seconds`,
    help: 'Time of a whole issuance (after identity: pod lookup, claim, Vault, callback, record), by outcome.',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const inFlight = new Gauge({
    name: `${PREFIX}issuances_in_flight`,
    help: 'Issuances in progress on this replica.',
    registers,
  })
  const stages = new Histogram({
    name: `${PREFIX}issuance_stage_seconds`,
    help: 'Time spent in each stage of a token request: identity, pod_lookup, decide, claim, vault, callback, record, revoke.',
    labelNames: ['stage'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const vaultCalls = new Counter({
    name: `${PREFIX}vault_requests_total`,
    help: 'Calls to Vault, by operation.',
    labelNames: ['operation'],
    registers,
  })
  const vaultErrors = new Counter({
    name: `${PREFIX}vault_request_errors_total`,
    help: 'Failed calls to Vault, by operation and kind (the HTTP status, or network).',
    labelNames: ['operation', 'kind'],
    registers,
  })
  const vaultSeconds = new Histogram({
    name: `${PREFIX}vault_request_duration_seconds`,
    help: 'Latency of calls to Vault, by operation.',
    labelNames: ['operation'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const kubeCalls = new Counter({
    name: `${PREFIX}kube_requests_total`,
    help: 'Calls to the Kubernetes API, by verb and resource.',
    labelNames: ['verb', 'resource'],
    registers,
  })
  const kubeErrors = new Counter({
    name: `${PREFIX}kube_request_errors_total`,
    help: 'Failed calls to the Kubernetes API, by verb, resource and kind (the HTTP status, or network).',
    labelNames: ['verb', 'resource', 'kind'],
    registers,
  })
  const kubeSeconds = new Histogram({
    name: `${PREFIX}kube_request_duration_seconds`,
    help: 'Latency of calls to the Kubernetes API, by verb and resource.',
    labelNames: ['verb', 'resource'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  let readVaultTokenTtl: (() => number) | undefined
  new Gauge({
    name: `${PREFIX}vault_token_ttl_seconds`,
    help: "Seconds left on the controller's own Vault token (+Inf: never expires; 0: it holds none).",
    registers,
    collect() {
      if (readVaultTokenTtl !== undefined) this.set(readVaultTokenTtl())
    },
  })
  const revocations = new Counter({
    name: `${PREFIX}revocations_total`,
    help: 'Pods whose token revocation finished, by outcome: revoked, nothing_to_revoke, gone, gave_up.',
    labelNames: ['outcome'],
    registers,
  })
  const revocationRetries = new Counter({
    name: `${PREFIX}revocation_retries_total`,
    help: 'Revocation attempts that failed and were retried (Vault or Kubernetes trouble).',
    registers,
  })
  const revocationQueueDepth = new Gauge({
    name: `${PREFIX}revocation_queue_depth`,
    help: 'Pods waiting for (or in) revocation on this replica.',
    registers,
  })

  // --- config reload (reload/) ---
  const configReloads = new Counter({
    name: `${PREFIX}config_reloads_total`,
    help: 'Changed allow-list or TLS files, by file (allow-list, tls) and outcome (applied, rejected).',
    labelNames: ['file', 'outcome'],
    registers,
  })
  let readAllowList: (() => { sha256: string; generation: number }) | undefined
  new Gauge({
    name: `${PREFIX}allow_list_generation`,
    help: 'The allow-list in force: its generation (1 at start, +1 per reload), labelled with the SHA-256 of its file.',
    labelNames: ['sha256'],
    registers,
    collect() {
      if (readAllowList === undefined) return
      const { sha256, generation } = readAllowList()
      this.reset()
      this.set({ sha256 }, generation)
    },
  })
  // --- end of config reload ---

  return {
    registry,
    countRequest({ method, route, status, code }, seconds) {
      requests.inc({ method, route, status: String(status), code })
      requestSeconds.observe({ method, route }, seconds)
    },
    startIssuance() {
      inFlight.inc()
      const end = issuanceSeconds.startTimer()
      let ended = false
      return (outcome, code) => {
        if (ended) return
        ended = true
        inFlight.dec()
        end({ outcome })
        issuances.inc({ outcome, code })
      }
    },
    countIssuance(outcome) {
      if (outcome === 'issued') issuances.inc({ outcome, code: 'OK' })
      else issuances.inc({ outcome: outcomeOfCode(outcome), code: outcome })
    },
    startStage(stage) {
      return stages.startTimer({ stage })
    },
    startVaultCall(operation) {
      const end = vaultSeconds.startTimer({ operation })
      return (failure) => {
        end()
        vaultCalls.inc({ operation })
        if (failure !== undefined) vaultErrors.inc({ operation, kind: failure })
      }
    },
    startKubeCall(verb, resource) {
      const end = kubeSeconds.startTimer({ verb, resource })
      return (failure) => {
        end()
        kubeCalls.inc({ verb, resource })
        if (failure !== undefined) kubeErrors.inc({ verb, resource, kind: failure })
      }
    },
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
    countConfigReload(file, outcome) {
      configReloads.inc({ file, outcome })
    },
    trackAllowList(read) {
      readAllowList = read
    },
  }
}

/** `denied` for a refusal (a 4xx code), `failed` otherwise. */
export function outcomeOfCode(code: string): IssuanceOutcome {
  return code in errorCodes && httpStatusOf(code as ErrorCode) < 500 ? 'denied' : 'failed'
}

/** A failure kind for a metric label: the HTTP status when there is one, else `network`. */
export function failureKind(status: number | undefined): string {
  return status === undefined ? 'network' : String(status)
}
