import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { certificateSha256 } from '@vault-controller/protocol'
import selfsigned from 'selfsigned'
import { afterEach, describe, expect, it } from 'vitest'
import { Secret } from '../secret.ts'
import { certificateMatches, DeliveryError, deliverByCallback } from './callback.ts'

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function listener(answer: (body: Record<string, unknown>) => { status: number; body: unknown }) {
  const generated = await selfsigned.generate([{ name: 'commonName', value: 'vault-init' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
  })
  const received: string[] = []
  const server = createServer({ cert: generated.cert, key: generated.private }, (request, response) => {
    let text = ''
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
    })
    request.on('end', () => {
      received.push(text)
      const { status, body } = answer(JSON.parse(text))
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(body))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const der = new X509Certificate(generated.cert).raw
  return { port: (server.address() as AddressInfo).port, certSha256: certificateSha256(der), der, received }
}

function delivery(target: { port: number; certSha256: string }) {
  return {
    target: { podIp: '127.0.0.1', ...target },
    requestId: 'req-1',
    wrapInfo: {
      accessor: 'wrappingAccessor1',
      ttlSeconds: 60,
      creationTime: '2026-11-22T10:00:00Z',
      creationPath: 'auth/token/create/pods',
      wrappedAccessor: 'tokenAccessor1',
    },
    wrappingToken: new Secret('hvs.wrapping-token'),
    connectTimeoutMs: 1000,
    totalTimeoutMs: 2000,
  }
}

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DeliveryError) return error
    throw error
  }
  throw new Error('delivered')
}

describe('deliverByCallback', () => {
  it('posts the wrap info with its token and returns the confirmed accessor', async () => {
    const pod = await listener((body) => ({
      status: 200,
      body: { status: 'accepted', requestId: body.requestId, tokenAccessor: 'tokenAccessor1' },
    }))
    expect(await deliverByCallback(delivery(pod))).toEqual({ tokenAccessor: 'tokenAccessor1' })
    expect(JSON.parse(pod.received[0] ?? '')).toEqual({
      requestId: 'req-1',
      wrapInfo: { ...delivery(pod).wrapInfo, token: 'hvs.wrapping-token' },
    })
  })

  it('refuses a confirmation for another token', async () => {
    const pod = await listener((body) => ({
      status: 200,
      body: { status: 'accepted', requestId: body.requestId, tokenAccessor: 'somethingElse' },
    }))
    expect((await failureOf(deliverByCallback(delivery(pod)))).kind).toBe('accessor-mismatch')
  })

  it("reports vault-init's refusal code", async () => {
    const pod = await listener((body) => ({
      status: 422,
      body: {
        error: {
          code: 'VI_WRAPPING_TOKEN_REJECTED',
          message: 'used',
          requestId: body.requestId,
          retryable: false,
        },
      },
    }))
    const failure = await failureOf(deliverByCallback(delivery(pod)))
    expect(failure).toMatchObject({ kind: 'refused', vaultInitCode: 'VI_WRAPPING_TOKEN_REJECTED' })
  })

  it('writes nothing to a listener whose certificate is not the pinned one', async () => {
    const pod = await listener(() => ({ status: 200, body: {} }))
    const failure = await failureOf(
      deliverByCallback(delivery({ port: pod.port, certSha256: 'ab'.repeat(32) })),
    )
    expect(failure.kind).toBe('certificate-mismatch')
    expect(pod.received).toEqual([])
  })

  it('gives up when the deadline signal fires', async () => {
    const pod = await listener(() => ({ status: 200, body: {} }))
    const failure = await failureOf(deliverByCallback({ ...delivery(pod), signal: AbortSignal.abort() }))
    expect(failure.kind).toBe('aborted')
  })
})

describe('certificateMatches', () => {
  it('compares the DER hash with the pin', async () => {
    const pod = await listener(() => ({ status: 200, body: {} }))
    expect(certificateMatches(pod.der, pod.certSha256)).toBe(true)
    expect(certificateMatches(pod.der, '00'.repeat(32))).toBe(false)
    expect(certificateMatches(pod.der, 'short')).toBe(false)
  })
})
