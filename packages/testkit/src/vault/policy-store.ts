/**
 * @module
 * The ACL policies vault-dev knows: `default` (editable, not deletable), the built-in `root`
 * and `response-wrapping`, and whatever clients write through sys/policy. Compiling an Acl for
 * a set of policies is cached per distinct set, because every request needs one and
 * benchmarks send thousands per second; any policy change drops the cache.
 */
import { Acl } from './acl.ts'
import { DEFAULT_POLICY, type ParsedPolicy, parsePolicy, RESPONSE_WRAPPING_POLICY } from './policy.ts'

interface StoredPolicy {
  text: string
  parsed: ParsedPolicy
}

export const RESPONSE_WRAPPING = 'response-wrapping'

export class PolicyStore {
  readonly #policies = new Map<string, StoredPolicy>()
  readonly #aclCache = new Map<string, Acl>()
  readonly #responseWrapping: ParsedPolicy = parsePolicy(RESPONSE_WRAPPING_POLICY)
  readonly #rootAcl = new Acl([], { root: true })

  constructor() {
    this.reset()
  }

  reset(): void {
    this.#policies.clear()
    this.#aclCache.clear()
    this.#policies.set('default', { text: DEFAULT_POLICY, parsed: parsePolicy(DEFAULT_POLICY) })
  }

  /** Stores a policy; `parsePolicy` errors propagate. */
  set(name: string, text: string): void {
    const parsed = parsePolicy(text)
    this.#policies.set(name, { text, parsed })
    this.#aclCache.clear()
  }

  get(name: string): string | undefined {
    if (name === 'root') return ''
    return this.#policies.get(name)?.text
  }

  delete(name: string): void {
    if (this.#policies.delete(name)) this.#aclCache.clear()
  }

  /** True for names a token can carry without a "does not exist" warning. */
  exists(name: string): boolean {
    return name === 'root' || this.#policies.has(name)
  }

  /** Sorted names, `root` included (as sys/policy lists them). */
  names(): string[] {
    return [...this.#policies.keys(), 'root'].sort()
  }

  /** The compiled ACL for a token's (sanitised) policy list; unknown names are skipped. */
  aclFor(policies: readonly string[]): Acl {
    if (policies.includes('root')) return this.#rootAcl
    const key = policies.join('\n')
    let acl = this.#aclCache.get(key)
    if (!acl) {
      const parsed: ParsedPolicy[] = []
      for (const name of policies) {
        if (name === RESPONSE_WRAPPING) parsed.push(this.#responseWrapping)
        else {
          const stored = this.#policies.get(name)
          if (stored) parsed.push(stored.parsed)
        }
      }
      acl = new Acl(parsed)
      this.#aclCache.set(key, acl)
    }
    return acl
  }
}
