/**
 * @module
 * The allow-list decision: given a verified pod identity and its annotations, which policies and
 * which period may its token get? Pure and synchronous, so it is cheap (thousands of decisions per
 * second), trivially testable, and the same input always gets the same answer.
 *
 * Order of checks (the first failure answers):
 * 1. the policies annotation: missing/empty/malformed, `root` (own reason), `response-wrapping`;
 * 2. the TTL annotation, when present: a Vault duration of at least one whole second;
 * 3. the first rule (file order) whose namespace and service-account globs match; none → denied;
 * 4. every requested policy except `default` must match one of that rule's policy globs;
 * 5. the TTL: per-token rules take the annotation (or the rule's default) up to the rule's max — a
 *    larger request is refused, never capped; fixed rules accept no TTL or exactly their period.
 * Input problems come before the rule lookup, so a malformed request gets the same answer wherever it
 * comes from; `root` is refused before anything else looks at the request.
 *
 * Denial messages are meant for the caller: they name the namespace, service account, policies, the
 * rule and its limits, and never anything secret.
 */

import type { AllowList, AllowListRule } from './load-allow-list.ts'
import {
  DEFAULT_POLICY,
  POLICIES_ANNOTATION,
  ROOT_POLICY,
  readPoliciesAnnotation,
  TTL_ANNOTATION,
} from './policy-names.ts'
import { DurationSyntaxError, describeDuration, parseVaultDurationSeconds } from './vault-duration.ts'

/** What `decide()` needs to know about the pod, all of it already verified by the caller. */
export interface PodRequestFacts {
  namespace: string
  serviceAccount: string
  annotations: Record<string, string | undefined>
}

/** Why a request was denied. The controller maps each reason to a protocol error code. */
export type DenialReason =
  | 'no-matching-rule'
  | 'policy-not-allowed'
  | 'root-forbidden'
  | 'ttl-above-max'
  | 'ttl-not-allowed'
  | 'invalid-policies-annotation'
  | 'invalid-ttl-annotation'

/** Every denial reason, for exhaustive mappings and tests. */
export const DENIAL_REASONS: readonly DenialReason[] = Object.freeze([
  'no-matching-rule',
  'policy-not-allowed',
  'root-forbidden',
  'ttl-above-max',
  'ttl-not-allowed',
  'invalid-policies-annotation',
  'invalid-ttl-annotation',
])

/** How the token's period is set in Vault. */
export type GrantedPeriod =
  /** Send `period: formatVaultDuration(seconds)` on the create call (needs sudo on the role's create path). */
  | { kind: 'per-token'; seconds: number }
  /** Send no `period` (nor `ttl`): the role's own `token_period`, which is `seconds`, applies. */
  | { kind: 'role'; seconds: number }

export interface Allowed {
  allowed: true
  /** Name of the rule that decided. */
  rule: string
  /**
   * The policies to send to Vault: the pod's normalised request (trimmed, lowercased, deduplicated,
   * sorted). Never empty, never `root` or `response-wrapping`. `default` is included only if the pod
   * asked for it; Vault attaches it to role tokens anyway. Never send an empty list instead: a role
   * then grants its whole allowed list.
   */
  policies: string[]
  /** The token's period in seconds (the same as `period.seconds`). */
  ttlSeconds: number
  period: GrantedPeriod
  /** The rule's token role; absent means the controller's configured role. */
  tokenRole?: string
}

export interface Denied {
  allowed: false
  /** The rule that refused, when one matched. */
  rule?: string
  reason: DenialReason
  /** Safe to show the caller: names policies and limits, never anything secret. */
  message: string
}

export type Decision = Allowed | Denied

/** Decides whether this pod may have a token, with which policies and which period. */
export function decide(allowList: AllowList, facts: PodRequestFacts): Decision {
  const reading = readPoliciesAnnotation(facts.annotations[POLICIES_ANNOTATION])
  if (!reading.ok) {
    const reason =
      reading.problem === 'root'
        ? 'root-forbidden'
        : reading.problem === 'not-assignable'
          ? 'policy-not-allowed'
          : 'invalid-policies-annotation'
    return { allowed: false, reason, message: reading.message }
  }
  const policies = [...reading.policies]

  const ttlText = facts.annotations[TTL_ANNOTATION]
  let requestedSeconds: number | undefined
  if (ttlText !== undefined) {
    try {
      requestedSeconds = parseVaultDurationSeconds(ttlText)
    } catch (error) {
      if (!(error instanceof DurationSyntaxError)) throw error
      return {
        allowed: false,
        reason: 'invalid-ttl-annotation',
        message: `annotation ${TTL_ANNOTATION}: ${error.message}; expected a Vault duration such as "1h", "90m" or "3600" (seconds)`,
      }
    }
  }

  const identity = `namespace ${JSON.stringify(facts.namespace)}, service account ${JSON.stringify(facts.serviceAccount)}`
  const rule = allowList.findRule(facts.namespace, facts.serviceAccount)
  if (rule === undefined) {
    return {
      allowed: false,
      reason: 'no-matching-rule',
      message: `no allow-list rule matches ${identity}; nothing is granted by default`,
    }
  }

  // Root is refused above already; the guard stays here so the invariant does not rest on one check.
  const refused = policies.filter(
    (policy) => policy === ROOT_POLICY || (policy !== DEFAULT_POLICY && !rule.allowsPolicy(policy)),
  )
  if (refused.length > 0) {
    const names = refused.map((policy) => JSON.stringify(policy)).join(', ')
    return {
      allowed: false,
      rule: rule.name,
      reason: refused.includes(ROOT_POLICY) ? 'root-forbidden' : 'policy-not-allowed',
      message: `${refused.length === 1 ? 'policy' : 'policies'} ${names} not allowed for ${identity} by rule ${JSON.stringify(rule.name)}`,
    }
  }

  return decideTtl(rule, requestedSeconds, policies)
}

function decideTtl(rule: AllowListRule, requestedSeconds: number | undefined, policies: string[]): Decision {
  const tokenRole = rule.tokenRole === undefined ? {} : { tokenRole: rule.tokenRole }
  if (rule.ttl.kind === 'fixed') {
    const fixedSeconds = rule.ttl.seconds
    if (requestedSeconds !== undefined && requestedSeconds !== fixedSeconds) {
      return {
        allowed: false,
        rule: rule.name,
        reason: 'ttl-not-allowed',
        message:
          `rule ${JSON.stringify(rule.name)} grants a fixed TTL of ${describeDuration(fixedSeconds)}; ` +
          `the pod asked for ${describeDuration(requestedSeconds)} (omit ${TTL_ANNOTATION} or set it to ${describeDuration(fixedSeconds)})`,
      }
    }
    return {
      allowed: true,
      rule: rule.name,
      policies,
      ttlSeconds: fixedSeconds,
      period: { kind: 'role', seconds: fixedSeconds },
      ...tokenRole,
    }
  }

  const ttlSeconds = requestedSeconds ?? rule.ttl.defaultSeconds
  if (ttlSeconds > rule.ttl.maxSeconds) {
    return {
      allowed: false,
      rule: rule.name,
      reason: 'ttl-above-max',
      message:
        `the pod asked for a TTL of ${describeDuration(ttlSeconds)}; rule ${JSON.stringify(rule.name)} ` +
        `allows at most ${describeDuration(rule.ttl.maxSeconds)}`,
    }
  }
  return {
    allowed: true,
    rule: rule.name,
    policies,
    ttlSeconds,
    period: { kind: 'per-token', seconds: ttlSeconds },
    ...tokenRole,
  }
}
