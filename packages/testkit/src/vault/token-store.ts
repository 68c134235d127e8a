/**
 * @module
 * vault-dev's token store: entries indexed by token and by accessor (O(1) both ways), the
 * parent/child tree that revocation walks, use counting and expiry on the server clock.
 *
 * Expiry is lazy but exact: a token (or any ancestor) whose expiry time has been reached on
 * the clock is revoked, with its descendants, the moment anything looks at it, so an expired
 * token behaves exactly like a revoked one (spec §1.5). A periodic sweep frees the memory of
 * tokens nobody looks at again (benchmarks create many).
 */
import type { Clock } from '../clock.ts'
import type { TokenIdFactory } from './token-ids.ts'

/** What a wrapping token holds (spec §5). */
export interface WrappedPayload {
  /** The original response envelope, serialised, without the trailing newline. */
  response: string
  creationTtlSeconds: number
  creationTimeMs: number
  creationPath: string
}

export interface TokenEntry {
  id: string
  accessor: string
  /** `''` for an orphan. */
  parentId: string
  readonly children: Set<string>
  policies: string[]
  meta: Record<string, string> | null
  displayName: string
  path: string
  /** Remaining uses; 0 = unlimited; -1 = last use spent, revocation pending. */
  numUses: number
  creationTimeMs: number
  creationTtlSeconds: number
  /** 0 = never expires. */
  expireAtMs: number
  /** The token's own explicit max TTL (0 = none). */
  explicitMaxTtlSeconds: number
  /** The token's own period, as requested at creation (0 = none). */
  periodSeconds: number
  /** Period applied on renewal for tokens without a role (login tokens get their role's). */
  renewalPeriodSeconds: number
  /** Max TTL set by the auth method that issued it (0 = mount max). */
  backendMaxTtlSeconds: number
  renewable: boolean
  role: string
  entityId: string
  boundCidrs: string[] | undefined
  lastRenewalMs: number | undefined
  wrapped: WrappedPayload | undefined
}

export type NewTokenEntry = Omit<TokenEntry, 'id' | 'accessor' | 'children' | 'lastRenewalMs'> & {
  id?: string
}

export class TokenStore {
  readonly #byId = new Map<string, TokenEntry>()
  readonly #byAccessor = new Map<string, TokenEntry>()
  readonly #clock: Clock
  readonly #ids: TokenIdFactory

  constructor(clock: Clock, ids: TokenIdFactory) {
    this.#clock = clock
    this.#ids = ids
  }

  get size(): number {
    return this.#byId.size
  }

  /** True when `id` has the shape of a token this server issued (see token-ids.ts). */
  issuedHere(id: string): boolean {
    return this.#ids.looksIssuedHere(id)
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  /** Stores a new entry; a random service token unless `id` is given. */
  create(fields: NewTokenEntry): TokenEntry {
    const id = fields.id ?? this.#ids.serviceToken()
    let accessor = this.#ids.accessor()
    while (this.#byAccessor.has(accessor)) accessor = this.#ids.accessor()
    const entry: TokenEntry = { ...fields, id, accessor, children: new Set(), lastRenewalMs: undefined }
    this.#byId.set(id, entry)
    this.#byAccessor.set(accessor, entry)
    if (entry.parentId) this.#byId.get(entry.parentId)?.children.add(id)
    return entry
  }

  /**
   * The live entry for a token, or undefined when it does not exist, has expired (itself or an
   * ancestor), or has spent its last use. `tainted: true` also returns an entry whose last use
   * is being spent by the current request.
   */
  lookup(id: string, options: { tainted?: boolean } = {}): TokenEntry | undefined {
    const entry = this.#byId.get(id)
    if (!entry || !this.#alive(entry)) return undefined
    if (entry.numUses === -1 && !options.tainted) return undefined
    return entry
  }

  lookupByAccessor(accessor: string, options: { tainted?: boolean } = {}): TokenEntry | undefined {
    const entry = this.#byAccessor.get(accessor)
    if (!entry) return undefined
    return this.lookup(entry.id, options)
  }

  /** Spends one use of a limited token; true when it was the last one (revoke after the request). */
  use(entry: TokenEntry): boolean {
    if (entry.numUses <= 0) return false
    entry.numUses -= 1
    if (entry.numUses === 0) {
      entry.numUses = -1
      return true
    }
    return false
  }

  /** Revokes the token and all its descendants. */
  revokeTree(id: string): void {
    const root = this.#byId.get(id)
    if (!root) return
    const pending = [root]
    for (let entry = pending.pop(); entry; entry = pending.pop()) {
      for (const childId of entry.children) {
        const child = this.#byId.get(childId)
        if (child) pending.push(child)
      }
      this.#remove(entry)
    }
    if (root.parentId) this.#byId.get(root.parentId)?.children.delete(root.id)
  }

  /** Revokes only the token; its children become orphans. */
  revokeOrphan(id: string): void {
    const entry = this.#byId.get(id)
    if (!entry) return
    for (const childId of entry.children) {
      const child = this.#byId.get(childId)
      if (child) child.parentId = ''
    }
    entry.children.clear()
    if (entry.parentId) this.#byId.get(entry.parentId)?.children.delete(entry.id)
    this.#remove(entry)
  }

  /** Accessors of all live tokens. */
  accessors(): string[] {
    const accessors: string[] = []
    for (const entry of [...this.#byId.values()]) {
      if (this.#alive(entry) && entry.numUses !== -1) accessors.push(entry.accessor)
    }
    return accessors
  }

  /** Revokes every expired token (and its descendants). */
  sweepExpired(): void {
    const nowMs = this.#clock.now()
    for (const entry of [...this.#byId.values()]) {
      if (entry.expireAtMs !== 0 && nowMs >= entry.expireAtMs && this.#byId.has(entry.id))
        this.revokeTree(entry.id)
    }
  }

  clear(): void {
    this.#byId.clear()
    this.#byAccessor.clear()
  }

  /** Checks the entry and its ancestors for expiry, revoking the expired subtree. */
  #alive(entry: TokenEntry): boolean {
    const nowMs = this.#clock.now()
    let current: TokenEntry | undefined = entry
    while (current) {
      if (current.expireAtMs !== 0 && nowMs >= current.expireAtMs) {
        this.revokeTree(current.id)
        return false
      }
      current = current.parentId ? this.#byId.get(current.parentId) : undefined
    }
    return true
  }

  #remove(entry: TokenEntry): void {
    this.#byId.delete(entry.id)
    this.#byAccessor.delete(entry.accessor)
  }
}
