/**
 * @module
 * The `auth/token/` mount: creation (token-create.ts), roles (token-roles.ts), and the
 * lookup, renew and revoke endpoints of spec §7.
 */
import { parseDurationSeconds } from './duration.ts'
import { fieldString } from './lenient-fields.ts'
import { EMPTY, type HandlerResult, logical, type Mount, type RequestContext, type Route } from './route.ts'
import { CREATE_FIELDS, createToken } from './token-create.ts'
import { ROLE_NAME_PATTERN, tokenRoleRoutes } from './token-roles.ts'
import type { TokenEntry } from './token-store.ts'
import { calculateTtl } from './token-ttl.ts'
import { authBlock, lookupData } from './token-views.ts'
import { badRequest, VaultError, wrappedError } from './vault-error.ts'
import type { VaultState } from './vault-state.ts'

function stringParam(ctx: RequestContext, name: string): string {
  const value = ctx.body[name]
  if (value === undefined || value === null) return ''
  try {
    return fieldString(name, value).trim()
  } catch (error) {
    throw badRequest((error as Error).message)
  }
}

function callerToken(ctx: RequestContext): TokenEntry {
  if (!ctx.token || ctx.clientToken === undefined) throw new VaultError(403, ['permission denied'], 'bare')
  return ctx.token
}

function byAccessor(state: VaultState, ctx: RequestContext): TokenEntry {
  const accessor = stringParam(ctx, 'accessor')
  if (accessor === '') throw wrappedError(400, 'missing accessor')
  const entry = state.tokens.lookupByAccessor(accessor)
  if (!entry) throw wrappedError(400, 'invalid accessor')
  return entry
}

function lookup(state: VaultState, ctx: RequestContext): HandlerResult {
  if (ctx.body.token === null) throw new VaultError(403, ['invalid token'], 'bare')
  const requested = stringParam(ctx, 'token')
  if (requested === '') {
    const entry = callerToken(ctx)
    return logical({ data: lookupData(entry, ctx.clientToken ?? '', state.clock.now()) })
  }
  const entry = state.tokens.lookup(requested, { tainted: requested === ctx.clientToken })
  if (!entry) throw new VaultError(403, ['bad token'], 'bare')
  return logical({ data: lookupData(entry, requested, state.clock.now()) })
}

function renew(state: VaultState, ctx: RequestContext, entry: TokenEntry, shownToken: string): HandlerResult {
  let incrementSeconds = 0
  if (ctx.body.increment !== undefined && ctx.body.increment !== null) {
    try {
      incrementSeconds = parseDurationSeconds(ctx.body.increment)
    } catch (error) {
      throw badRequest((error as Error).message)
    }
  }
  if (!entry.renewable) throw badRequest('lease is not renewable')
  if (incrementSeconds < 0) throw badRequest('increment cannot be negative')
  let periodSeconds = entry.renewalPeriodSeconds
  let explicitMaxTtlSeconds = entry.explicitMaxTtlSeconds
  if (entry.role) {
    const role = state.roles.get(entry.role)
    if (!role) throw wrappedError(500, `original token role "${entry.role}" could not be found, not renewing`)
    periodSeconds = role.tokenPeriodSeconds
    explicitMaxTtlSeconds = role.tokenExplicitMaxTtlSeconds
  }
  const nowMs = state.clock.now()
  const { ttlSeconds, warnings } = calculateTtl({
    requestedSeconds: incrementSeconds,
    fallbackSeconds: entry.creationTtlSeconds,
    periodSeconds,
    explicitMaxTtlSeconds,
    backendMaxTtlSeconds: entry.backendMaxTtlSeconds,
    issueTimeMs: entry.creationTimeMs,
    nowMs,
  })
  entry.expireAtMs = nowMs + ttlSeconds * 1000
  entry.lastRenewalMs = nowMs
  return logical({ auth: authBlock(entry, shownToken, ttlSeconds), warnings })
}

function revokeOrphan(state: VaultState, ctx: RequestContext): HandlerResult {
  if (!ctx.sudo) throw badRequest('root or sudo privileges required to revoke and orphan')
  const id = stringParam(ctx, 'token')
  if (id === '') throw badRequest('missing token ID')
  if (!state.tokens.lookup(id, { tainted: true })) throw badRequest('token to revoke not found')
  state.tokens.revokeOrphan(id)
  return EMPTY
}

export function tokenMount(state: VaultState): Mount {
  const routes: Route[] = [
    {
      pattern: /^create$/,
      label: 'auth/token/create',
      fields: CREATE_FIELDS,
      handlers: { write: (ctx) => createToken(state, ctx, { orphanEndpoint: false }) },
    },
    {
      pattern: /^create-orphan$/,
      label: 'auth/token/create-orphan',
      fields: CREATE_FIELDS,
      handlers: { write: (ctx) => createToken(state, ctx, { orphanEndpoint: true }) },
    },
    {
      pattern: new RegExp(`^create/(?<role_name>${ROLE_NAME_PATTERN})$`),
      label: 'auth/token/create/:role_name',
      fields: CREATE_FIELDS,
      handlers: {
        write: (ctx) =>
          createToken(state, ctx, { orphanEndpoint: false, roleName: ctx.params.role_name ?? '' }),
      },
    },
    {
      pattern: /^lookup$/,
      label: 'auth/token/lookup',
      fields: ['token'],
      handlers: { read: (ctx) => lookup(state, ctx), write: (ctx) => lookup(state, ctx) },
    },
    {
      pattern: /^lookup-self$/,
      label: 'auth/token/lookup-self',
      fields: ['token'],
      handlers: {
        read: (ctx) =>
          logical({ data: lookupData(callerToken(ctx), ctx.clientToken ?? '', state.clock.now()) }),
        write: (ctx) =>
          logical({ data: lookupData(callerToken(ctx), ctx.clientToken ?? '', state.clock.now()) }),
      },
    },
    {
      pattern: /^lookup-accessor$/,
      label: 'auth/token/lookup-accessor',
      fields: ['accessor'],
      handlers: {
        write: (ctx) => logical({ data: lookupData(byAccessor(state, ctx), '', state.clock.now()) }),
      },
    },
    {
      pattern: /^renew$/,
      label: 'auth/token/renew',
      fields: ['token', 'increment'],
      handlers: {
        write: (ctx) => {
          const id = stringParam(ctx, 'token')
          if (id === '') throw badRequest('missing token ID')
          const entry = state.tokens.lookup(id, { tainted: id === ctx.clientToken })
          if (!entry) throw badRequest('token not found')
          return renew(state, ctx, entry, id)
        },
      },
    },
    {
      pattern: /^renew-self$/,
      label: 'auth/token/renew-self',
      fields: ['token', 'increment'],
      handlers: { write: (ctx) => renew(state, ctx, callerToken(ctx), ctx.clientToken ?? '') },
    },
    {
      pattern: /^renew-accessor$/,
      label: 'auth/token/renew-accessor',
      fields: ['accessor', 'increment'],
      handlers: { write: (ctx) => renew(state, ctx, byAccessor(state, ctx), '') },
    },
    {
      pattern: /^revoke$/,
      label: 'auth/token/revoke',
      fields: ['token'],
      handlers: {
        write: (ctx) => {
          const id = stringParam(ctx, 'token')
          if (id === '') throw badRequest('missing token ID')
          state.tokens.revokeTree(id)
          return EMPTY
        },
      },
    },
    {
      pattern: /^revoke-self$/,
      label: 'auth/token/revoke-self',
      fields: [],
      handlers: {
        write: (ctx) => {
          state.tokens.revokeTree(callerToken(ctx).id)
          return EMPTY
        },
      },
    },
    {
      pattern: /^revoke-accessor$/,
      label: 'auth/token/revoke-accessor',
      fields: ['accessor'],
      handlers: {
        write: (ctx) => {
          const accessor = stringParam(ctx, 'accessor')
          if (accessor === '') throw wrappedError(400, 'missing accessor')
          const entry = state.tokens.lookupByAccessor(accessor, { tainted: true })
          if (!entry) return logical({ warnings: ['No token found with this accessor'] })
          state.tokens.revokeTree(entry.id)
          return EMPTY
        },
      },
    },
    {
      pattern: /^revoke-orphan$/,
      label: 'auth/token/revoke-orphan',
      fields: ['token'],
      handlers: { write: (ctx) => revokeOrphan(state, ctx) },
    },
    {
      pattern: /^accessors\/?$/,
      label: 'auth/token/accessors',
      rootProtected: true,
      handlers: { list: () => logical({ data: { keys: state.tokens.accessors() } }) },
    },
    ...tokenRoleRoutes(state),
  ]
  return { path: 'auth/token/', type: 'token', routes }
}
