/**
 * @module
 * Test-only: a stand-in for vault-init's HTTPS callback listener. It pins a fresh self-signed
 * certificate and, by default, behaves like vault-init: it unwraps the delivered token as the first
 * party and answers `accepted` with the token's accessor. It can also hang or refuse with a 500.
 */
import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { certificateSha256 } from '@vault-controller/protocol'
import selfsigned from 'selfsigned'
import type { Json } from './dev-api.ts'

/** A self-signed EC certificate for `vault-init`, valid for an hour, with its pin. */
export async function selfSignedCertificate(): Promise<{ certPem: string; keyPem: string; sha256: string }> {
  const generated = await selfsigned.generate([{ name: 'commonName', value: 'vault-init' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 3_600_000),
  })
  return {
    certPem: generated.cert,
    keyPem: generated.private,
    sha256: certificateSha256(new X509Certificate(generated.cert).raw),
  }
}

export type CallbackBehaviour = 'accept' | 'hang' | 'refuse-with-500'

export interface CallbackListener {
  port: number
  certSha256: string
  /** Every delivery received, with the request's `path`. */
  deliveries: Json[]
  /** Every unwrapped secret. */
  unwrapped: Json[]
  close(): Promise<void>
}

/** Starts a listener on 127.0.0.1 that unwraps deliveries against `vaultAddr`. */
export async function startCallbackListener(
  vaultAddr: string,
  behaviour: CallbackBehaviour = 'accept',
): Promise<CallbackListener> {
  const certificate = await selfSignedCertificate()
  const deliveries: Json[] = []
  const unwrapped: Json[] = []
  const server: Server = createServer(
    { cert: certificate.certPem, key: certificate.keyPem },
    (request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', async () => {
        const delivery = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        deliveries.push({ path: request.url, ...delivery })
        if (behaviour === 'hang') return
        if (behaviour === 'refuse-with-500') {
          response.writeHead(500, { 'content-type': 'application/json' })
          response.end(
            JSON.stringify({
              error: {
                code: 'VI_INTERNAL',
                message: 'boom',
                requestId: delivery.requestId,
                retryable: false,
              },
            }),
          )
          return
        }
        // vault-init: first-party unwrap with the wrapping token as the client token.
        const unwrap = await fetch(`${vaultAddr}/v1/sys/wrapping/unwrap`, {
          method: 'POST',
          headers: { 'x-vault-token': delivery.wrapInfo.token },
        })
        const secret = (await unwrap.json()) as Json
        unwrapped.push(secret)
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(
          JSON.stringify({
            status: 'accepted',
            requestId: delivery.requestId,
            tokenAccessor: secret.auth.accessor,
          }),
        )
      })
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    certSha256: certificate.sha256,
    deliveries,
    unwrapped,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
