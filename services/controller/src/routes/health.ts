/**
 * @module
 * Kubernetes probes. `/livez` says only that the process serves HTTP: it is registered at the root
 * with no checks, so a Vault outage never gets the controller restarted. `/readyz` says whether
 * this replica can serve token requests now, and names the checks that fail:
 * - `vault`: Vault answers its health endpoint, initialised and unsealed;
 * - `vaultToken`: the controller holds a usable Vault token of its own;
 * - `jwks` (JWKS identity mode): the issuer is discovered and the signing keys are loaded;
 * - `revocationWatch`: the revocation watch has listed the managed pods once;
 * - `shutdown`: the replica is not shutting down.
 * Each is evaluated when asked (a check that costs a call is cached, see plugins/vault-pressure.ts),
 * so readiness turns as soon as every condition holds. The body never holds a token or a Vault or
 * Kubernetes answer: only check names and `ok`/`failing`.
 */
import { ErrorBody, type ErrorCode, errorBody, RETRY_AFTER_HEADER } from '@vault-controller/protocol'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { BrokerError } from '../errors.ts'
import { noteErrorCode } from '../metrics/http-metrics.ts'
import { type CachedProbe, within } from '../plugins/vault-pressure.ts'

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

export const CHECK_NAMES = ['shutdown', 'vault', 'vaultToken', 'jwks', 'revocationWatch'] as const
export type CheckName = (typeof CHECK_NAMES)[number]

/** What `/readyz` looks at; absent sources are not checked (and not listed). */
export interface ReadinessChecks {
  readiness: Readiness
  vaultHealth: CachedProbe
  /** The controller's own token, once a login in flight has ended (`VaultTokenSource.settled`). */
  vaultToken?: () => Promise<boolean>
  /** JWKS mode: discovery done and keys loaded. */
  jwks?: CachedProbe
}

/** How long a probe waits for a check that costs a call (Kubernetes' probe timeout is 1 s). */
export const PROBE_WAIT_MS = 900

export type CheckResults = Partial<Record<CheckName, boolean>>

/** Every check, now. */
export async function evaluateReadiness(checks: ReadinessChecks): Promise<CheckResults> {
  const [vault, vaultToken, jwks] = await Promise.all([
    checks.vaultHealth.current({ waitMs: PROBE_WAIT_MS }),
    checks.vaultToken === undefined
      ? undefined
      : within(checks.vaultToken(), PROBE_WAIT_MS).then((usable) => usable === true),
    checks.jwks?.current({ waitMs: PROBE_WAIT_MS }),
  ])
  const results: CheckResults = { shutdown: !checks.readiness.shuttingDown, vault }
  if (vaultToken !== undefined) results.vaultToken = vaultToken
  if (jwks !== undefined) results.jwks = jwks
  const synced = checks.readiness.watchSynced
  if (synced !== undefined) results.revocationWatch = synced()
  return results
}

const CheckState = Type.Union([Type.Literal('ok'), Type.Literal('failing')])
const Checks = Type.Object(
  {
    shutdown: Type.Optional(CheckState),
    vault: Type.Optional(CheckState),
    vaultToken: Type.Optional(CheckState),
    jwks: Type.Optional(CheckState),
    revocationWatch: Type.Optional(CheckState),
  },
  { additionalProperties: false },
)
const Ready = Type.Object({ status: Type.Literal('ok'), checks: Checks }, { additionalProperties: false })
const NotReady = Type.Object(
  {
    status: Type.Literal('unavailable'),
    failing: Type.Array(Type.Union(CHECK_NAMES.map((name) => Type.Literal(name)))),
    checks: Checks,
    error: ErrorBody.properties.error,
  },
  { additionalProperties: false },
)

/** The code of an unready answer: the most telling failing check. */
function codeOf(failing: readonly CheckName[]): ErrorCode {
  if (failing.includes('shutdown')) return 'VC_SHUTTING_DOWN'
  if (failing.includes('vault') || failing.includes('vaultToken')) return 'VC_VAULT_UNAVAILABLE'
  return 'VC_KUBE_UNAVAILABLE'
}

export function readyzRoute(checks: ReadinessChecks) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/readyz', { schema: { response: { 200: Ready, 503: NotReady } } }, async (request, reply) => {
      const results = await evaluateReadiness(checks)
      const states = Object.fromEntries(
        Object.entries(results).map(([name, ok]) => [name, ok ? 'ok' : 'failing']),
      )
      const failing = CHECK_NAMES.filter((name) => results[name] === false)
      if (failing.length === 0) return { status: 'ok' as const, checks: states }
      const failure = new BrokerError(codeOf(failing), `not ready: ${failing.join(', ')}`, {
        retryAfterSeconds: 2,
      })
      noteErrorCode(request, failure.code)
      if (failure.retryAfterSeconds !== undefined)
        reply.header(RETRY_AFTER_HEADER, String(failure.retryAfterSeconds))
      return reply.code(503).send({
        status: 'unavailable' as const,
        failing,
        checks: states,
        error: errorBody(failure.code, failure.message, request.id).error,
      })
    })
  }
}
