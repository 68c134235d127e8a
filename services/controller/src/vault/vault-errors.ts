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

/** A token-free summary of a node-vault error, fit to be logged. */
export function describeVaultFailure(error: unknown): string {
  const status = vaultStatusOf(error)
  const { message, code } = (error ?? {}) as NodeVaultError
  const text = typeof message === 'string' ? message.replaceAll(/hv[sbr]\.[A-Za-z0-9_-]+/g, '[REDACTED]') : ''
  if (status !== undefined) return `HTTP ${status}: ${text}`
  return `${typeof code === 'string' ? code : 'network error'}: ${text}`
}

/** Maps an error of a Vault call; `what` names the call (`create a token through role pods`). */
export function vaultError(error: unknown, what: string): Error {
  if (isAbortError(error)) return error as Error
  if (error instanceof BrokerError) return error
  const status = vaultStatusOf(error)
  const cause = new Error(`Vault: ${what}: ${describeVaultFailure(error)}`)
  if (status === undefined || status === 429 || status >= 500) {
    const sealed = status === 503
    return new BrokerError('VC_VAULT_UNAVAILABLE', sealed ? 'Vault is sealed' : 'Vault is unavailable', {
      cause,
      retryAfterSeconds: 5,
    })
  }
  return new BrokerError('VC_VAULT_ERROR', `Vault refused to ${what} (HTTP ${status})`, { cause })
}
