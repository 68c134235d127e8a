/**
 * @module
 * AppRole basics (spec §9.3): roles with a role-id, secret-ids with TTL and use limits, and a
 * login that answers `invalid role or secret ID` for every wrong credential.
 */
import { randomUUID } from 'node:crypto'
import { parseDurationSeconds } from './duration.ts'
import { fieldBool, fieldInt, fieldString } from './lenient-fields.ts'
import {
  defaultTokenParams,
  issueLoginToken,
  TOKEN_PARAM_FIELDS,
  type TokenParams,
  tokenParamsData,
  updateTokenParams,
} from './login-token.ts'
import { EMPTY, type HandlerResult, logical, type Mount, type RequestContext, type Route } from './route.ts'
import { badRequest, notFound } from './vault-error.ts'
import type { VaultState } from './vault-state.ts'

interface SecretId {
  accessor: string
  /** 0 = unlimited. */
  remainingUses: number
  /** 0 = never. */
  expireAtMs: number
}

interface AppRole {
  name: string
  roleId: string
  bindSecretId: boolean
  secretIdTtlSeconds: number
  secretIdNumUses: number
  token: TokenParams
  secretIds: Map<string, SecretId>
}

const ROLE_FIELDS = [
  'role_name',
  'bind_secret_id',
  'secret_id_ttl',
  'secret_id_num_uses',
  'role_id',
  ...TOKEN_PARAM_FIELDS,
] as const
const INVALID = 'invalid role or secret ID'

function decoded<T>(decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    throw badRequest((error as Error).message)
  }
}

function writeRole(roles: Map<string, AppRole>, ctx: RequestContext): HandlerResult {
  const name = ctx.params.role_name ?? ''
  const body = ctx.body
  const role: AppRole = roles.get(name) ?? {
    name,
    roleId: randomUUID(),
    bindSecretId: true,
    secretIdTtlSeconds: 0,
    secretIdNumUses: 0,
    token: defaultTokenParams(),
    secretIds: new Map(),
  }
  if (Object.hasOwn(body, 'bind_secret_id'))
    role.bindSecretId = decoded(() => fieldBool('bind_secret_id', body.bind_secret_id))
  if (Object.hasOwn(body, 'secret_id_ttl'))
    role.secretIdTtlSeconds = decoded(() => parseDurationSeconds(body.secret_id_ttl))
  if (Object.hasOwn(body, 'secret_id_num_uses')) {
    role.secretIdNumUses = decoded(() => fieldInt('secret_id_num_uses', body.secret_id_num_uses))
    if (role.secretIdNumUses < 0) throw badRequest('secret_id_num_uses cannot be negative')
  }
  if (Object.hasOwn(body, 'role_id')) role.roleId = decoded(() => fieldString('role_id', body.role_id))
  role.token = updateTokenParams(role.token, body)
  roles.set(name, role)
  return EMPTY
}

function findRole(roles: Map<string, AppRole>, ctx: RequestContext): AppRole {
  const role = roles.get(ctx.params.role_name ?? '')
  if (!role) throw notFound()
  return role
}

function createSecretId(state: VaultState, roles: Map<string, AppRole>, ctx: RequestContext): HandlerResult {
  const name = ctx.params.role_name ?? ''
  const role = roles.get(name)
  if (!role) throw badRequest(`role "${name}" does not exist`)
  const secretId = randomUUID()
  const accessor = randomUUID()
  const ttlSeconds = role.secretIdTtlSeconds
  role.secretIds.set(secretId, {
    accessor,
    remainingUses: role.secretIdNumUses,
    expireAtMs: ttlSeconds > 0 ? state.clock.now() + ttlSeconds * 1000 : 0,
  })
  return logical({
    data: {
      secret_id: secretId,
      secret_id_accessor: accessor,
      secret_id_ttl: ttlSeconds,
      secret_id_num_uses: role.secretIdNumUses,
    },
  })
}

function login(
  state: VaultState,
  mount: { path: string; accessor: string },
  roles: Map<string, AppRole>,
  ctx: RequestContext,
): HandlerResult {
  const roleId = decoded(() => fieldString('role_id', ctx.body.role_id)).trim()
  if (roleId === '') throw badRequest('missing role_id')
  const role = [...roles.values()].find((candidate) => candidate.roleId === roleId)
  if (role?.bindSecretId !== false) {
    const secretIdText = decoded(() => fieldString('secret_id', ctx.body.secret_id)).trim()
    if (secretIdText === '') throw badRequest('missing secret_id')
    if (!role) throw badRequest(INVALID)
    const secret = role.secretIds.get(secretIdText)
    if (!secret) throw badRequest(INVALID)
    if (secret.expireAtMs !== 0 && state.clock.now() >= secret.expireAtMs) {
      role.secretIds.delete(secretIdText)
      throw badRequest(INVALID)
    }
    if (secret.remainingUses > 0) {
      secret.remainingUses -= 1
      if (secret.remainingUses === 0) role.secretIds.delete(secretIdText)
    }
  }
  if (!role) throw badRequest(INVALID)
  const result = issueLoginToken(state, {
    mountPath: mount.path,
    mountAccessor: mount.accessor,
    params: role.token,
    metadata: { role_name: role.name },
    displayName: '',
    aliasName: role.roleId,
  })
  return logical({ auth: result.auth, warnings: result.warnings })
}

/** An AppRole auth mount at `path` (e.g. `auth/approle/`). */
export function appRoleMount(state: VaultState, path: string, accessor: string): Mount {
  const roles = new Map<string, AppRole>()
  const name = String.raw`(?<role_name>\w(?:[\w.-]*\w)?)`
  const routes: Route[] = [
    {
      pattern: /^role\/?$/,
      label: `${path}role`,
      handlers: {
        list: () => {
          const keys = [...roles.keys()].sort()
          if (keys.length === 0) throw notFound()
          return logical({ data: { keys } })
        },
      },
    },
    {
      pattern: new RegExp(`^role/${name}$`),
      label: `${path}role/:role_name`,
      fields: ROLE_FIELDS,
      handlers: {
        read: (ctx) => {
          const role = findRole(roles, ctx)
          return logical({
            data: {
              bind_secret_id: role.bindSecretId,
              secret_id_ttl: role.secretIdTtlSeconds,
              secret_id_num_uses: role.secretIdNumUses,
              ...tokenParamsData(role.token),
            },
          })
        },
        write: (ctx) => writeRole(roles, ctx),
        delete: (ctx) => {
          roles.delete(ctx.params.role_name ?? '')
          return EMPTY
        },
      },
    },
    {
      pattern: new RegExp(`^role/${name}/role-id$`),
      label: `${path}role/:role_name/role-id`,
      fields: ['role_name', 'role_id'],
      handlers: {
        read: (ctx) => logical({ data: { role_id: findRole(roles, ctx).roleId } }),
        write: (ctx) => {
          const role = findRole(roles, ctx)
          role.roleId = decoded(() => fieldString('role_id', ctx.body.role_id))
          return EMPTY
        },
      },
    },
    {
      pattern: new RegExp(`^role/${name}/secret-id$`),
      label: `${path}role/:role_name/secret-id`,
      fields: ['role_name', 'metadata', 'cidr_list', 'token_bound_cidrs', 'ttl', 'num_uses'],
      handlers: { write: (ctx) => createSecretId(state, roles, ctx) },
    },
    {
      pattern: /^login$/,
      label: `${path}login`,
      fields: ['role_id', 'secret_id'],
      unauthenticated: true,
      handlers: { write: (ctx) => login(state, { path, accessor }, roles, ctx) },
    },
  ]
  return { path, type: 'approle', routes }
}
