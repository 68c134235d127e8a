/**
 * @module
 * Response wrapping (spec §5, §6): single-use wrapping tokens that hold a stored response,
 * and the `sys/wrapping/*` endpoints that look them up, unwrap, rewrap and wrap.
 */
import { type WrapInfo, wrappedEnvelopeJson } from './envelope.ts'
import { RESPONSE_WRAPPING } from './policy-store.ts'
import { type HandlerResult, logical, type RequestContext, type Route } from './route.ts'
import type { TokenEntry } from './token-store.ts'
import { badRequest, VaultError } from './vault-error.ts'
import type { VaultState } from './vault-state.ts'
import { rfc3339Nano } from './wire-format.ts'

const NOT_VALID = 'wrapping token is not valid or does not exist'

export interface WrapRequest {
  /** The original response envelope, serialised without the trailing newline. */
  payload: string
  ttlSeconds: number
  creationPath: string
  /** The accessor of the token in the payload's `auth` block, if any. */
  wrappedAccessor?: string
}

/** Stores the payload under a new wrapping token; returns the body of the wrapped answer. */
export function wrapResponse(state: VaultState, request: WrapRequest): string {
  const nowMs = state.clock.now()
  const entry = state.tokens.create({
    parentId: '',
    policies: [RESPONSE_WRAPPING],
    meta: null,
    displayName: '',
    path: request.creationPath,
    numUses: 1,
    creationTimeMs: nowMs,
    creationTtlSeconds: request.ttlSeconds,
    expireAtMs: nowMs + request.ttlSeconds * 1000,
    explicitMaxTtlSeconds: request.ttlSeconds,
    periodSeconds: 0,
    renewalPeriodSeconds: 0,
    backendMaxTtlSeconds: 0,
    renewable: false,
    role: '',
    entityId: '',
    boundCidrs: undefined,
    wrapped: {
      response: request.payload,
      creationTtlSeconds: request.ttlSeconds,
      creationTimeMs: nowMs,
      creationPath: request.creationPath,
    },
  })
  const wrapInfo: WrapInfo = {
    token: entry.id,
    accessor: entry.accessor,
    ttl: request.ttlSeconds,
    creation_time: rfc3339Nano(nowMs),
    creation_path: request.creationPath,
  }
  if (request.wrappedAccessor) wrapInfo.wrapped_accessor = request.wrappedAccessor
  return wrappedEnvelopeJson(wrapInfo)
}

function isWrappingToken(entry: TokenEntry | undefined): entry is TokenEntry {
  return (
    entry?.wrapped !== undefined && entry.policies.length === 1 && entry.policies[0] === RESPONSE_WRAPPING
  )
}

/** Paths whose wrapping token is validated before routing (spec §6). */
export const WRAPPING_TOKEN_PATHS: ReadonlySet<string> = new Set([
  'sys/wrapping/lookup',
  'sys/wrapping/unwrap',
  'sys/wrapping/rewrap',
])

/**
 * Spec §6's check before routing: the token in the body (or else the client token) must be a
 * live, unused wrapping token. Nothing is consumed here.
 */
export function validateWrappingToken(
  state: VaultState,
  body: Record<string, unknown>,
  clientToken: string | undefined,
): void {
  let token = clientToken
  if (Object.hasOwn(body, 'token')) {
    const value = body.token
    if (typeof value !== 'string') {
      throw new VaultError(
        403,
        ['error validating wrapping token: could not decode token in request body'],
        'bare',
      )
    }
    if (value === '')
      throw new VaultError(403, ['error validating wrapping token: empty token in request body'], 'bare')
    token = value
  }
  if (token === undefined || token === '') return
  if (!isWrappingToken(state.tokens.lookup(token))) throw badRequest(NOT_VALID)
}

/**
 * The wrapping token an unwrap or rewrap works on. A body token (third party) has its single
 * use spent here; a client token (first party) has had it spent by the pipeline already.
 */
function takeWrappingToken(state: VaultState, ctx: RequestContext): TokenEntry {
  const bodyToken = typeof ctx.body.token === 'string' ? ctx.body.token : ''
  if (bodyToken !== '') {
    const entry = state.tokens.lookup(bodyToken)
    if (!isWrappingToken(entry)) throw badRequest(NOT_VALID)
    state.tokens.use(entry)
    return entry
  }
  const entry = ctx.token
  if (!isWrappingToken(entry)) throw badRequest(NOT_VALID)
  return entry
}

function unwrap(state: VaultState, ctx: RequestContext): HandlerResult {
  const entry = takeWrappingToken(state, ctx)
  const payload = entry.wrapped?.response ?? ''
  state.tokens.revokeTree(entry.id)
  if (payload === '') return { kind: 'empty' }
  return { kind: 'raw', status: 200, body: payload }
}

function lookup(state: VaultState, ctx: RequestContext): HandlerResult {
  const token = typeof ctx.body.token === 'string' && ctx.body.token !== '' ? ctx.body.token : ctx.clientToken
  if (token === undefined || token === '') throw badRequest('missing "token" value in input')
  const entry = state.tokens.lookup(token)
  if (!isWrappingToken(entry) || !entry.wrapped) throw badRequest(NOT_VALID)
  return logical({
    data: {
      creation_path: entry.wrapped.creationPath,
      creation_time: rfc3339Nano(entry.wrapped.creationTimeMs),
      creation_ttl: entry.wrapped.creationTtlSeconds,
    },
  })
}

function rewrap(state: VaultState, ctx: RequestContext): HandlerResult {
  const entry = takeWrappingToken(state, ctx)
  const wrapped = entry.wrapped
  state.tokens.revokeTree(entry.id)
  if (!wrapped) throw badRequest(NOT_VALID)
  return logical({
    forcedWrap: {
      payload: wrapped.response,
      ttlSeconds: wrapped.creationTtlSeconds,
      creationPath: wrapped.creationPath,
    },
  })
}

export function wrappingRoutes(state: VaultState): Route[] {
  return [
    {
      pattern: /^wrapping\/lookup$/,
      label: 'sys/wrapping/lookup',
      fields: ['token'],
      unauthenticated: true,
      handlers: { write: (ctx) => lookup(state, ctx), read: (ctx) => lookup(state, ctx) },
    },
    {
      pattern: /^wrapping\/unwrap$/,
      label: 'sys/wrapping/unwrap',
      fields: ['token'],
      handlers: { write: (ctx) => unwrap(state, ctx) },
    },
    {
      pattern: /^wrapping\/rewrap$/,
      label: 'sys/wrapping/rewrap',
      fields: ['token'],
      handlers: { write: (ctx) => rewrap(state, ctx) },
    },
    {
      pattern: /^wrapping\/wrap$/,
      label: 'sys/wrapping/wrap',
      fields: 'any',
      copyDataToTopLevel: true,
      handlers: {
        write: (ctx) => {
          if (ctx.wrapTtlSeconds === undefined)
            throw badRequest('endpoint requires response wrapping to be used')
          return logical({ data: { ...ctx.body } })
        },
      },
    },
  ]
}
