/**
 * @module
 * `buildApp(deps, config)`: the controller as a Fastify instance, wired and ready to `inject` or
 * `listen` (it never listens itself; `server.ts` does). This is the only file that knows every
 * room, and it holds the one error handler: every failure leaves as the protocol's error body
 * with a stable code, the status and `Retry-After` of that code, and a message that never
 * repeats a token or a Vault or Kubernetes answer.
 *
 * Layout of the routes (see STYLE §4, under-pressure and liveness):
 * - `/livez` at the root, no checks: a Vault outage must not get every replica restarted;
 * - `/readyz` and `/metrics` at the root: readiness names its failing checks (routes/health.ts);
 * - one child plugin with the Vault gate (plugins/vault-pressure.ts), the rate limiter and `/v1/*`:
 *   with Vault down, `/readyz` and `/v1/token` answer 503 and `/livez` still 200.
 */
import { type ErrorCode, errorBody, errorCodes, RETRY_AFTER_HEADER } from '@vault-controller/protocol'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { AuditLog } from './audit/audit-log.ts'
import type { Config } from './config.ts'
import { deliverByCallback } from './delivery/callback.ts'
import { BrokerError } from './errors.ts'
import type { PodTokenVerifier } from './identity/pod-identity.ts'
import type { IssuanceDeps } from './issuance/issue-token.ts'
import type { KubeClient } from './kube/kube-client.ts'
import { legacyRoute } from './legacy/legacy-route.ts'
import { metricsRoute, noteErrorCode, registerHttpMetrics } from './metrics/http-metrics.ts'
import { createMetrics, type Metrics } from './metrics/metrics.ts'
import { registerRateLimit } from './plugins/rate-limit.ts'
import { registerRequestIdHeader, requestIdOf, requestLogger } from './plugins/request-id.ts'
import { CachedProbe, registerVaultPressure, vaultHealthProbe } from './plugins/vault-pressure.ts'
import type { AllowList } from './policy/index.ts'
import { livezRoute, type Readiness, readyzRoute } from './routes/health.ts'
import { tokenRoute } from './routes/token.ts'
import type { VaultClient } from './vault/vault-client.ts'
import type { VaultTokenSource } from './vault/vault-token-source.ts'

/** Second layer of secret hygiene (the first is the `Secret` type): never log these paths. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-vault-token"]',
  'token',
  '*.token',
  '*.*.token',
  '*.client_token',
  '*.*.client_token',
  'wrappingToken',
  '*.wrappingToken',
  '*.wrappedToken',
  '*.jwt',
  '*.secret_id',
]

export interface AppDeps {
  kube: Pick<KubeClient, 'readPod' | 'mergePatchPod' | 'createPodEvent'>
  vault: Pick<VaultClient, 'createWrappedToken' | 'revokeAccessor' | 'lookupAccessor' | 'health'>
  /** The controller's own Vault token: readiness needs a usable one; its TTL is a metric. */
  vaultIdentity?: Pick<VaultTokenSource, 'status' | 'settled' | 'useLogger'>
  verifier: PodTokenVerifier
  /** The allow-list in force. */
  allowList: () => AllowList
  audit: AuditLog
  metrics?: Metrics
  clock?: { now(): number }
  /** Default: the pinned HTTPS callback. */
  deliver?: IssuanceDeps['deliver']
  /** Flipped by `server.ts` when shutdown starts. */
  readiness?: Readiness
  /** How long a passing Vault health check is trusted (a failing one is re-checked within 1 s); default 5 s. */
  healthCheckIntervalMs?: number
}

export interface AppOptions {
  /** Where log lines go (tests capture them); default stdout. */
  logStream?: { write(line: string): void }
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: { cert: string; key: string }
}

export async function buildApp(
  deps: AppDeps,
  config: Config,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const clock = deps.clock ?? { now: Date.now }
  const metrics = deps.metrics ?? createMetrics()
  const readiness = deps.readiness ?? { shuttingDown: false }

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { censor: '[REDACTED]', paths: LOG_REDACT_PATHS },
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
    genReqId: requestIdOf,
    requestIdHeader: false,
    childLoggerFactory: requestLogger,
    // The deadline of /v1/token is its own handlerTimeout; this bounds a slow client.
    requestTimeout: config.limits.requestDeadlineMs + 10_000,
    ...(options.https === undefined ? {} : { https: options.https }),
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = asBrokerError(error)
    noteErrorCode(request, failure.code)
    if (failure.statusCode >= 500) request.log.error({ err: error, code: failure.code }, failure.message)
    else request.log.info({ code: failure.code }, failure.message)
    if (failure.retryAfterSeconds !== undefined)
      reply.header(RETRY_AFTER_HEADER, String(failure.retryAfterSeconds))
    // Below 500 the message explains the refusal to the caller; above, the catalogue's line is
    // enough (details are in the log, the audit line and the pod's Events).
    const message = failure.statusCode >= 500 ? errorCodes[failure.code].description : failure.message
    return reply.code(failure.statusCode).send(errorBody(failure.code, message, request.id))
  })
  // The original init container sends `Content-Type:` with no value; Fastify would answer 415 to
  // any route, even a missing one. An empty type is no type (legacy/, docs/migration.md).
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-type']?.trim() === '') delete request.headers['content-type']
  })
  app.setNotFoundHandler((request, reply) => {
    noteErrorCode(request, 'VC_ROUTE_NOT_FOUND')
    return reply.code(404).send(errorBody('VC_ROUTE_NOT_FOUND', 'no such route', request.id))
  })
  // --- health, metrics, request ids (docs/observability.md) ---
  registerRequestIdHeader(app)
  registerHttpMetrics(app, metrics)
  const healthCheckIntervalMs = deps.healthCheckIntervalMs ?? 5000
  const vaultHealth = vaultHealthProbe(deps.vault, { freshForMs: healthCheckIntervalMs })
  const verifierReady = deps.verifier.ready?.bind(deps.verifier)
  const jwks =
    verifierReady === undefined || config.identity.mode !== 'jwks'
      ? undefined
      : new CachedProbe(verifierReady, { freshForMs: healthCheckIntervalMs })
  // --- end of health, metrics, request ids ---

  // --- the controller's own Vault identity ---
  const vaultIdentity = deps.vaultIdentity
  if (vaultIdentity !== undefined) {
    vaultIdentity.useLogger(app.log.child({ component: 'vault-identity' }))
    metrics.trackVaultTokenTtl(() => vaultIdentity.status().ttlSeconds)
  }
  // --- end of the controller's own Vault identity ---

  const issuance: IssuanceDeps & { metrics: Metrics } = {
    kube: deps.kube,
    vault: deps.vault,
    deliver: deps.deliver ?? deliverByCallback,
    allowList: deps.allowList,
    audit: deps.audit,
    metrics,
    clock,
    log: app.log,
    settings: {
      controllerId: config.controllerId,
      tokenRole: config.vault.tokenRole,
      wrapTtlSeconds: config.vault.wrapTtlSeconds,
      deliveryMode: config.delivery.mode,
      // Longer than any request holding it can live (its deadline plus its cleanup).
      claimTtlMs: config.limits.requestDeadlineMs + 2 * config.vault.requestTimeoutMs + 30_000,
      callback: {
        connectTimeoutMs: config.delivery.connectTimeoutMs,
        totalTimeoutMs: config.delivery.totalTimeoutMs,
      },
    },
  }

  await app.register(livezRoute)
  await app.register(
    readyzRoute({
      readiness,
      vaultHealth,
      ...(vaultIdentity === undefined ? {} : { vaultToken: tokenUsable(vaultIdentity) }),
      ...(jwks === undefined ? {} : { jwks }),
    }),
  )
  await app.register(metricsRoute(metrics))
  await app.register(async (v1) => {
    await registerVaultPressure(v1, {
      vaultHealth,
      ...(vaultIdentity === undefined ? {} : { tokenUsable: tokenUsable(vaultIdentity) }),
    })
    await registerRateLimit(v1)
    await v1.register(
      tokenRoute({
        verifier: deps.verifier,
        requestDeadlineMs: config.limits.requestDeadlineMs,
        rateLimit: config.limits.rateLimit,
        maxConcurrentIssuances: config.limits.maxConcurrentIssuances,
        issuance,
      }),
    )
  })
  // --- legacy protocol (legacy/, off by default) ---
  if (config.legacy.enabled) {
    await app.register(
      legacyRoute({
        issuance,
        requestDeadlineMs: config.limits.requestDeadlineMs,
        rateLimit: config.limits.rateLimit,
        callback: { port: config.legacy.callbackPort, totalTimeoutMs: config.legacy.callbackTimeoutMs },
        checkCallerIp: config.legacy.checkCallerIp,
        asBrokerError,
      }),
    )
  }
  // --- end of legacy protocol ---
  return app
}

/** A usable token now, or else once the login in flight (if any) has ended. */
function tokenUsable(identity: Pick<VaultTokenSource, 'status' | 'settled'>): () => Promise<boolean> {
  return async () => identity.status().usable || identity.settled()
}

/** Fastify's own errors (parsing, limits, deadline) in the protocol's vocabulary. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'VC_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'VC_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VC_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VC_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VC_BAD_REQUEST',
  FST_ERR_HANDLER_TIMEOUT: 'VC_DEADLINE_EXCEEDED',
}

const fastifyMessages: Partial<Record<ErrorCode, string>> = {
  VC_UNSUPPORTED_MEDIA_TYPE: 'Content-Type must be application/json',
  VC_BODY_TOO_LARGE: 'request body too large',
  VC_BAD_REQUEST: 'request body is not valid JSON',
  VC_DEADLINE_EXCEEDED: 'the request deadline passed',
  VC_RATE_LIMITED: 'too many requests',
  VC_ROUTE_NOT_FOUND: 'no such route',
  VC_INTERNAL: 'internal error',
}

export function asBrokerError(error: FastifyError): BrokerError {
  if (error instanceof BrokerError) return error
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500
  const code: ErrorCode =
    fastifyCodes[error.code] ??
    (status === 429
      ? 'VC_RATE_LIMITED'
      : status === 404
        ? 'VC_ROUTE_NOT_FOUND'
        : status >= 400 && status < 500
          ? 'VC_BAD_REQUEST'
          : 'VC_INTERNAL')
  return new BrokerError(code, fastifyMessages[code] ?? 'internal error')
}
