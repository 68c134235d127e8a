/**
 * @module
 * The one HTTP stack vault-init uses, for the controller and for Vault: undici's `fetch` with an
 * explicit `Agent` (so a private CA is trusted only where configured, and no proxy variable
 * silently reroutes a token), plus error descriptions that are safe to log: a code and a short
 * message, never an error object that might carry request headers.
 */
import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici'

/** undici's `fetch`, or a stand-in with the same shape (tests). */
export type Fetch = typeof undiciFetch

export interface HttpTransport {
  fetch: Fetch
  dispatcher: Dispatcher
  close(): Promise<void>
}

/** An agent trusting `caPem` (in addition to nothing else) when given, the system CAs otherwise. */
export function createHttpTransport(caPem?: string, fetch: Fetch = undiciFetch): HttpTransport {
  const agent = new Agent({
    connect: caPem === undefined ? {} : { ca: caPem },
    connections: 4,
    keepAliveTimeout: 4_000,
  })
  return { fetch, dispatcher: agent, close: () => agent.close() }
}

/** Failures that happen before a request reaches the server: nothing was sent, so nothing was used up. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** `code` of a fetch failure (undici puts it on `cause`), if any. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = current.cause
  }
  return undefined
}

/** Whether the request certainly never reached the server. */
export function failedBeforeSending(error: unknown): boolean {
  const code = networkErrorCode(error)
  return code !== undefined && NOT_SENT_CODES.has(code)
}

/** One line for logs and error messages: the error's code and message, nothing it carries. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'timed out'
  }
  const code = networkErrorCode(error)
  let innermost: unknown = error
  while (innermost instanceof Error && innermost.cause instanceof Error) innermost = innermost.cause
  const message = innermost instanceof Error ? innermost.message : String(innermost)
  return code === undefined ? message : `${code}: ${message}`.slice(0, 300)
}
