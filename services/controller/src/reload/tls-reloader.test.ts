import { X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { waitFor } from '@vault-controller/testkit'
import Fastify, { type FastifyInstance } from 'fastify'
import selfsigned from 'selfsigned'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AllowListSource } from './allow-list-source.ts'
import { runConfigReloadWith } from './config-reload.ts'

interface Pem {
  cert: string
  key: string
  fingerprint: string
}

async function certificate(commonName: string): Promise<Pem> {
  const generated = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
  })
  return {
    cert: generated.cert,
    key: generated.private,
    fingerprint: new X509Certificate(generated.cert).fingerprint256,
  }
}

/** GET over a new TLS connection; resolves with the status and the certificate the server showed. */
function get(url: string, path = '/'): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(new URL(path, url), { rejectUnauthorized: false, agent: false }, (response) => {
      const fingerprint = (response.socket as TLSSocket).getPeerCertificate().fingerprint256
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode ?? 0, fingerprint }))
    })
    outgoing.setTimeout(5000, () => outgoing.destroy(new Error('timed out')))
    outgoing.on('error', reject)
    outgoing.end()
  })
}

let dir: string
let app: FastifyInstance | undefined
let logLines: Record<string, unknown>[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tls-reload-'))
  logLines = []
})

afterEach(async () => {
  await app?.close()
  app = undefined
  rmSync(dir, { recursive: true, force: true })
})

/** A Fastify HTTPS server on 127.0.0.1 serving `initial`, with the reload running. */
async function serve(initial: Pem, intervalMs: number) {
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  writeFileSync(certFile, initial.cert)
  writeFileSync(keyFile, initial.key)
  const allowListFile = join(dir, 'allow-list.yaml')
  writeFileSync(allowListFile, '')
  let release: () => void = () => undefined
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let slowStarted = false
  app = Fastify({
    https: { cert: initial.cert, key: initial.key },
    logger: { level: 'debug', stream: { write: (line: string) => logLines.push(JSON.parse(line)) } },
  })
  app.get('/', async () => ({ ok: true }))
  app.get('/slow', async () => {
    slowStarted = true
    await released
    return { ok: true }
  })
  const reload = runConfigReloadWith(app, {
    intervalMs,
    allowList: new AllowListSource(allowListFile, ''),
    tls: { certFile, keyFile, cert: initial.cert, key: initial.key },
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, certFile, keyFile, reload, release, slowStarted: () => slowStarted }
}

const messages = (level: number) =>
  logLines.filter((line) => line.level === level).map((line) => String(line.msg))

describe('TLS certificate reload', () => {
  it('serves a rotated certificate to new connections; a request in flight completes', async () => {
    const [first, second] = await Promise.all([certificate('controller-1'), certificate('controller-2')])
    const server = await serve(first, 60_000)
    expect((await get(server.url)).fingerprint).toBe(first.fingerprint)
    const inFlight = get(server.url, '/slow')
    await waitFor(() => server.slowStarted(), { description: 'the slow request to start' })

    // Written one after the other, as a plain copy would: briefly a mismatched pair.
    writeFileSync(server.keyFile, second.key)
    writeFileSync(server.certFile, second.cert)
    await waitFor(async () => (await get(server.url)).fingerprint === second.fingerprint, {
      description: 'a new connection to see the new certificate',
    })
    expect(messages(30)).toContain('TLS certificate reloaded')
    expect(server.reload.tls?.status()).toMatchObject({ fingerprint256: second.fingerprint, generation: 2 })

    server.release()
    expect(await inFlight).toEqual({ status: 200, fingerprint: first.fingerprint })
    expect(messages(50)).toEqual([])
    expect(JSON.stringify(logLines)).not.toContain('PRIVATE KEY')
  })

  it('refuses a certificate whose key does not match, keeps the old one, reports it once', async () => {
    const [first, second] = await Promise.all([certificate('controller-1'), certificate('controller-2')])
    const server = await serve(first, 100)

    writeFileSync(server.certFile, second.cert) // the key stays the old one
    const refusal = await waitFor(() => logLines.find((line) => line.level === 50), {
      description: 'the error line',
    })
    expect(refusal).toMatchObject({
      msg: 'TLS certificate reload rejected; the previous certificate stays in force: the private key does not belong to the certificate',
      certFile: server.certFile,
      keyFile: server.keyFile,
      inForce: { fingerprint256: first.fingerprint },
    })
    // Warned first (a pair in the middle of an update), then the error once it stayed invalid.
    expect(messages(40)[0]).toMatch(/^TLS certificate and key are not a valid pair \(yet\)/)
    expect((await get(server.url)).fingerprint).toBe(first.fingerprint)
    await server.reload.tls?.reload()
    expect(messages(50)).toHaveLength(1)

    writeFileSync(server.keyFile, second.key)
    await waitFor(async () => (await get(server.url)).fingerprint === second.fingerprint, {
      description: 'the completed pair',
    })
    expect(JSON.stringify(logLines)).not.toContain(second.key.split('\n')[1])
  })

  it('refuses a file that is not PEM at all', async () => {
    const first = await certificate('controller-1')
    const server = await serve(first, 100)
    writeFileSync(server.certFile, 'not a certificate')
    await waitFor(() => messages(50)[0]?.startsWith('TLS certificate reload rejected'), {
      description: 'the error line',
    })
    expect((await get(server.url)).fingerprint).toBe(first.fingerprint)
  })
})
