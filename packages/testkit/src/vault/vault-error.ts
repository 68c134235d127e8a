/**
 * @module
 * Errors as vault-dev answers them. Real Vault distinguishes a handler's *error response*
 * (the bare message reaches the client) from a *plain error* that the core wraps in a
 * go-multierror (`"1 error occurred:\n\t* …\n\n"`); clients see the difference (spec §1.3),
 * so every error carries its form along with its HTTP status.
 */

/** `bare`: the message as is; `wrapped`: rendered as a go-multierror list. */
export type ErrorForm = 'bare' | 'wrapped'

export class VaultError extends Error {
  readonly status: number
  readonly messages: readonly string[]
  readonly form: ErrorForm

  constructor(status: number, messages: readonly string[], form: ErrorForm, options?: ErrorOptions) {
    super(messages.join('; ') || `status ${status}`, options)
    this.status = status
    this.messages = messages
    this.form = form
  }

  /** The `errors` list of the JSON body. */
  render(): string[] {
    if (this.form === 'bare' || this.messages.length === 0) return [...this.messages]
    return [multiErrorText(this.messages)]
  }
}

/** go-multierror's default formatting. */
export function multiErrorText(messages: readonly string[]): string {
  if (messages.length === 1) return `1 error occurred:\n\t* ${messages[0]}\n\n`
  return `${messages.length} errors occurred:\n${messages.map((message) => `\t* ${message}`).join('\n')}\n\n`
}

/** A handler's error response: 400 with the bare message. */
export function badRequest(message: string): VaultError {
  return new VaultError(400, [message], 'bare')
}

/** A plain error wrapped by the core, with the status its kind maps to. */
export function wrappedError(status: number, message: string): VaultError {
  return new VaultError(status, [message], 'wrapped')
}

/** An ACL denial (always the wrapped form, never mentions `invalid token`). */
export function permissionDenied(): VaultError {
  return wrappedError(403, 'permission denied')
}

/** A read or list with nothing to show: 404 `{"errors":[]}`. */
export function notFound(): VaultError {
  return new VaultError(404, [], 'bare')
}

export function unsupportedPath(): VaultError {
  return wrappedError(404, 'unsupported path')
}

export function unsupportedOperation(): VaultError {
  return wrappedError(405, 'unsupported operation')
}

export function vaultSealed(): VaultError {
  return new VaultError(503, ['Vault is sealed'], 'bare')
}
