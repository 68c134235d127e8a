/**
 * @module
 * A man in the middle between vault-init and the controller, for the cases that need the request
 * vault-init really sends (its callback port and certificate hash) but changed or repeated: point
 * the callback at a port where nothing listens, at a listener that never answers, at another
 * certificate; or send it several times at once. By default it forwards unchanged.
 *
 * Given several controllers it is also the one address in front of them (a Service): requests go
 * round-robin, and a replica that refuses connections (stopped, killed) is skipped for the next
 * one, as a Service drops an endpoint whose pod is gone.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ProxiedRequest {
  headers: Record<string, string>
  /** The parsed JSON body (a TokenRequest when vault-init sent it). */
  body: unknown
}

export interface ProxiedAnswer {
  status: number
  headers: Record<string, string>
  text: string
}

/** Decides what the controller receives for one request, and what goes back to vault-init. */
export type ProxyHandler = (
  request: ProxiedRequest,
  forward: (request: ProxiedRequest) => Promise<ProxiedAnswer>,
) => Promise<ProxiedAnswer>

export interface ControllerProxy {
  /** Where vault-init is pointed. */
  readonly url: string
  /** Requests received so far. */
  readonly received: ProxiedRequest[]
  /** The handler in force; default: forward unchanged. */
  handler: ProxyHandler
  close(): Promise<void>
}

const FORWARDED_HEADERS = ['authorization', 'content-type'] as const

/** One controller, several (round-robin), or a function answering the live ones. */
export type ProxyTargets = string | readonly string[] | (() => readonly string[])

export async function startControllerProxy(targets: ProxyTargets): Promise<ControllerProxy> {
  const urls = () =>
    typeof targets === 'function' ? targets() : typeof targets === 'string' ? [targets] : targets
  let next = 0
  const forward = async (request: ProxiedRequest): Promise<ProxiedAnswer> => {
    const live = urls()
    for (let tried = 1; ; tried += 1) {
      const url = live[next++ % live.length] ?? ''
      try {
        return await forwardTo(url, request)
      } catch (error) {
        const refused = (error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED'
        if (!refused || tried >= live.length) throw error
      }
    }
  }
  const forwardTo = async (controllerUrl: string, request: ProxiedRequest): Promise<ProxiedAnswer> => {
    const response = await fetch(new URL('/v1/token', controllerUrl), {
      method: 'POST',
      headers: request.headers,
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(30_000),
    })
    const headers: Record<string, string> = { 'content-type': response.headers.get('content-type') ?? '' }
    const retryAfter = response.headers.get('retry-after')
    if (retryAfter !== null) headers['retry-after'] = retryAfter
    return { status: response.status, headers, text: await response.text() }
  }

  const proxy: ControllerProxy = {
    url: '',
    received: [],
    handler: (request, send) => send(request),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }

  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const headers: Record<string, string> = {}
      for (const name of FORWARDED_HEADERS) {
        const value = incoming.headers[name]
        if (typeof value === 'string') headers[name] = value
      }
      const request: ProxiedRequest = { headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }
      proxy.received.push(request)
      proxy
        .handler(request, forward)
        .then((answer) => {
          outgoing.writeHead(answer.status, answer.headers).end(answer.text)
        })
        .catch(() => {
          outgoing.writeHead(502, { 'content-type': 'application/json' }).end('{}')
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(proxy, { url: `http://127.0.0.1:${port}` })
}
