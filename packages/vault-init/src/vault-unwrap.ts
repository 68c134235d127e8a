/**
 * @module
 * The two Vault calls vault-init makes, as first party (`X-Vault-Token` = the token, no body,
 * specs/vault-http-api.md §6.1): unwrapping the wrapping token, and revoking an unwrapped token
 * that turned out not to be this pod's.
 *
 * Direct HTTP rather than node-vault: node-vault reads `VAULT_TOKEN`, `VAULT_NAMESPACE` and
 * `VAULT_SKIP_VERIFY` (any non-empty value disables TLS verification) from the environment,
 * logs request bodies under `DEBUG=node-vault`, follows proxy variables through axios, and its
 * errors carry the request headers (the wrapping token); it would also bring axios into the
 * bundle for two POSTs. The HTTP client (`http-transport.ts`) is the controller's too.
 */
import {
  describeNetworkError,
  failedBeforeSending,
  type HttpAnswer,
  type HttpTransport,
} from './http-transport.ts'
import { Secret } from './secret.ts'

/** Vault's error for a wrapping token that was already used, expired or never existed (§6). */
export const WRAPPING_TOKEN_INVALID = 'wrapping token is not valid or does not exist'

export type UnwrapResult =
  /** 200: the body as received and its `auth` block (absent when the wrapped value was no token). */
  | { kind: 'unwrapped'; body: string; auth: UnwrappedAuth | undefined }
  /** 400 not valid: used, expired or unknown. Possible interception. */
  | { kind: 'rejected' }
  /** Vault could not be reached or is sealed: the wrapping token is certainly still unused. */
  | { kind: 'unavailable'; reason: string }
  /** Anything else: the wrapping token may or may not have been used. */
  | { kind: 'failed'; reason: string }

export interface UnwrappedAuth {
  clientToken: Secret
  accessor: string | undefined
  metadata: unknown
}

export interface VaultCallOptions {
  vaultAddr: string
  transport: HttpTransport
  timeoutMs: number
}

/** `POST /v1/sys/wrapping/unwrap` with `X-Vault-Token: <wrapping token>` and no body. */
export async function unwrap(wrappingToken: Secret, options: VaultCallOptions): Promise<UnwrapResult> {
  let answer: HttpAnswer
  try {
    answer = await options.transport.post(`${options.vaultAddr}/v1/sys/wrapping/unwrap`, {
      headers: { 'x-vault-token': wrappingToken.reveal(), 'x-vault-request': 'true' },
      timeoutMs: options.timeoutMs,
    })
  } catch (error) {
    const reason = `Vault unwrap: ${describeNetworkError(error)}`
    return failedBeforeSending(error) ? { kind: 'unavailable', reason } : { kind: 'failed', reason }
  }
  const { status, body } = answer
  if (status === 200) return { kind: 'unwrapped', body, auth: readAuth(body) }
  const errors = vaultErrors(body)
  if (status === 400 && errors.some((message) => message.includes(WRAPPING_TOKEN_INVALID))) {
    return { kind: 'rejected' }
  }
  const reason = `Vault unwrap answered ${status}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`
  // Sealed or standby Vault refuses before looking at the token.
  return status === 503 ? { kind: 'unavailable', reason } : { kind: 'failed', reason }
}

/** `POST /v1/auth/token/revoke-self` as `token`; resolves to an error description or undefined. */
export async function revokeSelf(token: Secret, options: VaultCallOptions): Promise<string | undefined> {
  try {
    const { status, body } = await options.transport.post(`${options.vaultAddr}/v1/auth/token/revoke-self`, {
      headers: { 'x-vault-token': token.reveal(), 'x-vault-request': 'true' },
      timeoutMs: options.timeoutMs,
    })
    if (status === 204 || status === 200) return undefined
    return `Vault revoke-self answered ${status}: ${vaultErrors(body).join('; ')}`
  } catch (error) {
    return `Vault revoke-self: ${describeNetworkError(error)}`
  }
}

/** Whether a token is alive: `alive`, `invalid` (Vault refuses it: revoked or expired), or unknown. */
export type TokenLiveness = { kind: 'alive' } | { kind: 'invalid' } | { kind: 'unknown'; reason: string }

/** `GET /v1/auth/token/lookup-self` as `token` (every token may look itself up, `default` policy). */
export async function lookupSelf(token: Secret, options: VaultCallOptions): Promise<TokenLiveness> {
  try {
    const { status, body } = await options.transport.get(`${options.vaultAddr}/v1/auth/token/lookup-self`, {
      headers: { 'x-vault-token': token.reveal(), 'x-vault-request': 'true' },
      timeoutMs: options.timeoutMs,
    })
    if (status === 200) return { kind: 'alive' }
    // Vault answers an unknown, revoked or expired token with 403 "permission denied".
    if (status === 403) return { kind: 'invalid' }
    return {
      kind: 'unknown',
      reason: `Vault lookup-self answered ${status}: ${vaultErrors(body).join('; ')}`,
    }
  } catch (error) {
    return { kind: 'unknown', reason: `Vault lookup-self: ${describeNetworkError(error)}` }
  }
}

function readAuth(body: string): UnwrappedAuth | undefined {
  try {
    const auth = (JSON.parse(body) as { auth?: unknown }).auth
    if (typeof auth !== 'object' || auth === null) return undefined
    const { client_token, accessor, metadata } = auth as Record<string, unknown>
    if (typeof client_token !== 'string' || client_token === '') return undefined
    return {
      clientToken: new Secret(client_token),
      accessor: typeof accessor === 'string' ? accessor : undefined,
      metadata,
    }
  } catch {
    return undefined
  }
}

/** Vault's `errors` list, cut short; Vault never echoes tokens in it. */
export function vaultErrors(body: string): string[] {
  try {
    const errors = (JSON.parse(body) as { errors?: unknown }).errors
    return Array.isArray(errors)
      ? errors.filter((e) => typeof e === 'string').map((e) => e.slice(0, 200))
      : []
  } catch {
    return []
  }
}
