/**
 * @module
 * The one HTTP client vault-init uses, for the controller and for Vault: a POST over Node's own
 * `node:https` / `node:http` with an explicit agent, so a private CA is trusted only where
 * configured, no proxy variable silently reroutes a token (only Node's global agents read
 * `NODE_USE_ENV_PROXY`), and redirects are never followed (a token is never re-sent to an
 * address named by an answer). Each request is bounded: a per-attempt timeout, an abort signal
 * for the run's deadline and signals, and a cap on the answer's size.
 *
 * Node's client rather than undici: vault-init makes three kinds of POST, and undici was ~730 KB
 * of the ~920 KB bundle and most of its start-up time.
 *
 * Errors are {@link HttpRequestError}s: a code and a short message, safe to log; they never carry
 * the request's headers. `sent` says whether any byte of the request may have left: a token in a
 * request that failed before the connection (and its TLS handshake) was up is certainly unused.
 *
 * @example
 * ```ts
 * const transport = createHttpTransport(await readFile(caFile, 'utf8'))
 * const answer = await transport.post('https://vault:8200/v1/sys/wrapping/unwrap', {
 *   headers: { 'x-vault-token': wrappingToken.reveal() },
 *   timeoutMs: 10_000,
 * })
 * answer.status // 200
 * transport.close()
 * ```
 */
import type { ClientRequest, Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import { VAULT_INIT_VERSION } from './version.ts'

// Not `import … from 'node:http'`: Node builds that module's ESM facade by reading every export,
// and its lazy `WebSocket` getters load Node's internal undici, ~35 ms of every start-up.
const http = process.getBuiltinModule('node:http')

/** An answer, whatever its status; 3xx included (not followed). */
export interface HttpAnswer {
  status: number
  headers: IncomingHttpHeaders
  /** The body decoded as UTF-8 (a byte-order mark dropped). */
  body: string
}

export interface HttpPostOptions {
  /** Request headers; they go on the wire and nowhere else. */
  headers: Readonly<Record<string, string>>
  /** The request body (JSON text); none when omitted (`Content-Length: 0`). */
  body?: string
  /** Limit on this one request, connection and answer included. */
  timeoutMs: number
  /** Aborts the request (the run's deadline, SIGTERM). */
  signal?: AbortSignal
}

export interface HttpTransport {
  /** One POST; rejects with an {@link HttpRequestError} only. */
  post(url: string, options: HttpPostOptions): Promise<HttpAnswer>
  /** One GET (no body); rejects with an {@link HttpRequestError} only. */
  get(url: string, options: Omit<HttpPostOptions, 'body'>): Promise<HttpAnswer>
  /** Ends every request in flight. */
  close(): void
}

export interface HttpTransportOptions {
  /** Answers larger than this fail with `RESPONSE_TOO_LARGE`. Default 1 MiB. */
  maxResponseBytes?: number
}

/** A request without a complete answer; its message never holds a header. */
export class HttpRequestError extends Error {
  override readonly name = 'HttpRequestError'
  /**
   * Ours (`TIMEOUT`, `ABORTED`, `RESPONSE_TOO_LARGE`, `INCOMPLETE_RESPONSE`, `BAD_URL`,
   * `BAD_REQUEST`) or the
   * socket's (`ECONNREFUSED`, `ENOTFOUND`, `SELF_SIGNED_CERT_IN_CHAIN`, …).
   */
  readonly code: string
  /** False when the request certainly never left: nothing it carried was used up. */
  readonly sent: boolean

  constructor(code: string, message: string, sent: boolean, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.sent = sent
  }
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
const USER_AGENT = `vault-init/${VAULT_INIT_VERSION}`

interface Agents {
  http: HttpAgent
  https: HttpsAgent
}

/** A client trusting `caPem` only (no system CAs) when given, the system CAs otherwise. */
export function createHttpTransport(caPem?: string, options: HttpTransportOptions = {}): HttpTransport {
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  // A fresh connection per request: a handful of requests per run, and no reused socket that
  // the server closed meanwhile (a reset there would make an unused token look used).
  const agents: Agents = {
    http: new http.Agent({ keepAlive: false, maxSockets: 4 }),
    https: new HttpsAgent({
      keepAlive: false,
      maxSockets: 4,
      minVersion: 'TLSv1.2',
      ...(caPem === undefined ? {} : { ca: caPem }),
    }),
  }
  return {
    post: (url, postOptions) => send(agents, 'POST', url, postOptions, maxResponseBytes),
    get: (url, getOptions) => send(agents, 'GET', url, getOptions, maxResponseBytes),
    close: () => {
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}

function send(
  agents: Agents,
  method: 'GET' | 'POST',
  url: string,
  options: HttpPostOptions,
  maxResponseBytes: number,
): Promise<HttpAnswer> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return Promise.reject(new HttpRequestError('BAD_URL', 'not an absolute URL', false))
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new HttpRequestError('BAD_URL', 'not an http(s) URL', false))
  }
  const secure = target.protocol === 'https:'
  const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8')

  return new Promise<HttpAnswer>((resolve, reject) => {
    /** Whether the connection was up, so the request may have reached the server. */
    let sent = false
    let settled = false
    const finish = (outcome: { answer: HttpAnswer } | { error: HttpRequestError }) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      if ('answer' in outcome) resolve(outcome.answer)
      else {
        request.destroy()
        reject(outcome.error)
      }
    }
    const fail = (code: string, message: string, cause?: unknown) =>
      finish({ error: new HttpRequestError(code, message, sent, cause === undefined ? {} : { cause }) })

    let request: ClientRequest
    try {
      request = (secure ? httpsRequest : http.request)(target, {
        method,
        agent: secure ? agents.https : agents.http,
        headers: {
          'user-agent': USER_AGENT,
          ...options.headers,
          ...(method === 'POST' ? { 'content-length': String(body?.byteLength ?? 0) } : {}),
        },
      })
    } catch (error) {
      // A header value Node refuses (a newline in a token file); Node names the header, not the value.
      const message = error instanceof Error ? error.message.slice(0, 200) : 'invalid request'
      reject(new HttpRequestError('BAD_REQUEST', message, false))
      return
    }
    const onAbort = () => fail('ABORTED', 'aborted')
    const timer = setTimeout(() => fail('TIMEOUT', 'timed out'), options.timeoutMs)
    if (options.signal?.aborted) onAbort()
    options.signal?.addEventListener('abort', onAbort, { once: true })

    // Sockets are never reused (no keep-alive), so each one starts unconnected.
    request.on('socket', (socket: Socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        sent = true
      })
    })
    request.on('error', (error: Error & { code?: unknown }) => {
      const code = typeof error.code === 'string' ? error.code : 'REQUEST_FAILED'
      fail(code, error.message.slice(0, 200), error)
    })
    request.on('response', (response: IncomingMessage) => {
      sent = true
      const declared = Number(response.headers['content-length'])
      if (Number.isFinite(declared) && declared > maxResponseBytes) {
        fail('RESPONSE_TOO_LARGE', `answer larger than ${maxResponseBytes} bytes`)
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength
        if (size > maxResponseBytes)
          fail('RESPONSE_TOO_LARGE', `answer larger than ${maxResponseBytes} bytes`)
        else chunks.push(chunk)
      })
      response.on('error', (error) => fail('INCOMPLETE_RESPONSE', 'connection lost during the answer', error))
      response.on('close', () => {
        if (!response.complete) fail('INCOMPLETE_RESPONSE', 'connection lost during the answer')
      })
      response.on('end', () =>
        finish({
          answer: {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: new TextDecoder().decode(Buffer.concat(chunks)),
          },
        }),
      )
    })
    request.end(body)
  })
}

/** The error's code (an {@link HttpRequestError}'s, or a Node error's), if any. */
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
  return error instanceof HttpRequestError && !error.sent
}

/** One line for logs and error messages: the error's code and message, nothing it carries. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof HttpRequestError && (error.code === 'TIMEOUT' || error.code === 'ABORTED')) {
    return error.message
  }
  const code = networkErrorCode(error)
  const message = error instanceof Error ? error.message : String(error)
  return (code === undefined ? message : `${code}: ${message}`).slice(0, 300)
}
