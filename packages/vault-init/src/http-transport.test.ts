import { execFile } from 'node:child_process'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Server } from 'node:net'
import { inspect, promisify } from 'node:util'
import selfsigned from 'selfsigned'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createHttpTransport,
  describeNetworkError,
  failedBeforeSending,
  HttpRequestError,
  type HttpTransport,
} from './http-transport.ts'
import { VAULT_INIT_VERSION } from './version.ts'

const run = promisify(execFile)
const SECRET = 'hvs.CAESIsecretthatmustneverbeechoed'

interface Received {
  method: string | undefined
  url: string | undefined
  headers: IncomingMessage['headers']
  body: string
}
type Handler = (received: Received, response: ServerResponse) => void

const servers: Server[] = []
const transports: HttpTransport[] = []
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close()
  for (const server of servers.splice(0)) {
    ;(server as ReturnType<typeof createHttpServer>).closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

function transport(caPem?: string, maxResponseBytes?: number): HttpTransport {
  const created = createHttpTransport(caPem, maxResponseBytes === undefined ? {} : { maxResponseBytes })
  transports.push(created)
  return created
}

/** Records each request (its body read in full) and hands it to `handler`. */
function onRequest(received: Received[], handler: Handler) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const entry = {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      received.push(entry)
      handler(entry, response)
    })
  }
}

async function listen(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function httpServer(handler: Handler) {
  const received: Received[] = []
  const port = await listen(createHttpServer(onRequest(received, handler)))
  return { url: `http://127.0.0.1:${port}/v1/token`, received }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => {
  return (_received, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  }
}
const hold: Handler = () => {}

async function rejection(promise: Promise<unknown>): Promise<HttpRequestError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(HttpRequestError)
  return error as HttpRequestError
}

function expectNoSecret(error: unknown) {
  for (const text of [String(error), JSON.stringify(error), inspect(error, { depth: 6 })]) {
    expect(text).not.toContain(SECRET)
  }
}

const request = { headers: { 'x-vault-token': SECRET }, timeoutMs: 5_000 }

describe('createHttpTransport over http', () => {
  it('POSTs the body with its headers and returns the answer as text', async () => {
    const server = await httpServer(json(201, { ok: 'é' }, { 'retry-after': '3' }))
    const answer = await transport().post(server.url, {
      headers: { authorization: 'Bearer abc', 'content-type': 'application/json' },
      body: '{"name":"é"}',
      timeoutMs: 5_000,
    })
    expect(answer.status).toBe(201)
    expect(answer.headers['retry-after']).toBe('3')
    expect(JSON.parse(answer.body)).toEqual({ ok: 'é' })
    expect(server.received).toHaveLength(1)
    expect(server.received[0]).toMatchObject({ method: 'POST', url: '/v1/token', body: '{"name":"é"}' })
    expect(server.received[0]?.headers).toMatchObject({
      authorization: 'Bearer abc',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength('{"name":"é"}')),
      'user-agent': `vault-init/${VAULT_INIT_VERSION}`,
    })
  })

  it('sends no body as Content-Length: 0', async () => {
    const server = await httpServer((_r, response) => response.writeHead(204).end())
    const answer = await transport().post(server.url, request)
    expect(answer).toMatchObject({ status: 204, body: '' })
    expect(server.received[0]).toMatchObject({ body: '' })
    expect(server.received[0]?.headers['content-length']).toBe('0')
    expect(server.received[0]?.headers['transfer-encoding']).toBeUndefined()
  })

  it('returns error statuses and never follows a redirect', async () => {
    const elsewhere = await httpServer(json(200, {}))
    const server = await httpServer(json(307, { errors: [] }, { location: elsewhere.url }))
    const answer = await transport().post(server.url, request)
    expect(answer.status).toBe(307)
    expect(elsewhere.received).toHaveLength(0)
  })

  it('times out a held request: sent, code TIMEOUT, no token in the error', async () => {
    const server = await httpServer(hold)
    const started = Date.now()
    const error = await rejection(transport().post(server.url, { ...request, timeoutMs: 200 }))
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(error).toMatchObject({ code: 'TIMEOUT', sent: true })
    expect(describeNetworkError(error)).toBe('timed out')
    expect(failedBeforeSending(error)).toBe(false)
    expect(server.received).toHaveLength(1)
    expectNoSecret(error)
  })

  it('ends the request when the signal aborts, and sends nothing when it already had', async () => {
    const server = await httpServer(hold)
    const stop = new AbortController()
    const pending = transport().post(server.url, { ...request, signal: stop.signal })
    await expect.poll(() => server.received.length).toBe(1)
    stop.abort()
    expect(await rejection(pending)).toMatchObject({ code: 'ABORTED', sent: true })

    const before = await rejection(transport().post(server.url, { ...request, signal: AbortSignal.abort() }))
    expect(before).toMatchObject({ code: 'ABORTED', sent: false })
    expect(failedBeforeSending(before)).toBe(true)
    expect(server.received).toHaveLength(1)
  })

  it('reports a refused connection as never sent', async () => {
    const server = await httpServer(hold)
    const port = new URL(server.url).port
    const closing = servers.pop()
    await new Promise((resolve) => closing?.close(resolve))
    const error = await rejection(transport().post(`http://127.0.0.1:${port}/v1/token`, request))
    expect(error).toMatchObject({ code: 'ECONNREFUSED', sent: false })
    expect(failedBeforeSending(error)).toBe(true)
    expect(describeNetworkError(error)).toMatch(/^ECONNREFUSED: /)
    expectNoSecret(error)
  })

  it('caps the answer, whether its length is declared or streamed', async () => {
    const declared = await httpServer((_r, response) => response.writeHead(200).end('x'.repeat(2_000)))
    expect(await rejection(transport(undefined, 1_000).post(declared.url, request))).toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
      sent: true,
    })
    const streamed = await httpServer((_r, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('x'.repeat(800))
      response.write('x'.repeat(800)) // chunked: no Content-Length to look at
    })
    expect(await rejection(transport(undefined, 1_000).post(streamed.url, request))).toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
    })
  })

  it('fails when the connection drops in the middle of the answer', async () => {
    const server = await httpServer((_r, response) => {
      response.writeHead(200, { 'content-length': '100' })
      response.write('{"partial":')
      setImmediate(() => response.socket?.destroy())
    })
    const error = await rejection(transport().post(server.url, request))
    expect(error.sent).toBe(true)
    expect(['INCOMPLETE_RESPONSE', 'ECONNRESET']).toContain(error.code)
  })

  it('ends requests in flight on close()', async () => {
    const server = await httpServer(hold)
    const client = transport()
    const pending = client.post(server.url, request)
    await expect.poll(() => server.received.length).toBe(1)
    client.close()
    expect((await rejection(pending)).sent).toBe(true)
  })

  it('ignores proxy variables, even with NODE_USE_ENV_PROXY set', async () => {
    const server = await httpServer(json(200, { direct: true }))
    const module = new URL('./http-transport.ts', import.meta.url).href
    const script = `
      const { createHttpTransport } = await import(${JSON.stringify(module)})
      const transport = createHttpTransport()
      const answer = await transport.post(${JSON.stringify(server.url)}, { headers: {}, timeoutMs: 5000 })
      transport.close()
      process.stdout.write(answer.body)`
    const proxy = 'http://127.0.0.1:9' // nothing listens: a request through it would fail
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxy, http_proxy: proxy },
      timeout: 10_000,
    })
    expect(JSON.parse(stdout)).toEqual({ direct: true })
    expect(server.received).toHaveLength(1)
  })

  it('refuses a header value Node would not send, naming no value', async () => {
    const server = await httpServer(json(200, {}))
    const error = await rejection(
      transport().post(server.url, { ...request, headers: { authorization: `Bearer ${SECRET}\nx: y` } }),
    )
    expect(error).toMatchObject({ code: 'BAD_REQUEST', sent: false })
    expectNoSecret(error)
    expect(server.received).toHaveLength(0)
  })

  it('refuses URLs it cannot send to without sending anything', async () => {
    expect(await rejection(transport().post('ftp://127.0.0.1/x', request))).toMatchObject({
      code: 'BAD_URL',
      sent: false,
    })
    expect(await rejection(transport().post('/relative', request))).toMatchObject({ code: 'BAD_URL' })
  })
})

describe('createHttpTransport over https', () => {
  let ca: selfsigned.GenerateResult
  let otherCa: selfsigned.GenerateResult
  let leaf: selfsigned.GenerateResult
  beforeAll(async () => {
    const caOptions: Parameters<typeof selfsigned.generate>[1] = {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    }
    ca = await selfsigned.generate([{ name: 'commonName', value: 'test CA' }], caOptions)
    otherCa = await selfsigned.generate([{ name: 'commonName', value: 'other CA' }], caOptions)
    leaf = await selfsigned.generate([{ name: 'commonName', value: 'vault.test' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    })
  })

  async function httpsServer(handler: Handler) {
    const received: Received[] = []
    const server = createHttpsServer({ key: leaf.private, cert: leaf.cert }, onRequest(received, handler))
    const port = await listen(server)
    return { url: `https://127.0.0.1:${port}/v1/sys/wrapping/unwrap`, received }
  }

  it('trusts the configured CA', async () => {
    const server = await httpsServer(json(200, { auth: null }))
    const answer = await transport(ca.cert).post(server.url, request)
    expect(answer.status).toBe(200)
    expect(server.received[0]?.headers['x-vault-token']).toBe(SECRET)
  })

  it('refuses a server the CA did not sign, before sending anything', async () => {
    const server = await httpsServer(json(200, {}))
    for (const client of [transport(otherCa.cert), transport()]) {
      const error = await rejection(client.post(server.url, request))
      expect(error.sent).toBe(false)
      expect(error.code).toMatch(/CERT|SIGNATURE|ISSUER/)
      expect(failedBeforeSending(error)).toBe(true)
      expectNoSecret(error)
    }
    expect(server.received).toHaveLength(0)
  })
})
