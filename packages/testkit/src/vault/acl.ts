/**
 * @module
 * The access decision of vault-dev: which rule of a token's policies applies to a request
 * path, and whether it allows the operation (vault/acl.go `AllowOperation`).
 *
 * An Acl is compiled once per policy set (the server keeps one per token) and consulted on
 * every request, so rules are merged up front into three tables (exact paths, `*` prefixes,
 * `+` segment patterns) and lookups are memoised per path.
 */
import type { Capability, ParsedPolicy, PathRule } from './policy.ts'

export type AclOperation = 'read' | 'list' | 'create' | 'update' | 'delete' | 'patch'

export interface AclRequest {
  /** Request path without `/v1/` and query, e.g. `auth/token/create/pod-tokens`. */
  path: string
  operation: AclOperation
  /** The `X-Vault-Wrap-TTL` in seconds; undefined when the header is absent. */
  wrapTtlSeconds?: number
}

export interface AclDecision {
  /** The operation's capability is granted and the wrapping limits are met. */
  allowed: boolean
  /** The rule that applies grants `sudo` (always true for root), whatever the operation. */
  sudo: boolean
}

const BIT: Readonly<Record<Capability, number>> = {
  deny: 1,
  create: 2,
  read: 4,
  update: 8,
  delete: 16,
  list: 32,
  sudo: 64,
  patch: 128,
}

/** The capability an operation needs (§2.2). */
export function capabilityFor(operation: AclOperation): Capability {
  return operation
}

/** Merged permissions for one rule path (vault ACLPermissions). */
interface Permissions {
  bits: number
  /** Seconds; 0 = not set. Non-positive values never limit, as in Vault. */
  minWrappingTtl: number
  maxWrappingTtl: number
}

interface SegmentRule {
  /** Path without the trailing `*`. */
  pattern: string
  parts: readonly string[]
  isPrefix: boolean
  /** Position of the first `+` in the rule as written. */
  firstWildcard: number
  wildcards: number
  permissions: Permissions
}

/** A candidate in the specificity contest of step 2 (vault `wcPathDescr`). */
interface Candidate {
  firstWildcard: number
  pattern: string
  isPrefix: boolean
  wildcards: number
  permissions: Permissions
}

const MEMO_LIMIT = 1024

export class Acl {
  readonly #root: boolean
  readonly #exact = new Map<string, Permissions>()
  /** `*` rules, longest prefix first. */
  readonly #prefixes: { prefix: string; permissions: Permissions }[] = []
  readonly #segments: SegmentRule[] = []
  readonly #memo = new Map<string, Permissions | undefined>()

  constructor(policies: readonly ParsedPolicy[], options: { root?: boolean } = {}) {
    this.#root = options.root ?? false
    const prefixes = new Map<string, Permissions>()
    const segments = new Map<string, Permissions>()
    for (const policy of policies) {
      for (const rule of policy.rules) {
        // Templated paths ({{identity.entity.id}}) need an entity; vault-dev tokens have none,
        // and Vault skips the path when templating fails.
        if (rule.path.includes('{{')) continue
        if (hasSegmentWildcards(rule.path)) merge(segments, rule.path, rule)
        else if (rule.path.endsWith('*')) merge(prefixes, rule.path.slice(0, -1), rule)
        else merge(this.#exact, rule.path, rule)
      }
    }
    for (const [prefix, permissions] of prefixes) this.#prefixes.push({ prefix, permissions })
    this.#prefixes.sort((a, b) => b.prefix.length - a.prefix.length)
    for (const [path, permissions] of segments) {
      const isPrefix = path.endsWith('*')
      const pattern = isPrefix ? path.slice(0, -1) : path
      const parts = pattern.split('/')
      this.#segments.push({
        pattern,
        parts,
        isPrefix,
        firstWildcard: path.indexOf('+'),
        wildcards: parts.filter((part) => part === '+').length,
        permissions,
      })
    }
  }

  check(request: AclRequest): AclDecision {
    if (this.#root) return { allowed: true, sudo: true }
    const permissions = this.#lookup(request.path, request.operation === 'list')
    if (permissions === undefined) return { allowed: false, sudo: false }
    const sudo = (permissions.bits & BIT.sudo) !== 0 && (permissions.bits & BIT.deny) === 0
    return { allowed: operationAllowed(permissions, request), sudo }
  }

  #lookup(requestPath: string, list: boolean): Permissions | undefined {
    const memoKey = list ? `L${requestPath}` : `-${requestPath}`
    if (this.#memo.has(memoKey)) return this.#memo.get(memoKey)
    // Vault's HTTP layer adds the trailing slash to list requests.
    const path = list && !requestPath.endsWith('/') ? `${requestPath}/` : requestPath
    const found =
      this.#exact.get(path) ??
      (list ? this.#exact.get(path.slice(0, -1)) : undefined) ??
      this.#fromNonExactPaths(path)
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear()
    this.#memo.set(memoKey, found)
    return found
  }

  /** vault/acl.go `CheckAllowedFromNonExactPaths` (non-bare-mount case). */
  #fromNonExactPaths(path: string): Permissions | undefined {
    const longest = this.#prefixes.find((rule) => path.startsWith(rule.prefix))
    if (this.#segments.length === 0) return longest?.permissions
    let best: Candidate | undefined
    // The longest prefix competes only when non-empty (a bare `*` rule is a fallback).
    if (longest !== undefined && longest.prefix !== '') {
      best = {
        firstWildcard: longest.prefix.length,
        pattern: longest.prefix,
        isPrefix: true,
        wildcards: 0,
        permissions: longest.permissions,
      }
    }
    const pathParts = path.split('/')
    for (const rule of this.#segments) {
      if (!segmentRuleMatches(rule, pathParts)) continue
      if (best === undefined || moreSpecific(rule, best)) best = rule
    }
    return best?.permissions ?? longest?.permissions
  }
}

function hasSegmentWildcards(path: string): boolean {
  return path === '+' || path.includes('/+') || path.startsWith('+/')
}

function segmentRuleMatches(rule: SegmentRule, pathParts: readonly string[]): boolean {
  if (pathParts.length < rule.parts.length) return false
  if (!rule.isPrefix && pathParts.length !== rule.parts.length) return false
  const last = rule.parts.length - 1
  return rule.parts.every((part, index) => {
    const segment = pathParts[index] ?? ''
    return part === '+' || part === segment || (rule.isPrefix && index === last && segment.startsWith(part))
  })
}

/** Vault's ordering: later first wildcard; no trailing `*`; fewer `+`; longer; greater string. */
function moreSpecific(a: Candidate, b: Candidate): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard > b.firstWildcard
  if (a.isPrefix !== b.isPrefix) return !a.isPrefix
  if (a.wildcards !== b.wildcards) return a.wildcards < b.wildcards
  if (a.pattern.length !== b.pattern.length) return a.pattern.length > b.pattern.length
  return a.pattern > b.pattern
}

function operationAllowed(permissions: Permissions, request: AclRequest): boolean {
  if ((permissions.bits & BIT[capabilityFor(request.operation)]) === 0) return false
  const wrap = request.wrapTtlSeconds
  const { minWrappingTtl: min, maxWrappingTtl: max } = permissions
  if (max > 0 && (wrap === undefined || wrap > max)) return false
  if (min > 0 && (wrap === undefined || wrap < min)) return false
  // Possible after merging policies, although a single rule with max < min does not parse.
  if (min !== 0 && max !== 0 && max < min) return false
  return true
}

/** vault/acl.go NewACL: same path string → capabilities united, deny wins, smaller limits kept. */
function merge(table: Map<string, Permissions>, key: string, rule: PathRule): void {
  let bits = 0
  for (const capability of rule.capabilities) bits |= BIT[capability]
  if (bits & BIT.deny) bits = BIT.deny
  const min = rule.minWrappingTtlSeconds ?? 0
  const max = rule.maxWrappingTtlSeconds ?? 0
  const existing = table.get(key)
  if (existing === undefined) {
    table.set(key, { bits, minWrappingTtl: min, maxWrappingTtl: max })
    return
  }
  if (existing.bits & BIT.deny) return
  if (bits & BIT.deny) {
    existing.bits = BIT.deny
    return
  }
  existing.bits |= bits
  if (max > 0 && (existing.maxWrappingTtl === 0 || max < existing.maxWrappingTtl))
    existing.maxWrappingTtl = max
  if (min > 0 && (existing.minWrappingTtl === 0 || min < existing.minWrappingTtl))
    existing.minWrappingTtl = min
}
