/**
 * @module
 * The one node-vault instance of the controller, configured the safe way
 * (specs/vault-http-api.md §11): only `read`/`write` with explicit bodies and per-call headers,
 * never the token helpers (they replace the client's token with any unwrapped answer's), never
 * constructor headers (they freeze the first token), no environment fallbacks (`VAULT_TOKEN`,
 * `VAULT_NAMESPACE`, `VAULT_SKIP_VERIFY`, debug logging of bodies). The token travels with each
 * call, so whoever holds the controller's identity can replace it at any time.
 *
 * Shared by the Vault client (pod tokens) and the token source (the controller's own login,
 * renewal and lookup), on the same keep-alive agents.
 */
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import nodeVault from 'node-vault'
import { failureKind, type Metrics, type VaultOperation } from '../metrics/metrics.ts'
import type { Secret } from '../secret.ts'
import { vaultStatusOf } from './vault-errors.ts'

export interface VaultTransportOptions {
  addr: string
  /** PEM of the CA that signed Vault's certificate; default: the system's. */
  caPem?: string
  /** Sockets kept per agent. */
  maxSockets: number
  requestTimeoutMs: number
  /** Counts and times every call by operation (never by path: a role name stays out of labels). */
  metrics?: Pick<Metrics, 'startVaultCall'>
}

export interface VaultCallOptions {
  /** Sent as `X-Vault-Token`; absent: an unauthenticated call (health, login). */
  token?: Secret
  headers?: Record<string, string>
}

/** Raw calls: they resolve with Vault's JSON answer (`''` for 204) and reject with node-vault's errors. */
export interface VaultTransport {
  read(path: string, options?: VaultCallOptions): Promise<unknown>
  write(path: string, body: unknown, options?: VaultCallOptions): Promise<unknown>
  close(): void
}

type RawClient = {
  read(path: string, options?: object): Promise<unknown>
  write(path: string, data: unknown, options?: object): Promise<unknown>
  token?: string | undefined
  namespace?: string | undefined
  pathPrefix?: string
}

export function createVaultTransport(options: VaultTransportOptions): VaultTransport {
  const raw = nodeVault({
    apiVersion: 'v1',
    endpoint: options.addr,
    // node-vault would otherwise log request bodies (wrapping tokens, JWTs) under DEBUG=node-vault.
    debug: () => {},
    // Explicit, so VAULT_SKIP_VERIFY in the environment cannot turn TLS verification off.
    rpDefaults: { strictSSL: true },
  } as never) as unknown as RawClient
  // No environment fallbacks: our token goes per call, Enterprise namespaces are never sent.
  raw.token = undefined
  raw.namespace = undefined
  raw.pathPrefix = ''

  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets })
  const httpsAgent = new HttpsAgent({
    keepAlive: true,
    maxSockets: options.maxSockets,
    ...(options.caPem === undefined ? {} : { ca: options.caPem }),
  })

  function requestOptions(call: VaultCallOptions): object {
    const headers = { ...call.headers }
    if (call.token !== undefined) headers['X-Vault-Token'] = call.token.reveal()
    return { headers, timeout: options.requestTimeoutMs, httpAgent, httpsAgent }
  }

  async function observed(path: string, run: () => Promise<unknown>): Promise<unknown> {
    const end = options.metrics?.startVaultCall(vaultOperationOf(path))
    try {
      const answer = await run()
      end?.()
      return answer
    } catch (error) {
      end?.(failureKind(vaultStatusOf(error)))
      throw error
    }
  }

  return {
    read: (path, call = {}) => observed(path, () => raw.read(path, requestOptions(call))),
    write: (path, body, call = {}) => observed(path, () => raw.write(path, body, requestOptions(call))),
    close() {
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}

/** The metric label of a Vault path: what is asked, never which role or mount. */
export function vaultOperationOf(path: string): VaultOperation {
  const bare = path.split('?')[0] ?? ''
  if (bare.startsWith('auth/token/create')) return 'token_create'
  if (bare === 'auth/token/revoke-accessor') return 'revoke_accessor'
  if (bare === 'auth/token/lookup-accessor') return 'lookup_accessor'
  if (bare === 'auth/token/renew-self') return 'renew_self'
  if (bare === 'auth/token/lookup-self') return 'lookup_self'
  if (bare === 'sys/health') return 'health'
  if (/^auth\/.+\/login(\/|$)/.test(bare)) return 'login'
  return 'other'
}
