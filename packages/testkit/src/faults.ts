/**
 * @module
 * Fault injection and request counting, shared by vault-dev and kube-dev.
 *
 * A test (or the bench) registers rules through `POST /__testkit/faults`; every
 * request to the real API surface is matched against them before it is served.
 * A matching rule can delay the request, answer it with a given status and body,
 * or drop the connection, for the next N matching calls or a fraction of them.
 * The servers also count every API request they serve (`GET /__testkit/stats`),
 * so benchmarks report calls per issuance as the servers saw them.
 */

/** A fault as sent to `POST /__testkit/faults`. */
export interface FaultSpec {
  /** HTTP method to match (any when absent). Case-insensitive. */
  method?: string
  /** Path prefix to match, without the query string (any when absent), e.g. `/v1/auth/token/create`. */
  pathPrefix?: string
  /** Regular expression (JavaScript syntax) the path must match. */
  pathRegex?: string
  /** Answer with this status instead of serving the request. */
  status?: number
  /** Body for `status` (JSON-encoded). When absent the server's usual error body for that status is used. */
  body?: unknown
  /** Wait this long before serving (or failing) the request. */
  latencyMs?: number
  /** Destroy the socket without answering. */
  drop?: boolean
  /** Apply to the next N matching requests only (unlimited when absent). */
  times?: number
  /** Apply to this fraction (0..1] of matching requests, chosen at random. Default 1. */
  fraction?: number
}

/** What a matching rule asks the server to do with one request. */
export interface FaultAction {
  latencyMs: number
  status?: number
  body?: unknown
  drop: boolean
}

interface FaultRule extends FaultSpec {
  id: number
  regex?: RegExp
  remaining: number
}

/** Thrown for a rule that does not make sense; the servers answer 400 with its message. */
export class FaultSpecError extends Error {}

export class FaultInjector {
  #rules: FaultRule[] = []
  #nextId = 1
  readonly #random: () => number

  constructor(random: () => number = Math.random) {
    this.#random = random
  }

  /** Validates and adds a rule; returns its id (for `DELETE /__testkit/faults/:id`). */
  add(spec: FaultSpec): number {
    if (typeof spec !== 'object' || spec === null) throw new FaultSpecError('fault must be a JSON object')
    const { status, latencyMs, times, fraction, pathRegex, drop } = spec
    if (status !== undefined && (!Number.isInteger(status) || status < 100 || status > 599)) {
      throw new FaultSpecError('status must be an integer HTTP status')
    }
    if (latencyMs !== undefined && (typeof latencyMs !== 'number' || latencyMs < 0 || latencyMs > 600_000)) {
      throw new FaultSpecError('latencyMs must be a number between 0 and 600000')
    }
    if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
      throw new FaultSpecError('times must be a positive integer')
    }
    if (fraction !== undefined && (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1))) {
      throw new FaultSpecError('fraction must be in (0, 1]')
    }
    if (drop !== undefined && typeof drop !== 'boolean') throw new FaultSpecError('drop must be a boolean')
    if (status === undefined && latencyMs === undefined && !drop) {
      throw new FaultSpecError('a fault needs at least one of status, latencyMs, drop')
    }
    let regex: RegExp | undefined
    if (pathRegex !== undefined) {
      try {
        regex = new RegExp(pathRegex)
      } catch (error) {
        throw new FaultSpecError(`pathRegex does not compile: ${(error as Error).message}`)
      }
    }
    const id = this.#nextId++
    const rule: FaultRule = { ...spec, id, remaining: times ?? Number.POSITIVE_INFINITY }
    if (regex) rule.regex = regex
    this.#rules.push(rule)
    return id
  }

  remove(id: number): boolean {
    const before = this.#rules.length
    this.#rules = this.#rules.filter((rule) => rule.id !== id)
    return this.#rules.length !== before
  }

  clear(): void {
    this.#rules = []
  }

  list(): Array<FaultSpec & { id: number; remaining: number | null }> {
    return this.#rules.map(({ regex: _regex, remaining, ...rest }) => ({
      ...rest,
      remaining: Number.isFinite(remaining) ? remaining : null,
    }))
  }

  /** The action for one request, consuming one use of the first matching rule. */
  match(method: string, path: string): FaultAction | undefined {
    for (const rule of this.#rules) {
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue
      if (rule.pathPrefix !== undefined && !path.startsWith(rule.pathPrefix)) continue
      if (rule.regex !== undefined && !rule.regex.test(path)) continue
      if (rule.fraction !== undefined && this.#random() >= rule.fraction) continue
      rule.remaining -= 1
      if (rule.remaining <= 0) this.#rules = this.#rules.filter((other) => other !== rule)
      const action: FaultAction = { latencyMs: rule.latencyMs ?? 0, drop: rule.drop ?? false }
      if (rule.status !== undefined) action.status = rule.status
      if (rule.body !== undefined) action.body = rule.body
      return action
    }
    return undefined
  }
}

/** Counts of API requests served, keyed by `METHOD route`. */
export class RequestStats {
  #counts = new Map<string, number>()
  #total = 0

  record(method: string, route: string): void {
    const key = `${method.toUpperCase()} ${route}`
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1)
    this.#total += 1
  }

  reset(): void {
    this.#counts.clear()
    this.#total = 0
  }

  snapshot(): { total: number; byRoute: Record<string, number> } {
    return { total: this.#total, byRoute: Object.fromEntries([...this.#counts].sort()) }
  }
}
