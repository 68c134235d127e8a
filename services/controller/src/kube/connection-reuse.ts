/**
 * @module
 * Keep-alive connections to the API server. client-node 2.0.1 builds a new undici Agent for every
 * request whenever the cluster has TLS options (a CA, a client certificate, or
 * `insecure-skip-tls-verify`), which is every real cluster: each call then opens a new TCP and TLS
 * connection, and the agents pile up until collected. The bench's profile showed connection
 * set-up and undici as the largest share of the controller's CPU. Here the agent is built once
 * per distinct TLS configuration and reused; a rotated CA or client certificate (re-read from
 * the kubeconfig or the service-account files) gives a new key and so a new agent, and the
 * oldest agents are closed when more than a few accumulate. Credentials (the bearer token) are
 * headers, not part of the agent, so token rotation is untouched.
 *
 * @see specs/kubernetes-api.md §10.1 ("A new TCP/TLS connection per request when TLS options exist").
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { Dispatcher } from 'undici'

/** Agents kept at once (one per TLS configuration seen; a rotation adds one). */
const MAX_AGENTS = 4

/** client-node's (private) `KubeConfig.createDispatcher`: undefined for plain HTTP without TLS options. */
type CreateDispatcher = (cluster: unknown, agentOptions: unknown) => Dispatcher | undefined

/** A stable key for the TLS material of `createDispatcher`'s options (buffers by content). */
function keyOf(cluster: unknown, agentOptions: unknown): string {
  return JSON.stringify([cluster, agentOptions], (_key, value: unknown) =>
    Buffer.isBuffer(value)
      ? value.toString('base64')
      : (value as { type?: unknown; data?: unknown })?.type === 'Buffer' &&
          Array.isArray((value as { data?: unknown }).data)
        ? Buffer.from((value as { data: number[] }).data).toString('base64')
        : value,
  )
}

/** Makes `kubeConfig` reuse one dispatcher (and its keep-alive connections) per TLS configuration. */
export function reuseApiServerConnections(kubeConfig: KubeConfig): void {
  const target = kubeConfig as unknown as { createDispatcher: CreateDispatcher }
  if (typeof target.createDispatcher !== 'function') return
  const create = target.createDispatcher.bind(kubeConfig)
  const agents = new Map<string, Dispatcher | undefined>()
  target.createDispatcher = (cluster, agentOptions) => {
    const key = keyOf(cluster, agentOptions)
    if (agents.has(key)) {
      const agent = agents.get(key)
      // Most recently used last.
      agents.delete(key)
      agents.set(key, agent)
      return agent
    }
    const agent = create(cluster, agentOptions)
    agents.set(key, agent)
    for (const [oldKey, old] of agents) {
      if (agents.size <= MAX_AGENTS) break
      agents.delete(oldKey)
      void old?.close().catch(() => {})
    }
    return agent
  }
}
