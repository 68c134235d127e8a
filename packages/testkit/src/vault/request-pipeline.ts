/**
 * @module
 * One Vault HTTP request from bytes to bytes, in real Vault's order (spec §1): method and
 * body parsing, the wrap header, the seal, the token (looked up, its use spent even when the
 * request is then denied), the ACL check *before* routing, the handler, then the
 * "unrecognized parameters" warning and response wrapping. Everything that is not a
 * route's own logic lives here, so the mounts stay plain route tables.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { addressInCidrs } from './client-address.ts'
import { parseWrapTtlHeader } from './duration.ts'
import { envelopeJson } from './envelope.ts'
import type { HandlerKind, HandlerResult, Mount, Operation, RequestContext, Route } from './route.ts'
import { health, sealStatus, unseal } from './seal-status.ts'
import { requestId } from './token-ids.ts'
import type { TokenEntry } from './token-store.ts'
import {
  badRequest,
  permissionDenied,
  unsupportedOperation,
  unsupportedPath,
  VaultError,
  vaultSealed,
} from './vault-error.ts'
import type { VaultState } from './vault-state.ts'
import { validateWrappingToken, WRAPPING_TOKEN_PATHS, wrapResponse } from './wrapping.ts'

/** What the HTTP layer hands over: one request, body fully read. */
export interface VaultRequest {
  method: string
  /** `/v1/...` path, percent-decoded, without the query string. */
  vaultPath: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: Buffer
  remoteAddress: string
}

export interface VaultAnswer {
  status: number
  /** Serialised body; `undefined` for no body. */
  body: string | undefined
  /** The caller's accessor, for the request log (never the token). */
  accessor?: string
}

/** Mounts in routing order, rebuilt after sys/auth changes. */
export type MountTable = () => readonly Mount[]

function errorAnswer(error: VaultError): VaultAnswer {
  return { status: error.status, body: `${JSON.stringify({ errors: error.render() })}\n` }
}

/** The error body of a fault rule that gives only a status (spec: the server's own shape). */
export function faultErrorBody(status: number): string {
  const messages = status === 503 ? ['Vault is sealed'] : status === 403 ? ['permission denied'] : []
  return `${JSON.stringify({ errors: messages })}\n`
}

function clientTokenOf(headers: IncomingHttpHeaders): string | undefined {
  const vaultToken = headers['x-vault-token']
  // An empty X-Vault-Token counts as absent, as in Vault (`Header.Get(...) == ""`).
  if (typeof vaultToken === 'string' && vaultToken !== '') return vaultToken
  const authorization = headers.authorization
  if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
    return authorization.slice('Bearer '.length).trim()
  }
  return undefined
}

function parseBody(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8'))
  } catch {
    throw badRequest('error parsing JSON')
  }
  if (parsed === null) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('error parsing JSON')
  return parsed as Record<string, unknown>
}

/** Go's strconv.ParseBool, which Vault applies to `?list=`. */
function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  return undefined
}

/** `undefined`: a method Vault does not know (405); `invalid`: a `?list=` that is not a Go bool (400). */
function operationOf(method: string, query: URLSearchParams): Operation | 'invalid' | undefined {
  switch (method) {
    case 'GET': {
      const list = query.get('list') ?? ''
      if (list === '') return 'read'
      const parsed = parseGoBool(list)
      if (parsed === undefined) return 'invalid'
      return parsed ? 'list' : 'read'
    }
    case 'POST':
    case 'PUT':
      return 'update'
    case 'DELETE':
      return 'delete'
    case 'PATCH':
      return 'patch'
    default:
      return undefined
  }
}

/** The media type of a Content-Type header, as Go's mime.ParseMediaType reads it (lowercased). */
function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

const EMPTY_ERRORS_BODY = `${JSON.stringify({ errors: [] })}\n`

function handlerKindOf(operation: Operation): HandlerKind | undefined {
  switch (operation) {
    case 'create':
    case 'update':
      return 'write'
    case 'patch':
      return undefined
    default:
      return operation
  }
}

function unrecognizedWarning(route: Route, body: Record<string, unknown>): string | undefined {
  if (route.fields === undefined || route.fields === 'any') return undefined
  const known = route.fields
  const ignored = Object.keys(body)
    .filter((key) => !known.includes(key))
    .sort()
  return ignored.length > 0
    ? `Endpoint ignored these unrecognized parameters: [${ignored.join(' ')}]`
    : undefined
}

export class RequestPipeline {
  readonly #state: VaultState
  readonly #mounts: MountTable

  constructor(state: VaultState, mounts: MountTable) {
    this.#state = state
    this.#mounts = mounts
  }

  /** The route pattern a path falls under, for request statistics. */
  routeLabel(vaultPath: string): string {
    if (vaultPath === 'sys/health' || vaultPath === 'sys/seal-status' || vaultPath === 'sys/unseal')
      return vaultPath
    const match = this.#resolve(vaultPath)
    return match.route?.label ?? (match.mount ? `${match.mount.path}(unsupported)` : '(no mount)')
  }

  async serve(request: VaultRequest): Promise<VaultAnswer> {
    try {
      return await this.#serve(request)
    } catch (error) {
      if (error instanceof VaultError) return errorAnswer(error)
      throw error
    }
  }

  #resolve(vaultPath: string): { mount?: Mount; route?: Route; params: Record<string, string> } {
    let mount: Mount | undefined
    for (const candidate of this.#mounts()) {
      if (vaultPath.startsWith(candidate.path) && (!mount || candidate.path.length > mount.path.length)) {
        mount = candidate
      }
    }
    if (!mount) return { params: {} }
    const relative = vaultPath.slice(mount.path.length)
    for (const route of mount.routes) {
      const match = route.pattern.exec(relative)
      if (match) return { mount, route, params: { ...match.groups } }
    }
    return { mount, params: {} }
  }

  async #serve(request: VaultRequest): Promise<VaultAnswer> {
    const state = this.#state
    const { method, vaultPath, query, headers } = request

    // Served outside the logical router, before the seal and token checks (spec §8).
    if (vaultPath === 'sys/health') {
      if (method === 'GET' || method === 'HEAD') return this.#raw(health(state, query, method === 'HEAD'))
      return { status: 405, body: EMPTY_ERRORS_BODY }
    }
    if (vaultPath === 'sys/seal-status') {
      if (method === 'GET') return this.#raw(sealStatus(state))
      return { status: 405, body: EMPTY_ERRORS_BODY }
    }
    if (vaultPath === 'sys/unseal') {
      if (method === 'PUT' || method === 'POST') return this.#raw(unseal(state, parseBody(request.body)))
      return { status: 405, body: EMPTY_ERRORS_BODY }
    }

    const requestedOperation = operationOf(method, query)
    if (!requestedOperation) return { status: 405, body: EMPTY_ERRORS_BODY }
    if (requestedOperation === 'invalid') return { status: 400, body: EMPTY_ERRORS_BODY }
    // Spec §1.1 gives the 415; the empty list is Vault's respondError(w, 415, nil) (a guess, see the doc).
    if (
      requestedOperation === 'patch' &&
      mediaTypeOf(headers['content-type']) !== 'application/merge-patch+json'
    ) {
      return { status: 415, body: EMPTY_ERRORS_BODY }
    }
    const isWrite = requestedOperation === 'update' || requestedOperation === 'patch'
    const body = isWrite || method === 'DELETE' ? parseBody(request.body) : {}

    let wrapTtlSeconds: number | undefined
    const wrapHeader = headers['x-vault-wrap-ttl']
    if (typeof wrapHeader === 'string' && wrapHeader !== '') {
      try {
        wrapTtlSeconds = parseWrapTtlHeader(wrapHeader)
      } catch (error) {
        throw badRequest((error as Error).message)
      }
      if (wrapTtlSeconds === 0) wrapTtlSeconds = undefined
    }

    if (state.sealed) throw vaultSealed()
    // Real Vault checks this in its core, after the seal and before the token (spec §1.1).
    if (isWrite && vaultPath.endsWith('/')) throw badRequest("cannot write to a path ending in '/'")

    const clientToken = clientTokenOf(headers)
    const { mount, route, params } = this.#resolve(vaultPath)
    if (WRAPPING_TOKEN_PATHS.has(vaultPath)) validateWrappingToken(state, body, clientToken)

    let operation = requestedOperation
    if (operation === 'update' && route?.exists && !route.exists({ params })) operation = 'create'

    let token: TokenEntry | undefined
    let sudo = false
    let revokeAfter = false
    try {
      if (!route?.unauthenticated) {
        const checked = this.#authorize(request, clientToken, vaultPath, operation, wrapTtlSeconds, route)
        token = checked.token
        sudo = checked.sudo
        revokeAfter = checked.revokeAfter
        if (!checked.allowed) throw permissionDenied()
      }

      if (!mount)
        throw new VaultError(404, [`no handler for route "${vaultPath}". route entry not found.`], 'bare')
      if (!route) throw unsupportedPath()
      const kind = handlerKindOf(operation)
      const handler = kind ? route.handlers[kind] : undefined
      if (!handler) throw unsupportedOperation()

      const ctx: RequestContext = {
        operation,
        path: vaultPath,
        mountPath: mount.path,
        params,
        body,
        query,
        clientToken,
        token,
        sudo,
        wrapTtlSeconds,
        remoteAddress: request.remoteAddress,
      }
      const result = await handler(ctx)
      const answer = this.#answer(result, { route, mount, body, vaultPath, wrapTtlSeconds })
      if (token) answer.accessor = token.accessor
      return answer
    } finally {
      if (revokeAfter && token) state.tokens.revokeTree(token.id)
    }
  }

  #authorize(
    request: VaultRequest,
    clientToken: string | undefined,
    vaultPath: string,
    operation: Operation,
    wrapTtlSeconds: number | undefined,
    route: Route | undefined,
  ): { token: TokenEntry; sudo: boolean; allowed: boolean; revokeAfter: boolean } {
    const state = this.#state
    if (clientToken === undefined || clientToken === '')
      throw new VaultError(403, ['permission denied'], 'bare')
    const token = state.tokens.lookup(clientToken)
    if (!token) {
      if (
        clientToken.startsWith('hvs.') &&
        clientToken.length > 33 &&
        !state.tokens.issuedHere(clientToken)
      ) {
        throw new VaultError(403, ['permission denied'], 'bare')
      }
      throw new VaultError(403, ['permission denied', 'invalid token'], 'wrapped')
    }
    if (
      token.boundCidrs &&
      token.boundCidrs.length > 0 &&
      !addressInCidrs(request.remoteAddress, token.boundCidrs)
    ) {
      throw permissionDenied()
    }
    const aclPath = operation === 'list' && !vaultPath.endsWith('/') ? `${vaultPath}/` : vaultPath
    const acl = state.policies.aclFor(token.policies)
    const check = acl.check({
      path: aclPath,
      operation,
      ...(wrapTtlSeconds !== undefined ? { wrapTtlSeconds } : {}),
    })
    const allowed = check.allowed && (!route?.rootProtected || check.sudo)
    const revokeAfter = state.tokens.use(token)
    return { token, sudo: check.sudo, allowed, revokeAfter }
  }

  #raw(result: HandlerResult): VaultAnswer {
    if (result.kind === 'raw')
      return { status: result.status, body: result.headOnly ? undefined : result.body }
    return { status: 204, body: undefined }
  }

  #answer(
    result: HandlerResult,
    context: {
      route: Route
      mount: Mount
      body: Record<string, unknown>
      vaultPath: string
      wrapTtlSeconds: number | undefined
    },
  ): VaultAnswer {
    if (result.kind === 'empty') return { status: 204, body: undefined }
    if (result.kind === 'raw') return this.#raw(result)
    const { route, mount, body, vaultPath, wrapTtlSeconds } = context
    if (result.forcedWrap) {
      const forced = result.forcedWrap
      const ttlSeconds =
        wrapTtlSeconds === undefined ? forced.ttlSeconds : Math.min(wrapTtlSeconds, forced.ttlSeconds)
      const wrapped = wrapResponse(this.#state, {
        payload: forced.payload,
        ttlSeconds,
        creationPath: forced.creationPath,
      })
      return { status: 200, body: `${wrapped}\n` }
    }
    const warnings = [...(result.warnings ?? [])]
    const unrecognized = unrecognizedWarning(route, body)
    if (unrecognized) warnings.push(unrecognized)
    const response = { ...result, warnings }
    if (wrapTtlSeconds !== undefined) {
      const ttlSeconds = Math.min(wrapTtlSeconds, result.wrapTtlCapSeconds ?? Number.POSITIVE_INFINITY)
      const payload = envelopeJson(response, { requestId: requestId(), mountType: mount.type })
      const wrapped = wrapResponse(this.#state, {
        payload,
        ttlSeconds,
        creationPath: vaultPath,
        ...(result.auth ? { wrappedAccessor: result.auth.accessor } : {}),
      })
      return { status: 200, body: `${wrapped}\n` }
    }
    const json = envelopeJson(response, {
      requestId: requestId(),
      mountType: mount.type,
      copyDataToTopLevel: route.copyDataToTopLevel ?? false,
    })
    return { status: 200, body: `${json}\n` }
  }
}
