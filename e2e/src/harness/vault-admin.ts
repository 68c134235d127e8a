/**
 * @module
 * Vault as its operator sees it, with the root token: write policies and roles, count live tokens,
 * look tokens up by accessor. Plain HTTP against the real API (works with vault-dev and with a real
 * Vault), so every answer is checked as Vault sends it. The root token never leaves this object.
 */

export interface TokenLookup {
  accessor: string
  policies: string[]
  orphan: boolean
  period?: number
  ttl: number
  renewable: boolean
  display_name: string
  /** Unix seconds. */
  creation_time: number
  meta: Record<string, string> | null
  path: string
  role?: string
  [key: string]: unknown
}

export class VaultRequestError extends Error {
  readonly status: number
  readonly errors: string[]
  constructor(method: string, path: string, status: number, errors: string[]) {
    super(`Vault ${method} ${path}: ${status} ${JSON.stringify(errors)}`)
    this.status = status
    this.errors = errors
  }
}

export class VaultAdmin {
  readonly addr: string
  readonly #rootToken: string

  constructor(addr: string, rootToken: string) {
    this.addr = addr
    this.#rootToken = rootToken
  }

  /** `method /v1/<path>` with the root token (or `token`); Vault's `errors` become a VaultRequestError. */
  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    token: string = this.#rootToken,
  ): Promise<T> {
    const response = await fetch(new URL(`/v1/${path}`, this.addr), {
      method,
      headers: {
        'x-vault-token': token,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await response.text()
    const parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
    if (!response.ok) {
      throw new VaultRequestError(
        method,
        path,
        response.status,
        (parsed.errors as string[] | undefined) ?? [],
      )
    }
    return parsed as T
  }

  async writePolicy(name: string, hcl: string): Promise<void> {
    await this.request('PUT', `sys/policies/acl/${name}`, { policy: hcl })
  }

  async writeTokenRole(name: string, settings: Record<string, unknown>): Promise<void> {
    await this.request('POST', `auth/token/roles/${name}`, settings)
  }

  /** A token for a service (the controller): returns the client token and its accessor. */
  async createToken(settings: Record<string, unknown>): Promise<{ token: string; accessor: string }> {
    const answer = await this.request<{ auth: { client_token: string; accessor: string } }>(
      'POST',
      'auth/token/create',
      settings,
    )
    return { token: answer.auth.client_token, accessor: answer.auth.accessor }
  }

  /** Accessors of every live token (needs sudo on `auth/token/accessors`: root has it). */
  async listAccessors(): Promise<string[]> {
    const answer = await this.request<{ data: { keys: string[] } }>('GET', 'auth/token/accessors?list=true')
    return answer.data.keys
  }

  async countTokens(): Promise<number> {
    return (await this.listAccessors()).length
  }

  /** The token's properties, or undefined when no live token has this accessor. */
  async lookupAccessor(accessor: string): Promise<TokenLookup | undefined> {
    try {
      const answer = await this.request<{ data: TokenLookup }>('POST', 'auth/token/lookup-accessor', {
        accessor,
      })
      return answer.data
    } catch (error) {
      if (error instanceof VaultRequestError && error.status === 400) return undefined
      throw error
    }
  }

  /** `auth/token/lookup-self` with `token`: what the token's holder sees. */
  async lookupSelf(token: string): Promise<TokenLookup> {
    return (await this.request<{ data: TokenLookup }>('GET', 'auth/token/lookup-self', undefined, token)).data
  }

  /**
   * Every live token whose lookup `path` starts with `pathPrefix` (e.g. `auth/token/create/` for
   * what token roles minted, wrapping tokens included: their path is the wrapped request's).
   */
  async liveTokens(pathPrefix: string): Promise<TokenLookup[]> {
    const lookups = await Promise.all(
      (await this.listAccessors()).map((accessor) => this.lookupAccessor(accessor)),
    )
    return lookups.filter((lookup): lookup is TokenLookup => lookup?.path.startsWith(pathPrefix) === true)
  }

  async revokeAccessor(accessor: string): Promise<void> {
    await this.request('POST', 'auth/token/revoke-accessor', { accessor })
  }
}
