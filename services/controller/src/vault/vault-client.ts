/**
 * @module
 * The controller's door to Vault for pod tokens, typed in and out. Calls go through the safe
 * node-vault transport (vault-transport.ts, specs/vault-http-api.md §11) with the controller's
 * current token read per call from its token provider; a 403 is reported to the provider, which
 * re-authenticates if the token itself was refused, and the call is then retried once. Every
 * authenticated call goes through one concurrency limit.
 *
 * The controller's own token needs no root: `update` on `auth/token/create/<role>` (plus `sudo` on
 * that path only for per-token periods, §4.6) and on `auth/token/lookup-accessor` and
 * `auth/token/revoke-accessor` (see setup/controller-policy.ts).
 */
import { wrapInfoFromVault } from '@vault-controller/protocol'
import pLimit from 'p-limit'
import { BrokerError } from '../errors.ts'
import { Secret } from '../secret.ts'
import { vaultError, vaultStatusOf } from './vault-errors.ts'
import { createVaultTransport, type VaultTransport } from './vault-transport.ts'

/**
 * Who the controller is towards Vault: its current token, and what to do when Vault refuses it.
 * `VaultTokenSource` (vault-token-source.ts) is the real one.
 */
export interface VaultTokenProvider {
  token(): Promise<Secret>
  /**
   * A call answered 403 with `rejected`. Resolves true when a different token is now held (the
   * call is then retried once), false when the refusal was the policy's, not the token's.
   */
  reportForbidden?(rejected: Secret): Promise<boolean>
}

export interface VaultClientOptions {
  addr: string
  /** PEM of the CA that signed Vault's certificate; default: the system's. */
  caPem?: string
  /** The controller's own Vault token, fetched for each call, never frozen into the client. */
  token: (() => Promise<Secret>) | VaultTokenProvider
  /** Share a transport (the token source's); default: a new one, closed with the client. */
  transport?: VaultTransport
  maxConcurrency: number
  requestTimeoutMs: number
}

export interface CreateWrappedTokenInput {
  role: string
  policies: readonly string[]
  meta: Readonly<Record<string, string>>
  displayName: string
  /** Sent as `period` (needs sudo on the role's create path); absent: the role's own period. */
  periodSeconds?: number
  wrapTtlSeconds: number
}

export interface WrappedToken {
  /** The single-use wrapping token: delivered, never logged or stored. */
  wrappingToken: Secret
  wrappingAccessor: string
  /** The minted token's accessor (`wrapped_accessor`). */
  tokenAccessor: string
  creationTime: string
  creationPath: string
  wrapTtlSeconds: number
}

/** What lookup-accessor says about a token (no token value: lookups by accessor have `id: ""`). */
export interface AccessorLookup {
  policies: string[]
  meta: Record<string, string> | null
  displayName: string
  orphan: boolean
  ttlSeconds: number
  path: string
  period?: number
}

export interface VaultHealth {
  initialized: boolean
  sealed: boolean
  standby: boolean
}

export interface VaultClient {
  createWrappedToken(input: CreateWrappedTokenInput): Promise<WrappedToken>
  /** Revokes the token (and its children); an unknown accessor is not an error. */
  revokeAccessor(accessor: string): Promise<void>
  /** The token behind `accessor`, or undefined when it does not exist (revoked, expired, used). */
  lookupAccessor(accessor: string): Promise<AccessorLookup | undefined>
  health(): Promise<VaultHealth>
  close(): void
}

export function createVaultClient(options: VaultClientOptions): VaultClient {
  const transport =
    options.transport ??
    createVaultTransport({
      addr: options.addr,
      ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
      maxSockets: options.maxConcurrency,
      requestTimeoutMs: options.requestTimeoutMs,
    })
  const provider: VaultTokenProvider =
    typeof options.token === 'function' ? { token: options.token } : options.token
  const limit = pLimit(options.maxConcurrency)

  async function ownToken(): Promise<Secret> {
    try {
      return await provider.token()
    } catch (error) {
      if (error instanceof BrokerError) throw error
      throw new BrokerError('VC_VAULT_ERROR', "the controller's own Vault token cannot be read", {
        cause: error,
      })
    }
  }

  /** One authenticated call; a 403 the token source explains by a new token is retried once. */
  async function call<T>(what: string, run: (token: Secret) => Promise<unknown>): Promise<T> {
    return limit(async () => {
      const token = await ownToken()
      try {
        return (await run(token)) as T
      } catch (error) {
        if (vaultStatusOf(error) !== 403 || provider.reportForbidden === undefined)
          throw vaultError(error, what)
        if (!(await provider.reportForbidden(token))) throw vaultError(error, what)
      }
      try {
        return (await run(await ownToken())) as T
      } catch (error) {
        throw vaultError(error, what)
      }
    })
  }

  return {
    async createWrappedToken(input) {
      const body: Record<string, unknown> = {
        policies: [...input.policies],
        meta: { ...input.meta },
        display_name: input.displayName,
        renewable: true,
      }
      if (input.periodSeconds !== undefined) body.period = `${input.periodSeconds}s`
      const what = `create a token through role ${input.role}`
      const answer = await call<{ wrap_info?: unknown; auth?: { accessor?: unknown } | null }>(
        what,
        (token) =>
          transport.write(`auth/token/create/${encodeURIComponent(input.role)}`, body, {
            token,
            headers: { 'X-Vault-Wrap-TTL': `${input.wrapTtlSeconds}s` },
          }),
      )
      const wrapInfo = wrapInfoFromVault(answer?.wrap_info)
      if (!wrapInfo.ok) {
        // An unwrapped answer holds the token in clear (a proxy dropped the wrap header?):
        // revoke it at once, and never look at it otherwise.
        const accessor = answer?.auth?.accessor
        if (typeof accessor === 'string' && accessor !== '') await this.revokeAccessor(accessor)
        throw new BrokerError('VC_VAULT_ERROR', `Vault did not answer with a wrapped token to ${what}`)
      }
      const { token, accessor, wrappedAccessor, creationTime, creationPath, ttlSeconds } = wrapInfo.value
      return {
        wrappingToken: new Secret(token),
        wrappingAccessor: accessor,
        tokenAccessor: wrappedAccessor,
        creationTime,
        creationPath,
        wrapTtlSeconds: ttlSeconds,
      }
    },

    async revokeAccessor(accessor) {
      await call('revoke a token by accessor', (token) =>
        transport.write('auth/token/revoke-accessor', { accessor }, { token }),
      )
    },

    async lookupAccessor(accessor) {
      const invalid = Symbol('invalid accessor')
      const answer = await call<{ data?: Record<string, unknown> } | typeof invalid>(
        'look up a token by accessor',
        (token) =>
          transport
            .write('auth/token/lookup-accessor', { accessor }, { token })
            // 400 `invalid accessor`: the token is gone (revoked, expired, or a used wrapping token).
            .catch((error: unknown) => {
              if (vaultStatusOf(error) === 400) return invalid
              throw error
            }),
      )
      if (answer === invalid) return undefined
      const data = answer.data ?? {}
      const lookup: AccessorLookup = {
        policies: Array.isArray(data.policies) ? (data.policies as string[]) : [],
        meta: (data.meta as Record<string, string> | null | undefined) ?? null,
        displayName: typeof data.display_name === 'string' ? data.display_name : '',
        orphan: data.orphan === true,
        ttlSeconds: typeof data.ttl === 'number' ? data.ttl : 0,
        path: typeof data.path === 'string' ? data.path : '',
      }
      if (typeof data.period === 'number') lookup.period = data.period
      return lookup
    },

    async health() {
      let answer: Record<string, unknown> | undefined
      try {
        // Unauthenticated, and outside the concurrency limit: readiness must not queue behind minting.
        answer = (await transport.read('sys/health?standbyok=true&perfstandbyok=true')) as typeof answer
      } catch (error) {
        throw vaultError(error, 'read its health')
      }
      return {
        initialized: answer?.initialized === true,
        sealed: answer?.sealed !== false,
        standby: answer?.standby === true,
      }
    },

    close() {
      if (options.transport === undefined) transport.close()
    },
  }
}
