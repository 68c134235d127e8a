/**
 * @module
 * `auth/token/create`, `create-orphan` and `create/:role_name` (spec §3, §4.4), step by step
 * in Vault's order, because the first failing step decides the error a client sees.
 */
import {
  nanosecondsToSeconds,
  parseDurationNanoseconds,
  parseStrictGoDurationNanoseconds,
} from './duration.ts'
import {
  FieldDecodeError,
  mapstructureErrorText,
  weakBool,
  weakInt,
  weakString,
  weakStringList,
  weakStringMap,
} from './lenient-fields.ts'
import { goQuotedList, policyGlobMatch, sanitizePolicies } from './policy-names.ts'
import { RESPONSE_WRAPPING } from './policy-store.ts'
import { type HandlerResult, logical, type RequestContext } from './route.ts'
import type { TokenRole } from './token-roles.ts'
import type { TokenEntry } from './token-store.ts'
import { calculateTtl } from './token-ttl.ts'
import { authBlock } from './token-views.ts'
import { badRequest } from './vault-error.ts'
import type { VaultState } from './vault-state.ts'

/** Body fields of the create endpoints (spec §3.2); others earn the "unrecognized" warning. */
export const CREATE_FIELDS = [
  'role_name',
  'policies',
  'meta',
  'no_parent',
  'no_default_policy',
  'renewable',
  'ttl',
  'lease',
  'explicit_max_ttl',
  'period',
  'display_name',
  'num_uses',
  'type',
  'entity_alias',
  'id',
] as const

const CUSTOM_ID_WARNING =
  'Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.'

/** The token-store entity aliases live on the token mount; this stands for its accessor. */
const TOKEN_MOUNT_ALIAS_KEY = 'auth_token'

interface CreateRequest {
  policies: string[]
  meta: Record<string, string> | undefined
  noParent: boolean
  noDefaultPolicy: boolean
  renewable: boolean | undefined
  ttl: string
  lease: string
  explicitMaxTtl: string
  period: string
  displayName: string
  numUses: number
  type: string
  entityAlias: string
  id: string
}

/** Step 4: mapstructure.WeakDecode of the body into Vault's request struct. */
function decodeCreateRequest(body: Record<string, unknown>): CreateRequest {
  const errors: string[] = []
  function field<T>(decode: () => T, fallback: T): T {
    try {
      return decode()
    } catch (error) {
      if (!(error instanceof FieldDecodeError)) throw error
      errors.push(error.message)
      return fallback
    }
  }
  const request: CreateRequest = {
    policies: field(() => weakStringList('policies', body.policies), []),
    meta: field(() => weakStringMap('meta', body.meta), undefined),
    noParent: field(() => weakBool('no_parent', body.no_parent), false),
    noDefaultPolicy: field(() => weakBool('no_default_policy', body.no_default_policy), false),
    renewable:
      body.renewable === undefined ? undefined : field(() => weakBool('renewable', body.renewable), true),
    ttl: field(() => weakString('ttl', body.ttl), ''),
    lease: field(() => weakString('lease', body.lease), ''),
    explicitMaxTtl: field(() => weakString('explicit_max_ttl', body.explicit_max_ttl), ''),
    period: field(() => weakString('period', body.period), ''),
    displayName: field(() => weakString('display_name', body.display_name), ''),
    numUses: field(() => weakInt('num_uses', body.num_uses), 0),
    type: field(() => weakString('type', body.type), ''),
    entityAlias: field(() => weakString('entity_alias', body.entity_alias), ''),
    id: field(() => weakString('id', body.id), ''),
  }
  if (errors.length > 0) throw badRequest(`Error decoding request: ${mapstructureErrorText(errors.sort())}`)
  return request
}

/**
 * A duration field in whole seconds; `negativeMessage` when the value is below zero, judged on
 * the exact value as Vault does (so `"-500ms"` is negative although it truncates to 0 s).
 */
function parseDuration(text: string, negativeMessage: string): number {
  if (text === '') return 0
  let nanos: bigint
  try {
    nanos = parseDurationNanoseconds(text)
  } catch (error) {
    throw badRequest((error as Error).message)
  }
  if (nanos < 0n) throw badRequest(negativeMessage)
  return nanosecondsToSeconds(nanos)
}

/** Spec §3.6. */
export function tokenDisplayName(requested: string): string {
  if (requested === '') return 'token'
  const sanitized = `token-${requested}`.replace(/[^A-Za-z0-9-]/g, '-')
  return sanitized.endsWith('-') ? sanitized.slice(0, -1) : sanitized
}

/** Spec §3.4: no role, or a role without allowed/disallowed lists. */
function policiesFromParent(request: CreateRequest, parent: TokenEntry, sudo: boolean): string[] {
  const requested = sanitizePolicies(request.policies)
  let policies: string[]
  if (requested.length === 0) {
    policies = [...parent.policies]
  } else {
    policies = requested.filter((name) => name !== 'default')
    if (!sudo) {
      const parentPolicies = new Set(sanitizePolicies(parent.policies).filter((name) => name !== 'default'))
      if (!policies.every((name) => parentPolicies.has(name))) {
        throw badRequest('child policies must be subset of parent')
      }
      if (parent.policies.includes('default') && !request.noDefaultPolicy) policies.push('default')
    } else if (!request.noDefaultPolicy) {
      policies.push('default')
    }
  }
  if (request.noDefaultPolicy) policies = policies.filter((name) => name !== 'default')
  return sanitizePolicies(policies)
}

function roleHasPolicyLists(role: TokenRole): boolean {
  return (
    role.allowedPolicies.length > 0 ||
    role.disallowedPolicies.length > 0 ||
    role.allowedPoliciesGlob.length > 0 ||
    role.disallowedPoliciesGlob.length > 0
  )
}

function matchesAnyGlob(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => policyGlobMatch(pattern, name))
}

/** Spec §4.4: a role with at least one allowed/disallowed list. */
function policiesFromRole(request: CreateRequest, role: TokenRole, parent: TokenEntry): string[] {
  const addDefault =
    !request.noDefaultPolicy &&
    !role.tokenNoDefaultPolicy &&
    !role.disallowedPolicies.includes('default') &&
    !matchesAnyGlob(role.disallowedPoliciesGlob, 'default')
  const requested = sanitizePolicies(request.policies)
  const requestedFinal = sanitizePolicies(addDefault ? [...requested, 'default'] : requested)
  let policies: string[]
  if (role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0) {
    const allowed = sanitizePolicies(addDefault ? [...role.allowedPolicies, 'default'] : role.allowedPolicies)
    if (requested.length === 0) {
      policies = allowed
    } else {
      for (const name of requestedFinal) {
        if (!allowed.includes(name) && !matchesAnyGlob(role.allowedPoliciesGlob, name)) {
          throw badRequest(
            `token policies (${goQuotedList(requestedFinal)}) must be subset of the role's allowed policies (${goQuotedList(allowed)}) or glob policies (${goQuotedList(role.allowedPoliciesGlob)})`,
          )
        }
      }
      policies = requestedFinal
    }
  } else if (requested.length === 0) {
    policies = sanitizePolicies(addDefault ? [...parent.policies, 'default'] : parent.policies)
  } else {
    policies = requestedFinal
  }
  for (const name of [...policies].sort()) {
    if (role.disallowedPolicies.includes(name) || matchesAnyGlob(role.disallowedPoliciesGlob, name)) {
      throw badRequest(`token policy "${name}" is disallowed by this role`)
    }
  }
  if (request.noDefaultPolicy) policies = policies.filter((name) => name !== 'default')
  return policies
}

export interface CreateOptions {
  /** `create-orphan` rather than `create`. */
  orphanEndpoint: boolean
  /** Set for `create/:role_name`. */
  roleName?: string
}

export function createToken(state: VaultState, ctx: RequestContext, options: CreateOptions): HandlerResult {
  let role: TokenRole | undefined
  if (options.roleName !== undefined) {
    role = state.roles.get(options.roleName)
    if (!role) throw badRequest(`unknown role ${options.roleName}`)
  }
  // Step 2: the caller is the parent (the pipeline has already spent one of its uses).
  const parent = ctx.token
  if (!parent) throw badRequest('no parent token')
  if (parent.numUses !== 0) throw badRequest('restricted use token cannot generate child tokens')
  // Step 3 happened in the pipeline: ctx.sudo.
  const sudo = ctx.sudo
  const request = decodeCreateRequest(ctx.body)

  // Step 5: token type.
  let tokenType = 'service'
  const requestedType = request.type
  if (requestedType !== '' && requestedType !== 'service' && requestedType !== 'batch') {
    if (!role || role.tokenType === 'default-service' || role.tokenType === 'default-batch') {
      throw badRequest("invalid 'token_type' value")
    }
  }
  if (role) {
    if (role.tokenType === 'service' || role.tokenType === 'batch') tokenType = role.tokenType
    else
      tokenType =
        requestedType !== '' ? requestedType : role.tokenType === 'default-batch' ? 'batch' : 'service'
  } else if (requestedType !== '') {
    tokenType = requestedType
  }
  if (tokenType === 'batch') {
    if (request.explicitMaxTtl !== '') throw badRequest('batch tokens cannot have "explicit_max_ttl" set')
    if (request.numUses !== 0) throw badRequest('batch tokens cannot have "num_uses" set')
    if (request.period !== '') throw badRequest('batch tokens cannot have "period" set')
    throw badRequest('batch tokens are not implemented by vault-dev')
  }

  // Step 6.
  if (request.numUses < 0) throw badRequest('number of uses cannot be negative')

  // Step 7.
  let entityId = ''
  if (request.entityAlias !== '') {
    if (!role) throw badRequest("'entity_alias' is only allowed in combination with token role")
    const alias = request.entityAlias.toLowerCase()
    const allowed = role.allowedEntityAliases ?? []
    if (!allowed.includes(alias) && !allowed.some((pattern) => policyGlobMatch(pattern, alias))) {
      throw badRequest("invalid 'entity_alias' value")
    }
    entityId = state.entityFor(TOKEN_MOUNT_ALIAS_KEY, alias)
  }

  // Step 8: the entry's path, display name, renewability, uses and custom id.
  const path = role
    ? `auth/token/create/${role.name}${role.pathSuffix ? `/${role.pathSuffix}` : ''}`
    : `auth/token/${options.orphanEndpoint ? 'create-orphan' : 'create'}`
  const displayName = tokenDisplayName(request.displayName)
  let renewable = request.renewable ?? true
  if (role && !role.renewable) renewable = false
  let numUses = request.numUses
  if (role && role.tokenNumUses > 0) {
    numUses = numUses === 0 ? role.tokenNumUses : Math.min(numUses, role.tokenNumUses)
  }
  if (request.id !== '') {
    if (!sudo) throw badRequest('root or sudo privileges required to specify token id')
    if (request.id.startsWith('hvs.') || request.id.startsWith('s.')) {
      throw badRequest(
        `custom token ID cannot have the '${request.id.startsWith('s.') ? 's.' : 'hvs.'}' prefix`,
      )
    }
    if (request.id.includes('.')) throw badRequest("custom token ID cannot have a '.' in the value")
    if (state.tokens.has(request.id)) throw badRequest('cannot create a token with a duplicate ID')
  }

  // Step 9: policies.
  const policies =
    role && roleHasPolicyLists(role)
      ? policiesFromRole(request, role, parent)
      : policiesFromParent(request, parent, sudo)
  if (policies.includes(RESPONSE_WRAPPING)) throw badRequest(`cannot assign policy "${RESPONSE_WRAPPING}"`)
  if (policies.includes('root') && !parent.policies.includes('root')) {
    throw badRequest('root tokens may not be created without parent token being root')
  }

  // Step 10: orphan or child.
  let orphan: boolean
  if (role) {
    orphan = role.orphan
  } else {
    if (request.noParent && !sudo) throw badRequest('root or sudo privileges required to create orphan token')
    orphan = options.orphanEndpoint || request.noParent
  }
  if (!orphan && entityId === '') entityId = parent.entityId

  // Steps 11–13: explicit max, period, ttl.
  const ownExplicitMaxSeconds = parseDuration(request.explicitMaxTtl, 'explicit_max_ttl must be positive')
  const ownPeriodSeconds = parseDuration(request.period, 'period must be positive')
  if (ownPeriodSeconds > 0 && !sudo)
    throw badRequest('root or sudo privileges required to create periodic token')
  let ttlSeconds: number
  if (request.ttl !== '' || request.lease === '') {
    ttlSeconds = parseDuration(request.ttl, 'ttl must be positive')
  } else {
    // The deprecated `lease` goes through Go's time.ParseDuration alone (spec §3.2).
    let leaseNanos: bigint
    try {
      leaseNanos = parseStrictGoDurationNanoseconds(request.lease)
    } catch (error) {
      throw badRequest((error as Error).message)
    }
    if (leaseNanos < 0n) throw badRequest('lease must be positive')
    ttlSeconds = nanosecondsToSeconds(leaseNanos)
  }

  // Step 14: role limits, then the TTL.
  const warnings: string[] = []
  let periodSeconds = ownPeriodSeconds
  let explicitMaxSeconds = ownExplicitMaxSeconds
  if (role && role.tokenPeriodSeconds > 0) {
    if (periodSeconds === 0) periodSeconds = role.tokenPeriodSeconds
    else {
      periodSeconds = Math.min(periodSeconds, role.tokenPeriodSeconds)
      warnings.push(
        `Period specified both during creation call and in role; using the lesser value of ${periodSeconds} seconds`,
      )
    }
  }
  if (role && role.tokenExplicitMaxTtlSeconds > 0) {
    if (explicitMaxSeconds === 0) explicitMaxSeconds = role.tokenExplicitMaxTtlSeconds
    else {
      explicitMaxSeconds = Math.min(explicitMaxSeconds, role.tokenExplicitMaxTtlSeconds)
      warnings.push(
        `Explicit max TTL specified both during creation call and in role; using the lesser value of ${explicitMaxSeconds} seconds`,
      )
    }
  }
  const nowMs = state.clock.now()
  let leaseSeconds: number
  const neverExpires =
    policies.length === 1 &&
    policies[0] === 'root' &&
    ttlSeconds === 0 &&
    periodSeconds === 0 &&
    explicitMaxSeconds === 0
  if (neverExpires) {
    leaseSeconds = 0
    renewable = false
  } else {
    const ttl = calculateTtl({
      requestedSeconds: ttlSeconds,
      periodSeconds,
      explicitMaxTtlSeconds: explicitMaxSeconds,
      issueTimeMs: nowMs,
      nowMs,
    })
    leaseSeconds = ttl.ttlSeconds
    warnings.push(...ttl.warnings)
  }

  // Step 15: store, then the remaining warnings.
  const entry = state.tokens.create({
    ...(request.id !== '' ? { id: request.id } : {}),
    parentId: orphan ? '' : parent.id,
    policies,
    meta: request.meta && Object.keys(request.meta).length > 0 ? request.meta : null,
    displayName,
    path,
    numUses,
    creationTimeMs: nowMs,
    creationTtlSeconds: leaseSeconds,
    expireAtMs: leaseSeconds > 0 ? nowMs + leaseSeconds * 1000 : 0,
    explicitMaxTtlSeconds: ownExplicitMaxSeconds,
    periodSeconds: ownPeriodSeconds,
    renewalPeriodSeconds: periodSeconds,
    backendMaxTtlSeconds: 0,
    renewable,
    role: role?.name ?? '',
    entityId,
    boundCidrs: role?.tokenBoundCidrs,
    wrapped: undefined,
  })
  if (request.id !== '') warnings.push(CUSTOM_ID_WARNING)
  for (const name of policies) {
    if (!state.policies.exists(name)) warnings.push(`Policy "${name}" does not exist`)
  }
  return logical({ auth: authBlock(entry, entry.id, leaseSeconds), warnings })
}
