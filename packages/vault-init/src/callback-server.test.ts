import { X509Certificate } from 'node:crypto'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:tls'
import { certificateSha256, DELIVER_PATH, MAX_DELIVER_REQUEST_BYTES } from '@vault-controller/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createCallbackCertificate } from './callback-certificate.ts'
import { type CallbackServer, type DeliveryAnswer, startCallbackServer } from './callback-server.ts'
import { silentLogger } from './logger.ts'
import { SingleDelivery } from './single-delivery.ts'

const certificate = createCallbackCertificate()
const wrapInfo = {
  token: 'hvs.wrappingtoken',
  accessor: 'WrapAccessor0000000000000',
  ttlSeconds: 60,
  creationTime: '2026-01-01T00:00:00.123456789Z',
  creationPath: 'auth/token/create/pod-tokens',
  wrappedAccessor: 'TokenAccessor00000000000',
}
const delivery = { requestId: 'req-1', wrapInfo }

let server: CallbackServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start(onDelivery: () => Promise<DeliveryAnswer>) {
  server = await startCallbackServer({
    host: '127.0.0.1',
    port: 0,
    certificate,
    gate: new SingleDelivery(),
    logger: silentLogger,
    onDelivery,
  })
  return server.port
}

function post(port: number, options: { method?: string; path?: string; type?: string; body?: string }) {
  return new Promise<{
    status: number
    body: { error?: { code: string; retryable: boolean } } & Record<string, unknown>
  }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? DELIVER_PATH,
        ca: certificate.certPem,
        servername: 'vault-init',
        checkServerIdentity: () => undefined,
        agent: false,
        headers: { 'content-type': options.type ?? 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        )
      },
    )
    req.on('error', reject)
    req.end(options.body ?? JSON.stringify(delivery))
  })
}

const accepted = async (): Promise<DeliveryAnswer> => ({
  status: 'accepted',
  tokenAccessor: wrapInfo.wrappedAccessor,
})

describe('callback certificate', () => {
  it('is a valid self-signed P-256 certificate, and certSha256 is the SHA-256 of what the server presents', async () => {
    const x509 = new X509Certificate(certificate.certPem)
    expect(x509.verify(x509.publicKey)).toBe(true)
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(x509.ca).toBe(false)
    expect(certificate.certSha256).toBe(x509.fingerprint256.replaceAll(':', '').toLowerCase())
    const port = await start(accepted)
    const presented = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().raw)
        socket.end()
      })
      socket.on('error', reject)
    })
    expect(certificateSha256(presented)).toBe(certificate.certSha256)
  })

  it('is fresh on every start', () => {
    expect(createCallbackCertificate().certSha256).not.toBe(certificate.certSha256)
  })
})

describe('callback server', () => {
  it('accepts one delivery and refuses every later one with 409', async () => {
    let calls = 0
    const port = await start(async () => {
      calls++
      return accepted()
    })
    expect(await post(port, {})).toEqual({
      status: 200,
      body: { status: 'accepted', requestId: 'req-1', tokenAccessor: wrapInfo.wrappedAccessor },
    })
    const again = await post(port, {})
    expect(again.status).toBe(409)
    expect(again.body.error).toMatchObject({
      code: 'VI_ALREADY_DELIVERED',
      requestId: 'req-1',
      retryable: false,
    })
    expect(calls).toBe(1)
  })

  it('refuses a concurrent delivery while one is processed, and reopens after a refusal', async () => {
    let release: (answer: DeliveryAnswer) => void = () => {}
    let calls = 0
    const port = await start(() => {
      calls++
      return new Promise((resolve) => {
        release = resolve
      })
    })
    const first = post(port, {})
    await expect.poll(() => calls).toBe(1)
    const concurrent = await post(port, {})
    expect(concurrent.status).toBe(409)
    release({ status: 'refused', code: 'VI_VAULT_UNAVAILABLE', message: 'vault down' })
    const refused = await first
    expect(refused.status).toBe(503)
    expect(refused.body.error).toMatchObject({ code: 'VI_VAULT_UNAVAILABLE', retryable: true })
    const retry = post(port, {})
    await expect.poll(() => calls).toBe(2)
    release({ status: 'accepted', tokenAccessor: wrapInfo.wrappedAccessor })
    expect((await retry).status).toBe(200)
  })

  it.each([
    [{ path: '/' }, 404, 'VI_ROUTE_NOT_FOUND'],
    [{ path: '/v1/token' }, 404, 'VI_ROUTE_NOT_FOUND'],
    [{ method: 'PUT' }, 404, 'VI_ROUTE_NOT_FOUND'],
    [{ type: 'text/plain' }, 415, 'VI_UNSUPPORTED_MEDIA_TYPE'],
    [{ body: '{not json' }, 400, 'VI_BAD_REQUEST'],
    [{ body: JSON.stringify({ requestId: 'req-1' }) }, 400, 'VI_BAD_REQUEST'],
    [{ body: JSON.stringify({ ...delivery, extra: 1 }) }, 400, 'VI_BAD_REQUEST'],
    [
      { body: JSON.stringify({ ...delivery, pad: 'x'.repeat(MAX_DELIVER_REQUEST_BYTES) }) },
      413,
      'VI_BODY_TOO_LARGE',
    ],
  ])('refuses %j with %d %s and never calls the handler', async (options, status, code) => {
    let calls = 0
    const port = await start(async () => {
      calls++
      return accepted()
    })
    const answer = await post(port, options)
    expect(answer.status).toBe(status)
    expect(answer.body.error?.code).toBe(code)
    expect(JSON.stringify(answer.body)).not.toContain(wrapInfo.token)
    expect(calls).toBe(0)
  })

  it('accepts application/json with a charset', async () => {
    const port = await start(accepted)
    expect((await post(port, { type: 'application/json; charset=utf-8' })).status).toBe(200)
  })

  it('answers 500 VI_INTERNAL when the handler throws, and stays open', async () => {
    let fail = true
    const port = await start(async () => {
      if (fail) throw new Error('boom')
      return accepted()
    })
    expect((await post(port, {})).body.error?.code).toBe('VI_INTERNAL')
    fail = false
    expect((await post(port, {})).status).toBe(200)
  })
})
