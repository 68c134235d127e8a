/**
 * Keep-alive to the API server: one dispatcher per TLS configuration, reused across calls, and
 * real calls through client-node going over it (kube-dev in process, plain HTTP with
 * `insecure-skip-tls-verify`, which is what made client-node build an agent per call).
 */
import { type AddressInfo, connect, createServer } from 'node:net'
import { startKubeDev } from '@vault-controller/testkit'
import { describe, expect, it } from 'vitest'
import { reuseApiServerConnections } from './connection-reuse.ts'
import { createKubeClient, kubeConfigFor } from './kube-client.ts'

type CreateDispatcher = (cluster: unknown, options: unknown) => unknown

describe('reuseApiServerConnections', () => {
  it('hands out one dispatcher per TLS configuration', () => {
    const kubeConfig = kubeConfigFor('https://127.0.0.1:6443', 'token')
    reuseApiServerConnections(kubeConfig)
    const create = (kubeConfig as unknown as { createDispatcher: CreateDispatcher }).createDispatcher
    const cluster = kubeConfig.getCurrentCluster()
    const first = create(cluster, { rejectUnauthorized: false })
    expect(first).toBeDefined()
    expect(create(cluster, { rejectUnauthorized: false })).toBe(first)
    // A rotated CA is another configuration: another dispatcher.
    const rotated = create(cluster, { ca: Buffer.from('another CA') })
    expect(rotated).not.toBe(first)
    expect(create(cluster, { ca: Buffer.from('another CA') })).toBe(rotated)
  })

  it('serves many calls of a client over a few connections', async () => {
    const kube = await startKubeDev()
    // A TCP relay in front of kube-dev counts the connections the client opens.
    let connections = 0
    const target = new URL(kube.server)
    const relay = createServer((socket) => {
      connections += 1
      const upstream = connect(Number(target.port), target.hostname)
      socket.pipe(upstream).pipe(socket)
      socket.on('error', () => upstream.destroy())
      upstream.on('error', () => socket.destroy())
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    const { port } = relay.address() as AddressInfo
    try {
      const client = createKubeClient({
        kubeConfig: kubeConfigFor(`http://127.0.0.1:${port}`, kube.token),
        component: 'test',
        controllerId: 'test-1',
      })
      for (let call = 0; call < 20; call++) expect(await client.readPod('default', 'nope')).toBeUndefined()
      expect(connections).toBeLessThanOrEqual(2)
    } finally {
      relay.close()
      await kube.close()
    }
  })
})
