/**
 * @module
 * The controller's one error type. Every failure that reaches a client is a `BrokerError` with a
 * stable code from the protocol catalogue; the status, the `retryable` flag and `Retry-After` all
 * come from that code, in the error handler of `app.ts`, so they cannot disagree. The message is
 * for the caller: it never contains a token, a JWT or a Vault or Kubernetes answer. Causes ride
 * along in `cause` for the logs.
 */
import { type ErrorCode, httpStatusOf, isRetryable } from '@vault-controller/protocol'

/** Seconds a client should wait before retrying a retryable error, unless the error says otherwise. */
export const DEFAULT_RETRY_AFTER_SECONDS = 2

export interface BrokerErrorOptions extends ErrorOptions {
  /** `Retry-After` for a retryable code; default {@link DEFAULT_RETRY_AFTER_SECONDS}. */
  retryAfterSeconds?: number
}

export class BrokerError extends Error {
  override readonly name = 'BrokerError'
  readonly code: ErrorCode
  /** The HTTP status of {@link code} (a plain field: Fastify may assign it). */
  readonly statusCode: number
  readonly retryAfterSeconds: number | undefined

  constructor(code: ErrorCode, message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.statusCode = httpStatusOf(code)
    this.retryAfterSeconds = isRetryable(code)
      ? (options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)
      : undefined
  }
}

/** Whether `error` is an abort (a deadline or a closed connection), which callers rethrow untouched. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')
}
