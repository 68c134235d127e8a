/**
 * @module
 * TTL arithmetic shared by token creation, renewal and logins: Vault's `CalculateTTL`
 * (spec §3.5, §7.2). Periods escape the default TTL but not the effective max; an explicit
 * max TTL counts from the token's issue time.
 */
import { formatGoDuration } from './duration.ts'
import { MOUNT_DEFAULT_TTL_SECONDS, MOUNT_MAX_TTL_SECONDS } from './vault-state.ts'

export interface TtlInput {
  /** Requested TTL (creation) or increment (renewal); 0 = none. */
  requestedSeconds: number
  /** Used when nothing is requested (a token's creation TTL on renewal, a role's token_ttl). */
  fallbackSeconds?: number
  periodSeconds: number
  explicitMaxTtlSeconds: number
  /** The auth method's own max (0 = the mount's). */
  backendMaxTtlSeconds?: number
  issueTimeMs: number
  nowMs: number
}

export interface TtlResult {
  ttlSeconds: number
  warnings: string[]
}

export function calculateTtl(input: TtlInput): TtlResult {
  const warnings: string[] = []
  let maxTtlSeconds = MOUNT_MAX_TTL_SECONDS
  const backendMax = input.backendMaxTtlSeconds ?? 0
  if (backendMax > 0 && backendMax < maxTtlSeconds) maxTtlSeconds = backendMax
  if (input.explicitMaxTtlSeconds > 0 && input.explicitMaxTtlSeconds < maxTtlSeconds) {
    maxTtlSeconds = input.explicitMaxTtlSeconds
  }
  const elapsedSeconds = Math.max(0, Math.floor((input.nowMs - input.issueTimeMs) / 1000))

  if (input.periodSeconds > 0) {
    let periodSeconds = input.periodSeconds
    if (periodSeconds > maxTtlSeconds) {
      warnings.push(
        `period of "${formatGoDuration(periodSeconds)}" exceeded the effective max_ttl of "${formatGoDuration(maxTtlSeconds)}"; period value is capped accordingly`,
      )
      periodSeconds = maxTtlSeconds
    }
    let ttlSeconds = periodSeconds
    if (input.explicitMaxTtlSeconds > 0) {
      ttlSeconds = Math.min(ttlSeconds, Math.max(0, input.explicitMaxTtlSeconds - elapsedSeconds))
    }
    return { ttlSeconds, warnings }
  }

  let ttlSeconds =
    input.requestedSeconds > 0
      ? input.requestedSeconds
      : input.fallbackSeconds && input.fallbackSeconds > 0
        ? input.fallbackSeconds
        : MOUNT_DEFAULT_TTL_SECONDS
  const remainingSeconds = Math.max(0, maxTtlSeconds - elapsedSeconds)
  if (ttlSeconds > remainingSeconds) {
    warnings.push(
      `TTL of "${formatGoDuration(ttlSeconds)}" exceeded the effective max_ttl of "${formatGoDuration(remainingSeconds)}"; TTL value is capped accordingly`,
    )
    ttlSeconds = remainingSeconds
  }
  return { ttlSeconds, warnings }
}
