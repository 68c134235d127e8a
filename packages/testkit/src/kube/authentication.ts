/**
 * @module
 * Bearer-token authentication (spec §1.1): static tokens first (the admin token, identities added
 * through `/__testkit/identities`), then service-account JWTs, which authenticate exactly when
 * TokenReview against the API audiences would accept them.
 */
import type { ReviewLookup, ServiceAccountTokens } from './service-account-tokens.ts'

export interface UserInfo {
  username: string
  uid: string
  groups: string[]
  extra: Record<string, string[]>
}

export interface StaticIdentity {
  token: string
  username: string
  uid?: string
  groups?: string[]
}

/** `anonymous` when no credentials were sent, `invalid` when they were wrong. */
export type AuthenticationResult = { user: UserInfo } | { anonymous: true } | { invalid: true }

export const anonymousUser: UserInfo = {
  username: 'system:anonymous',
  uid: '',
  groups: ['system:unauthenticated'],
  extra: {},
}

export class Authenticator {
  readonly #identities = new Map<string, UserInfo>()
  readonly #tokens: ServiceAccountTokens
  readonly #lookup: ReviewLookup

  constructor(tokens: ServiceAccountTokens, lookup: ReviewLookup) {
    this.#tokens = tokens
    this.#lookup = lookup
  }

  addIdentity(identity: StaticIdentity): UserInfo {
    const groups = [...(identity.groups ?? [])]
    if (!groups.includes('system:authenticated')) groups.push('system:authenticated')
    const user: UserInfo = { username: identity.username, uid: identity.uid ?? '', groups, extra: {} }
    this.#identities.set(identity.token, user)
    return user
  }

  async authenticate(authorization: string | undefined): Promise<AuthenticationResult> {
    if (authorization === undefined || authorization === '') return { anonymous: true }
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim())
    // Other schemes (Basic, ...) are not configured: kube-apiserver falls through to anonymous.
    if (!match) return { anonymous: true }
    const token = (match[1] ?? '').trim()
    const identity = this.#identities.get(token)
    if (identity !== undefined) return { user: identity }
    if (token.split('.').length !== 3) return { invalid: true }
    const result = await this.#tokens.authenticate(token, this.#lookup)
    if (!result.authenticated) return { invalid: true }
    return { user: result.user }
  }
}
