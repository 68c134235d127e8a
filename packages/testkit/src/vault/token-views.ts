/**
 * @module
 * How a token entry is shown on the wire: the `auth` block of creations, logins and renewals
 * (spec §1.2, §7.2) and the `data` of lookups (spec §7.1).
 */
import type { AuthBlock } from './route.ts'
import type { TokenEntry } from './token-store.ts'
import { rfc3339Nano, unixSeconds } from './wire-format.ts'

export function authBlock(entry: TokenEntry, clientToken: string, leaseSeconds: number): AuthBlock {
  return {
    client_token: clientToken,
    accessor: entry.accessor,
    policies: [...entry.policies],
    token_policies: [...entry.policies],
    metadata: entry.meta ? { ...entry.meta } : null,
    lease_duration: leaseSeconds,
    renewable: entry.renewable,
    entity_id: entry.entityId,
    token_type: 'service',
    orphan: entry.parentId === '',
    mfa_requirement: null,
    num_uses: entry.numUses,
  }
}

/** Remaining whole seconds (rounded up, so a live token never shows 0). */
export function remainingTtlSeconds(entry: TokenEntry, nowMs: number): number {
  if (entry.expireAtMs === 0) return 0
  return Math.max(0, Math.ceil((entry.expireAtMs - nowMs) / 1000))
}

export function lookupData(entry: TokenEntry, shownId: string, nowMs: number): Record<string, unknown> {
  const issueTimeMs = Math.floor(entry.creationTimeMs / 1000) * 1000
  const data: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: unixSeconds(entry.creationTimeMs),
    creation_ttl: entry.creationTtlSeconds,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireAtMs === 0 ? null : rfc3339Nano(entry.expireAtMs),
    explicit_max_ttl: entry.explicitMaxTtlSeconds,
    id: shownId,
    issue_time: rfc3339Nano(issueTimeMs),
    meta: entry.meta ? { ...entry.meta } : null,
    num_uses: entry.numUses,
    orphan: entry.parentId === '',
    path: entry.path,
    policies: [...entry.policies],
    renewable: entry.renewable,
    ttl: remainingTtlSeconds(entry, nowMs),
    type: 'service',
  }
  if (entry.periodSeconds > 0) data.period = entry.periodSeconds
  if (entry.role) data.role = entry.role
  if (entry.boundCidrs && entry.boundCidrs.length > 0) data.bound_cidrs = [...entry.boundCidrs]
  if (entry.lastRenewalMs !== undefined) {
    data.last_renewal_time = unixSeconds(entry.lastRenewalMs)
    data.last_renewal = rfc3339Nano(entry.lastRenewalMs)
  }
  return data
}
