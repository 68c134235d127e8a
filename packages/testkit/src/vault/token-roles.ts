/**
 * @module
 * Token roles (spec §4): how a token without sudo mints tokens whose policies are not a
 * subset of its own. This file holds the role record and the CRUD endpoints under
 * `auth/token/roles`; what a role does to token creation lives in token-create.ts.
 */
import { parseDurationSeconds } from './duration.ts'
import { FieldDecodeError, fieldBool, fieldInt, fieldString } from './lenient-fields.ts'
import { lowercaseUniqueSorted, normalizePolicyList, sanitizePolicies } from './policy-names.ts'
import { EMPTY, type HandlerResult, logical, type RequestContext, type Route } from './route.ts'
import { badRequest, notFound } from './vault-error.ts'
import { MOUNT_MAX_TTL_SECONDS, type VaultState } from './vault-state.ts'

export type RoleTokenType = 'service' | 'batch' | 'default-service' | 'default-batch'

export interface TokenRole {
  name: string
  allowedPolicies: string[]
  disallowedPolicies: string[]
  allowedPoliciesGlob: string[]
  disallowedPoliciesGlob: string[]
  orphan: boolean
  renewable: boolean
  pathSuffix: string
  allowedEntityAliases: string[] | null
  tokenPeriodSeconds: number
  /** Non-zero only when written through the deprecated `period`. */
  periodSeconds: number
  tokenExplicitMaxTtlSeconds: number
  /** Non-zero only when written through the deprecated `explicit_max_ttl`. */
  explicitMaxTtlSeconds: number
  tokenType: RoleTokenType
  tokenNoDefaultPolicy: boolean
  tokenBoundCidrs: string[] | undefined
  boundCidrs: string[] | undefined
  tokenNumUses: number
}

/** Role names as the route accepts them (spec §3.1). */
export const ROLE_NAME_PATTERN = String.raw`\w(?:[\w.-]*\w)?`

const ROLE_FIELDS = [
  'role_name',
  'allowed_policies',
  'disallowed_policies',
  'allowed_policies_glob',
  'disallowed_policies_glob',
  'orphan',
  'renewable',
  'path_suffix',
  'allowed_entity_aliases',
  'token_period',
  'period',
  'token_explicit_max_ttl',
  'explicit_max_ttl',
  'token_type',
  'token_no_default_policy',
  'token_bound_cidrs',
  'bound_cidrs',
  'token_num_uses',
] as const

const ROLE_TOKEN_TYPES: readonly string[] = ['service', 'batch', 'default-service', 'default-batch']

function newRole(name: string): TokenRole {
  return {
    name,
    allowedPolicies: [],
    disallowedPolicies: [],
    allowedPoliciesGlob: [],
    disallowedPoliciesGlob: [],
    orphan: false,
    renewable: true,
    pathSuffix: '',
    allowedEntityAliases: null,
    tokenPeriodSeconds: 0,
    periodSeconds: 0,
    tokenExplicitMaxTtlSeconds: 0,
    explicitMaxTtlSeconds: 0,
    tokenType: 'default-service',
    tokenNoDefaultPolicy: false,
    tokenBoundCidrs: undefined,
    boundCidrs: undefined,
    tokenNumUses: 0,
  }
}

function listField(name: string, value: unknown): string[] {
  try {
    return normalizePolicyList(value, { field: name })
  } catch (error) {
    throw badRequest((error as Error).message)
  }
}

function durationField(value: unknown): number {
  try {
    return parseDurationSeconds(value)
  } catch (error) {
    throw badRequest((error as Error).message)
  }
}

function decodeField<T>(decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    if (error instanceof FieldDecodeError) throw badRequest(error.message)
    throw error
  }
}

const CIDR = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)(?:\/\d{1,3})?$/

function cidrList(name: string, value: unknown): string[] {
  const cidrs = listField(name, value)
  for (const cidr of cidrs) {
    if (!CIDR.test(cidr)) throw badRequest(`error parsing role fields: invalid CIDR address: ${cidr}`)
  }
  return cidrs
}

function has(body: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(body, key)
}

function writeRole(state: VaultState, ctx: RequestContext): HandlerResult {
  const name = ctx.params.role_name ?? ''
  const body = ctx.body
  const existing = state.roles.get(name)
  const role: TokenRole = existing ? { ...existing } : newRole(name)
  const warnings: string[] = []

  if (has(body, 'orphan')) role.orphan = decodeField(() => fieldBool('orphan', body.orphan))
  if (has(body, 'renewable')) role.renewable = decodeField(() => fieldBool('renewable', body.renewable))
  if (has(body, 'path_suffix')) {
    const suffix = decodeField(() => fieldString('path_suffix', body.path_suffix)).trim()
    if (suffix !== '') {
      if (!/\w[\w.-]+\w/.test(suffix)) {
        throw badRequest(
          String.raw`given role path suffix contains invalid characters; must match \w[\w-.]+\w`,
        )
      }
      if (suffix.includes('..')) {
        throw badRequest('error registering path suffix: path cannot contain parent references')
      }
    }
    role.pathSuffix = suffix
  }
  if (has(body, 'allowed_entity_aliases')) {
    role.allowedEntityAliases = lowercaseUniqueSorted(
      listField('allowed_entity_aliases', body.allowed_entity_aliases),
    )
  }

  // Token fields with their deprecated aliases.
  if (has(body, 'token_period')) {
    if (has(body, 'period')) {
      warnings.push(
        "Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value",
      )
    }
    role.tokenPeriodSeconds = durationField(body.token_period)
    role.periodSeconds = 0
  } else if (has(body, 'period')) {
    role.tokenPeriodSeconds = durationField(body.period)
    role.periodSeconds = role.tokenPeriodSeconds
  }
  if (role.tokenPeriodSeconds < 0)
    throw badRequest("error parsing role fields: 'token_period' cannot be negative")
  if (has(body, 'token_explicit_max_ttl')) {
    if (has(body, 'explicit_max_ttl')) {
      warnings.push(
        "Both 'token_explicit_max_ttl' and deprecated 'explicit_max_ttl' value supplied, ignoring the deprecated value",
      )
    }
    role.tokenExplicitMaxTtlSeconds = durationField(body.token_explicit_max_ttl)
    role.explicitMaxTtlSeconds = 0
  } else if (has(body, 'explicit_max_ttl')) {
    role.tokenExplicitMaxTtlSeconds = durationField(body.explicit_max_ttl)
    role.explicitMaxTtlSeconds = role.tokenExplicitMaxTtlSeconds
  }
  if (role.tokenExplicitMaxTtlSeconds < 0) {
    throw badRequest("error parsing role fields: 'token_explicit_max_ttl' cannot be negative")
  }
  if (has(body, 'token_bound_cidrs')) {
    if (has(body, 'bound_cidrs')) {
      warnings.push(
        "Both 'token_bound_cidrs' and deprecated 'bound_cidrs' value supplied, ignoring the deprecated value",
      )
    }
    role.tokenBoundCidrs = cidrList('token_bound_cidrs', body.token_bound_cidrs)
    role.boundCidrs = undefined
  } else if (has(body, 'bound_cidrs')) {
    role.tokenBoundCidrs = cidrList('bound_cidrs', body.bound_cidrs)
    role.boundCidrs = role.tokenBoundCidrs
  }
  if (has(body, 'token_num_uses')) {
    role.tokenNumUses = decodeField(() => fieldInt('token_num_uses', body.token_num_uses))
    if (role.tokenNumUses < 0)
      throw badRequest("error parsing role fields: 'token_num_uses' cannot be negative")
  }
  if (has(body, 'token_type')) {
    const raw = body.token_type
    if (raw === null) throw badRequest("Invalid 'token_type' value: null")
    const type = decodeField(() => fieldString('token_type', raw))
    if (!ROLE_TOKEN_TYPES.includes(type)) throw badRequest(`invalid 'token_type' value "${type}"`)
    role.tokenType = type as RoleTokenType
  }
  if (has(body, 'token_no_default_policy')) {
    role.tokenNoDefaultPolicy = decodeField(() =>
      fieldBool('token_no_default_policy', body.token_no_default_policy),
    )
  }

  if (has(body, 'allowed_policies')) {
    role.allowedPolicies = sanitizePolicies(listField('allowed_policies', body.allowed_policies))
  }
  if (has(body, 'disallowed_policies')) {
    role.disallowedPolicies = lowercaseUniqueSorted(
      listField('disallowed_policies', body.disallowed_policies),
    )
  }
  if (has(body, 'allowed_policies_glob')) {
    role.allowedPoliciesGlob = sanitizePolicies(
      listField('allowed_policies_glob', body.allowed_policies_glob),
    )
  }
  if (has(body, 'disallowed_policies_glob')) {
    role.disallowedPoliciesGlob = lowercaseUniqueSorted(
      listField('disallowed_policies_glob', body.disallowed_policies_glob),
    )
  }

  if (role.tokenType === 'batch') {
    const batchError = (what: string) =>
      badRequest(`'token_type' cannot be 'batch' when role is set to generate ${what}`)
    if (!role.orphan) throw batchError('non-orphan tokens')
    if (role.tokenPeriodSeconds > 0) throw batchError('periodic tokens')
    if (role.renewable) throw batchError('renewable tokens')
    if (role.tokenExplicitMaxTtlSeconds > 0) throw batchError('tokens with an explicit max TTL')
  }
  if (role.tokenExplicitMaxTtlSeconds > MOUNT_MAX_TTL_SECONDS) {
    warnings.push(
      `Given explicit max TTL of ${role.tokenExplicitMaxTtlSeconds} is greater than system/mount allowed value of ${MOUNT_MAX_TTL_SECONDS} seconds; until this is fixed attempting to create tokens against this role will result in an error`,
    )
  }

  state.roles.set(name, role)
  return warnings.length > 0 ? logical({ warnings }) : EMPTY
}

function readRole(state: VaultState, ctx: RequestContext): HandlerResult {
  const role = state.roles.get(ctx.params.role_name ?? '')
  if (!role) throw notFound()
  const data: Record<string, unknown> = {
    name: role.name,
    allowed_policies: role.allowedPolicies,
    disallowed_policies: role.disallowedPolicies,
    allowed_policies_glob: role.allowedPoliciesGlob,
    disallowed_policies_glob: role.disallowedPoliciesGlob,
    orphan: role.orphan,
    renewable: role.renewable,
    path_suffix: role.pathSuffix,
    token_type: role.tokenType,
    token_period: role.tokenPeriodSeconds,
    period: role.periodSeconds,
    token_explicit_max_ttl: role.tokenExplicitMaxTtlSeconds,
    explicit_max_ttl: role.explicitMaxTtlSeconds,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    allowed_entity_aliases: role.allowedEntityAliases,
  }
  if (role.tokenBoundCidrs) data.token_bound_cidrs = role.tokenBoundCidrs
  if (role.boundCidrs) data.bound_cidrs = role.boundCidrs
  if (role.tokenNumUses > 0) data.token_num_uses = role.tokenNumUses
  return logical({ data })
}

function listRoles(state: VaultState): HandlerResult {
  const keys = [...state.roles.keys()].sort()
  if (keys.length === 0) throw notFound()
  return logical({ data: { keys } })
}

export function tokenRoleRoutes(state: VaultState): Route[] {
  return [
    {
      pattern: /^roles\/?$/,
      label: 'auth/token/roles',
      handlers: { list: () => listRoles(state) },
    },
    {
      pattern: new RegExp(`^roles/(?<role_name>${ROLE_NAME_PATTERN})$`),
      label: 'auth/token/roles/:role_name',
      fields: ROLE_FIELDS,
      exists: ({ params }) => state.roles.has(params.role_name ?? ''),
      handlers: {
        read: (ctx) => readRole(state, ctx),
        write: (ctx) => writeRole(state, ctx),
        delete: (ctx) => {
          state.roles.delete(ctx.params.role_name ?? '')
          return EMPTY
        },
      },
    },
  ]
}
