/**
 * @module
 * The token an auth method's login creates: an orphan service token whose policies, TTLs and
 * uses come from the method's role (the `token_*` fields every Vault auth method shares), tied
 * to an identity entity through the login's alias.
 */
import { parseDurationSeconds } from './duration.ts'
import { FieldDecodeError, fieldBool, fieldCommaList, fieldInt, fieldString } from './lenient-fields.ts'
import { sanitizePolicies } from './policy-names.ts'
import type { AuthBlock } from './route.ts'
import { calculateTtl } from './token-ttl.ts'
import { authBlock } from './token-views.ts'
import { badRequest } from './vault-error.ts'
import type { VaultState } from './vault-state.ts'

/** The `token_*` fields of an auth method role. */
export interface TokenParams {
  tokenPolicies: string[]
  tokenTtlSeconds: number
  tokenMaxTtlSeconds: number
  tokenPeriodSeconds: number
  tokenExplicitMaxTtlSeconds: number
  tokenNumUses: number
  tokenNoDefaultPolicy: boolean
  tokenType: string
  tokenBoundCidrs: string[]
}

export function defaultTokenParams(): TokenParams {
  return {
    tokenPolicies: [],
    tokenTtlSeconds: 0,
    tokenMaxTtlSeconds: 0,
    tokenPeriodSeconds: 0,
    tokenExplicitMaxTtlSeconds: 0,
    tokenNumUses: 0,
    tokenNoDefaultPolicy: false,
    tokenType: 'default',
    tokenBoundCidrs: [],
  }
}

export const TOKEN_PARAM_FIELDS = [
  'token_policies',
  'policies',
  'token_ttl',
  'ttl',
  'token_max_ttl',
  'max_ttl',
  'token_period',
  'period',
  'token_explicit_max_ttl',
  'token_num_uses',
  'num_uses',
  'token_no_default_policy',
  'token_type',
  'token_bound_cidrs',
  'bound_cidrs',
] as const

function pick(body: Record<string, unknown>, name: string, alias?: string): unknown {
  if (Object.hasOwn(body, name)) return body[name]
  if (alias !== undefined && Object.hasOwn(body, alias)) return body[alias]
  return undefined
}

function decoded<T>(decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    if (error instanceof FieldDecodeError) throw badRequest(error.message)
    throw badRequest((error as Error).message)
  }
}

/** Applies the token fields present in a role write to `params` (others keep their value). */
export function updateTokenParams(params: TokenParams, body: Record<string, unknown>): TokenParams {
  const next = { ...params }
  const policies = pick(body, 'token_policies', 'policies')
  if (policies !== undefined) next.tokenPolicies = decoded(() => fieldCommaList('token_policies', policies))
  const ttl = pick(body, 'token_ttl', 'ttl')
  if (ttl !== undefined) next.tokenTtlSeconds = decoded(() => parseDurationSeconds(ttl))
  const maxTtl = pick(body, 'token_max_ttl', 'max_ttl')
  if (maxTtl !== undefined) next.tokenMaxTtlSeconds = decoded(() => parseDurationSeconds(maxTtl))
  const period = pick(body, 'token_period', 'period')
  if (period !== undefined) next.tokenPeriodSeconds = decoded(() => parseDurationSeconds(period))
  const explicitMax = pick(body, 'token_explicit_max_ttl')
  if (explicitMax !== undefined)
    next.tokenExplicitMaxTtlSeconds = decoded(() => parseDurationSeconds(explicitMax))
  const numUses = pick(body, 'token_num_uses', 'num_uses')
  if (numUses !== undefined) next.tokenNumUses = decoded(() => fieldInt('token_num_uses', numUses))
  const noDefault = pick(body, 'token_no_default_policy')
  if (noDefault !== undefined)
    next.tokenNoDefaultPolicy = decoded(() => fieldBool('token_no_default_policy', noDefault))
  const type = pick(body, 'token_type')
  if (type !== undefined) {
    const value = decoded(() => fieldString('token_type', type))
    if (!['default', 'service', 'batch', 'default-service', 'default-batch'].includes(value)) {
      throw badRequest(`invalid 'token_type' value "${value}"`)
    }
    next.tokenType = value
  }
  const cidrs = pick(body, 'token_bound_cidrs', 'bound_cidrs')
  if (cidrs !== undefined) next.tokenBoundCidrs = decoded(() => fieldCommaList('token_bound_cidrs', cidrs))
  if (next.tokenTtlSeconds < 0 || next.tokenMaxTtlSeconds < 0 || next.tokenPeriodSeconds < 0) {
    throw badRequest('ttl, max_ttl and period cannot be negative')
  }
  if (next.tokenNumUses < 0) throw badRequest("'token_num_uses' cannot be negative")
  if (next.tokenMaxTtlSeconds > 0 && next.tokenTtlSeconds > next.tokenMaxTtlSeconds) {
    throw badRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
  }
  return next
}

/** The token fields as a role read shows them. */
export function tokenParamsData(params: TokenParams): Record<string, unknown> {
  return {
    token_policies: params.tokenPolicies,
    policies: params.tokenPolicies,
    token_ttl: params.tokenTtlSeconds,
    ttl: params.tokenTtlSeconds,
    token_max_ttl: params.tokenMaxTtlSeconds,
    max_ttl: params.tokenMaxTtlSeconds,
    token_period: params.tokenPeriodSeconds,
    period: params.tokenPeriodSeconds,
    token_explicit_max_ttl: params.tokenExplicitMaxTtlSeconds,
    token_num_uses: params.tokenNumUses,
    num_uses: params.tokenNumUses,
    token_no_default_policy: params.tokenNoDefaultPolicy,
    token_type: params.tokenType,
    token_bound_cidrs: params.tokenBoundCidrs,
    bound_cidrs: params.tokenBoundCidrs,
  }
}

export interface LoginRequest {
  /** `auth/kubernetes/`, the mount the login came through. */
  mountPath: string
  mountAccessor: string
  params: TokenParams
  metadata: Record<string, string>
  /** The method's display name, e.g. `team-a-web` (prefixed with the mount name). */
  displayName: string
  aliasName: string
}

export interface LoginResult {
  auth: AuthBlock
  warnings: string[]
}

/** Issues the login's token (spec §9.2 step 6, §9.3). */
export function issueLoginToken(state: VaultState, login: LoginRequest): LoginResult {
  const { params } = login
  const policies = sanitizePolicies(
    params.tokenNoDefaultPolicy ? params.tokenPolicies : [...params.tokenPolicies, 'default'],
  )
  const nowMs = state.clock.now()
  const { ttlSeconds, warnings } = calculateTtl({
    requestedSeconds: params.tokenTtlSeconds,
    periodSeconds: params.tokenPeriodSeconds,
    explicitMaxTtlSeconds: params.tokenExplicitMaxTtlSeconds,
    backendMaxTtlSeconds: params.tokenMaxTtlSeconds,
    issueTimeMs: nowMs,
    nowMs,
  })
  const mountName = login.mountPath
    .replace(/^auth\//, '')
    .replace(/\/$/, '')
    .replace(/\//g, '-')
  const displayName = login.displayName ? `${mountName}-${login.displayName}` : mountName
  const entry = state.tokens.create({
    parentId: '',
    policies,
    meta: login.metadata,
    displayName,
    path: `${login.mountPath}login`,
    numUses: params.tokenNumUses,
    creationTimeMs: nowMs,
    creationTtlSeconds: ttlSeconds,
    expireAtMs: ttlSeconds > 0 ? nowMs + ttlSeconds * 1000 : 0,
    explicitMaxTtlSeconds: params.tokenExplicitMaxTtlSeconds,
    periodSeconds: params.tokenPeriodSeconds,
    renewalPeriodSeconds: params.tokenPeriodSeconds,
    backendMaxTtlSeconds: params.tokenMaxTtlSeconds,
    renewable: true,
    role: '',
    entityId: state.entityFor(login.mountAccessor, login.aliasName),
    boundCidrs: params.tokenBoundCidrs.length > 0 ? params.tokenBoundCidrs : undefined,
    wrapped: undefined,
  })
  return { auth: authBlock(entry, entry.id, ttlSeconds), warnings }
}
