/**
 * @module
 * The controller's only door to Vault (the sole importer of `node-vault`), typed in and out.
 * It uses node-vault the safe way (specs/vault-http-api.md §11): only `read`/`write` with explicit
 * bodies and per-call headers, never the token helpers (they replace the client's token with the
 * pod's), never constructor headers, no environment fallbacks (`VAULT_TOKEN`, `VAULT_NAMESPACE`,
 * `VAULT_SKIP_VERIFY`, debug logging of bodies). Every call goes through one concurrency limit.
 *
 * The controller's own token needs no root: `update` on `auth/token/create/<role>` (plus `sudo` on
 * that path only for per-token periods, §4.6) and on `auth/token/lookup-accessor` and
 * `auth/token/revoke-accessor`.
 */
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { wrapInfoFromVault } from '@vault-controller/protocol'
import nodeVault from 'node-vault'
import pLimit from 'p-limit'
import { BrokerError } from '../errors.ts'
import { Secret } from '../secret.ts'
import { vaultError, vaultStatusOf } from './vault-errors.ts'

export interface VaultClientOptions {
  addr: string
  /** PEM of the CA that signed Vault's certificate; default: the system's. */
  caPem?: string
  /** The controller's own Vault token, fetched for each call (so a rotated file is picked up). */
  token: () => Promise<Secret>
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

type RawClient = {
  read(path: string, options?: object): Promise<unknown>
  write(path: string, data: unknown, options?: object): Promise<unknown>
  token?: string | undefined
  namespace?: string | undefined
  pathPrefix?: string
}

export function createVaultClient(options: VaultClientOptions): VaultClient {
  const raw = nodeVault({
    apiVersion: 'v1',
    endpoint: options.addr,
    // node-vault would otherwise log request bodies (wrapping tokens) under DEBUG=node-vault.
    debug: () => {},
    // Explicit, so VAULT_SKIP_VERIFY in the environment cannot turn TLS verification off.
    rpDefaults: { strictSSL: true },
  } as never) as unknown as RawClient
  // No environment fallbacks: our token goes per call, Enterprise namespaces are never sent.
  raw.token = undefined
  raw.namespace = undefined
  raw.pathPrefix = ''

  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxConcurrency })
  const httpsAgent = new HttpsAgent({
    keepAlive: true,
    maxSockets: options.maxConcurrency,
    ...(options.caPem === undefined ? {} : { ca: options.caPem }),
  })
  const limit = pLimit(options.maxConcurrency)

  async function call<T>(
    what: string,
    run: (requestOptions: object) => Promise<unknown>,
    headers: Record<string, string> = {},
    authenticated = true,
  ): Promise<T> {
    return limit(async () => {
      let allHeaders = headers
      if (authenticated) {
        let token: Secret
        try {
          token = await options.token()
        } catch (error) {
          throw new BrokerError('VC_VAULT_ERROR', "the controller's own Vault token cannot be read", {
            cause: error,
          })
        }
        allHeaders = { ...headers, 'X-Vault-Token': token.reveal() }
      }
      try {
        return (await run({
          headers: allHeaders,
          timeout: options.requestTimeoutMs,
          httpAgent,
          httpsAgent,
        })) as T
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
        (requestOptions) =>
          raw.write(`auth/token/create/${encodeURIComponent(input.role)}`, body, requestOptions),
        { 'X-Vault-Wrap-TTL': `${input.wrapTtlSeconds}s` },
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
      await call('revoke a token by accessor', (requestOptions) =>
        raw.write('auth/token/revoke-accessor', { accessor }, requestOptions),
      )
    },

    async lookupAccessor(accessor) {
      const invalid = Symbol('invalid accessor')
      const answer = await call<{ data?: Record<string, unknown> } | typeof invalid>(
        'look up a token by accessor',
        (requestOptions) =>
          raw
            .write('auth/token/lookup-accessor', { accessor }, requestOptions)
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
      const answer = await call<Record<string, unknown>>(
        'read its health',
        (requestOptions) => raw.read('sys/health?standbyok=true&perfstandbyok=true', requestOptions),
        {},
        false,
      )
      return {
        initialized: answer?.initialized === true,
        sealed: answer?.sealed !== false,
        standby: answer?.standby === true,
      }
    },

    close() {
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}
