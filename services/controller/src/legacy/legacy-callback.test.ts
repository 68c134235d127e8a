import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DeliveryError } from '../delivery/callback.ts'
import type { LegacyDelivery } from '../issuance/issue-token.ts'
import type { PodView } from '../kube/pod-view.ts'
import { Secret } from '../secret.ts'
import { createLegacyDeliver, legacyCallbackPayload, legacyCallbackTarget } from './legacy-callback.ts'

const pod: PodView = {
  namespace: 'shop',
  name: 'web-1',
  uid: 'uid-1',
  resourceVersion: '7',
  annotations: {},
  finalizers: [],
  terminating: false,
  serviceAccountName: 'web',
  nodeName: 'node-1',
  hostNetwork: false,
  phase: 'Pending',
  podIp: '127.0.0.1',
  hostIp: '10.0.0.1',
  initialized: false,
}

const delivery: LegacyDelivery = {
  pod,
  requestId: 'req-1',
  wrappingToken: new Secret('hvs.wrapping-token-under-test'),
  wrapInfo: {
    accessor: 'wrap-accessor',
    ttlSeconds: 120,
    creationTime: '2026-01-01T00:00:00Z',
    creationPath: 'auth/token/create/pod-tokens',
    wrappedAccessor: 'token-accessor',
  },
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A listener answering `status`; returns its port and what it received. */
async function listener(status: number | 'hang') {
  const received: string[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'))
      if (status !== 'hang') response.writeHead(status).end()
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, received }
}

const kubeWith = (current: PodView | undefined) => ({ readPod: async () => current })

describe('the legacy push', () => {
  it('builds the URL and the original body: wrap_info in snake_case and a newline', () => {
    expect(legacyCallbackTarget('10.1.2.3', 80)).toBe('http://10.1.2.3:80/')
    expect(legacyCallbackTarget('fd00::1', 80)).toBe('http://[fd00::1]:80/')
    const body = legacyCallbackPayload(delivery)
    expect(body.endsWith('\n')).toBe(true)
    expect(JSON.parse(body)).toEqual({
      token: 'hvs.wrapping-token-under-test',
      accessor: 'wrap-accessor',
      ttl: 120,
      creation_time: '2026-01-01T00:00:00Z',
      creation_path: 'auth/token/create/pod-tokens',
      wrapped_accessor: 'token-accessor',
    })
  })

  it('resolves on 200', async () => {
    const { port, received } = await listener(200)
    await createLegacyDeliver({ kube: kubeWith(pod), port, totalTimeoutMs: 2000 })(delivery)
    expect(received).toEqual([legacyCallbackPayload(delivery)])
  })

  it.each([409, 500])('fails on %i', async (status) => {
    const { port } = await listener(status)
    await expect(
      createLegacyDeliver({ kube: kubeWith(pod), port, totalTimeoutMs: 2000 })(delivery),
    ).rejects.toThrow(new RegExp(`answered (HTTP )?${status}`))
  })

  it('fails within the timeout when the listener never answers', async () => {
    const { port } = await listener('hang')
    const failure = await createLegacyDeliver({ kube: kubeWith(pod), port, totalTimeoutMs: 300 })(
      delivery,
    ).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(DeliveryError)
    expect((failure as DeliveryError).kind).toBe('timeout')
  })

  it.each<[string, PodView | undefined]>([
    ['the pod is gone', undefined],
    ['the pod was replaced', { ...pod, uid: 'uid-2' }],
    ['the init containers finished', { ...pod, initialized: true }],
    ['the pod is terminating', { ...pod, terminating: true }],
    ['the pod IP changed', { ...pod, podIp: '127.0.0.2' }],
  ])('pushes nothing when, just before the push, %s', async (_why, current) => {
    const { port, received } = await listener(200)
    await expect(
      createLegacyDeliver({ kube: kubeWith(current), port, totalTimeoutMs: 2000 })(delivery),
    ).rejects.toBeInstanceOf(DeliveryError)
    expect(received).toEqual([])
  })
})
