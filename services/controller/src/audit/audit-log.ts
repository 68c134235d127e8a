/**
 * @module
 * The audit trail: one JSON line per decision, on its own stream (not the request log), with a
 * stable shape an auditor can query: who (pod namespace/name/UID, service account), what
 * (policies, TTL, rule), the outcome (`issued`, `denied` with its code, `delivery_failed`,
 * `failed`, `revoked`, `revoke_failed`) and the accessors that find the token in Vault's own
 * audit log. Never a token: every line is built field by field from plain values, nothing is
 * spread in.
 */

export type AuditDecision =
  | 'issued'
  | 'denied'
  | 'delivery_failed'
  | 'failed'
  | 'revoked'
  /** Revocation gave up after REVOCATION_GIVE_UP_AFTER: the named token may still be alive. */
  | 'revoke_failed'

export interface AuditEvent {
  decision: AuditDecision
  requestId: string
  /** The error code answered (every decision but `issued`). */
  code?: string
  /** Human-readable why; never secret. */
  message?: string
  pod: { namespace: string; name: string; uid?: string }
  serviceAccount?: string
  rule?: string
  policies?: readonly string[]
  ttlSeconds?: number
  tokenRole?: string
  deliveryMode?: string
  wrappingAccessor?: string
  tokenAccessor?: string
  /** After a failed delivery: whether the minted token is known to be revoked. */
  revoked?: boolean
  /** `legacy` for the original, unauthenticated protocol (`legacy/`); absent for protocol v1. */
  protocol?: 'legacy'
}

export interface AuditLog {
  record(event: AuditEvent): void
}

/** One audit line as written: the event plus its envelope (the shape tests and log pipelines parse). */
export type AuditLine = AuditEvent & { audit: typeof AUDIT_LINE_VERSION; time: string; controller: string }

/** Version of the line's shape; bumped only for incompatible changes. */
export const AUDIT_LINE_VERSION = 1

export function createAuditLog(options: {
  write: (line: string) => void
  controllerId: string
  now?: () => number
}): AuditLog {
  const now = options.now ?? Date.now
  return {
    record(event) {
      const line: Record<string, unknown> = {
        audit: AUDIT_LINE_VERSION,
        time: new Date(now()).toISOString(),
        controller: options.controllerId,
        decision: event.decision,
        requestId: event.requestId,
        pod: {
          namespace: event.pod.namespace,
          name: event.pod.name,
          ...(event.pod.uid === undefined ? {} : { uid: event.pod.uid }),
        },
      }
      const optional = {
        code: event.code,
        message: event.message,
        serviceAccount: event.serviceAccount,
        rule: event.rule,
        policies: event.policies === undefined ? undefined : [...event.policies],
        ttlSeconds: event.ttlSeconds,
        tokenRole: event.tokenRole,
        deliveryMode: event.deliveryMode,
        wrappingAccessor: event.wrappingAccessor,
        tokenAccessor: event.tokenAccessor,
        revoked: event.revoked,
        protocol: event.protocol,
      }
      for (const [key, value] of Object.entries(optional)) if (value !== undefined) line[key] = value
      options.write(`${JSON.stringify(line)}\n`)
    },
  }
}
