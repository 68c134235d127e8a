/**
 * @module
 * The shapes every part of vault-dev shares: what a handler gets (one request, already
 * authenticated and authorised), what it returns (a logical response, nothing, or a raw
 * body), and how a mount declares its routes. The request pipeline does everything else.
 */
import type { TokenEntry } from './token-store.ts'

export type Operation = 'read' | 'list' | 'create' | 'update' | 'delete' | 'patch'

/** How a method maps onto a route's handlers: `write` serves both create and update. */
export type HandlerKind = 'read' | 'list' | 'write' | 'delete'

export type MountType = 'system' | 'token' | 'kubernetes' | 'approle'

export interface RequestContext {
  operation: Operation
  /** The request path without `/v1/` and without the query string. */
  path: string
  /** The mount's path, e.g. `auth/token/` or `auth/kubernetes/`. */
  mountPath: string
  /** Named groups of the route's pattern. */
  params: Record<string, string>
  body: Record<string, unknown>
  query: URLSearchParams
  /** The token string as presented (`X-Vault-Token` or `Authorization: Bearer`). */
  clientToken: string | undefined
  /** The caller's token entry; absent on unauthenticated paths. */
  token: TokenEntry | undefined
  /** Root, or a matching rule with `sudo` on this exact path. */
  sudo: boolean
  /** Seconds from `X-Vault-Wrap-TTL`, when the client asked for wrapping. */
  wrapTtlSeconds: number | undefined
  remoteAddress: string
}

/** The `auth` block of a response (spec §1.2), in Vault's field order. */
export interface AuthBlock {
  client_token: string
  accessor: string
  policies: string[]
  token_policies: string[]
  identity_policies?: string[]
  metadata: Record<string, string> | null
  lease_duration: number
  renewable: boolean
  entity_id: string
  token_type: 'service'
  orphan: boolean
  mfa_requirement: null
  num_uses: number
}

/** A response whose body is the wrapped form of a stored payload (rewrap). */
export interface ForcedWrap {
  payload: string
  ttlSeconds: number
  creationPath: string
}

export interface LogicalResponse {
  kind: 'logical'
  data?: Record<string, unknown> | null
  auth?: AuthBlock | null
  warnings?: string[]
  /** Wrap this payload instead of the response (sys/wrapping/rewrap). */
  forcedWrap?: ForcedWrap
  /** The smaller of this and the header TTL is used for wrapping (spec §5). */
  wrapTtlCapSeconds?: number
  /** Wrapping is mandatory (sys/wrapping/wrap). */
  requiresWrapping?: boolean
}

export interface RawResponse {
  kind: 'raw'
  status: number
  /** Written as is (already serialised); no trailing newline is added. */
  body: string
  /** Omit the body (HEAD). */
  headOnly?: boolean
}

export type HandlerResult = LogicalResponse | RawResponse | { kind: 'empty' }

export type Handler = (ctx: RequestContext) => HandlerResult | Promise<HandlerResult>

export interface Route {
  /** Matched against the path relative to the mount. */
  pattern: RegExp
  /** For request statistics: the pattern in Vault's documentation style. */
  label: string
  handlers: Partial<Record<HandlerKind, Handler>>
  /** Body fields the route knows; the others produce the "unrecognized parameters" warning. `any`: no warning. */
  fields?: readonly string[] | 'any'
  /** Writes are `create` when this says the item does not exist yet (spec §1.1). */
  exists?: (ctx: { params: Record<string, string> }) => boolean
  /** Needs `sudo` in addition to the capability (spec §2.2). */
  rootProtected?: boolean
  /** No token needed, no ACL check, no token use. */
  unauthenticated?: boolean
  /** Copy `data` keys to the top level of the body (spec §1.2). */
  copyDataToTopLevel?: boolean
}

export interface Mount {
  path: string
  type: MountType
  routes: readonly Route[]
}

export const EMPTY: HandlerResult = { kind: 'empty' }

export function logical(parts: Omit<LogicalResponse, 'kind'>): LogicalResponse {
  return { kind: 'logical', ...parts }
}
