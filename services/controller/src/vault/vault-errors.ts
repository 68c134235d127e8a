/**
 * @module
 * Vault failures in the controller's vocabulary: Vault sealed, overloaded or unreachable is
 * `VC_VAULT_UNAVAILABLE` (retryable); a refusal (permission denied, unknown role, bad request) is
 * `VC_VAULT_ERROR`, a misconfiguration an operator must fix.
 *
 * node-vault's errors are never kept as `cause`: they are axios errors whose `config` holds the
 * request headers, `X-Vault-Token` included, and a logger serialising the cause would print it.
 * The cause kept is a fresh error with the status and Vault's error text (which holds no token).
 */
import { BrokerError, isAbortError } from '../errors.ts'

interface NodeVaultError {
  message?: unknown
  code?: unknown
  response?: { statusCode?: unknown }
}

/** Vault's HTTP status of a failed call, or undefined for a network failure. */
export function vaultStatusOf(error: unknown): number | undefined {
  const status = (error as NodeVaultError | undefined)?.response?.statusCode
  return typeof status === 'number' ? status : undefined
}

/** The token-free cause kept for a failed Vault call: Vault's status (none: network) and text. */
export class VaultFailure extends Error {
  override readonly name = 'VaultFailure'
  readonly status: number | undefined
  constructor(message: string, status: number | undefined) {
    super(message)
    this.status = status
  }
}

/** Vault's status behind an error of {@link vaultError} (or a raw node-vault error). */
export function failedVaultStatus(error: unknown): number | undefined {
  if (error instanceof Error && error.cause instanceof VaultFailure) return error.cause.status
  return vaultStatusOf(error)
}

/** Vault tokens and JWTs (a login's service-account token) never reach a message. */
export function redactCredentials(text: string): string {
  return text
    .replaceAll(/\bhv[sbr]\.[A-Za-z0-9_-]+/g, '[REDACTED]')
    .replaceAll(/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, '[REDACTED]')
}

/** A token-free summary of a node-vault error, fit to be logged. */
export function describeVaultFailure(error: unknown): string {
  const status = vaultStatusOf(error)
  const { message, code } = (error ?? {}) as NodeVaultError
  const text = typeof message === 'string' ? redactCredentials(message) : ''
  if (status !== undefined) return `HTTP ${status}: ${text}`
  return `${typeof code === 'string' ? code : 'network error'}: ${text}`
}

/** Maps an error of a Vault call; `what` names the call (`create a token through role pods`). */
export function vaultError(error: unknown, what: string): Error {
  if (isAbortError(error)) return error as Error
  if (error instanceof BrokerError) return error
  const status = vaultStatusOf(error)
  const cause = new VaultFailure(`Vault: ${what}: ${describeVaultFailure(error)}`, status)
  if (status === undefined || status === 429 || status >= 500) {
    const sealed = status === 503
    return new BrokerError('VC_VAULT_UNAVAILABLE', sealed ? 'Vault is sealed' : 'Vault is unavailable', {
      cause,
      retryAfterSeconds: 5,
    })
  }
  return new BrokerError('VC_VAULT_ERROR', `Vault refused to ${what} (HTTP ${status})`, { cause })
}
