/**
 * @module
 * Pods for the bench, made before anything is measured: real Pod objects in kube-dev (annotation
 * `vaultproject.io/policies: web`, service account `web`, an init container, a node), each given
 * its own loopback address as pod IP by playing the kubelet, and a projected token bound to it
 * (TokenRequest, audience `vault-controller`). Like createSimulatedPod, without a process per pod.
 */
import { DEFAULT_AUDIENCE, POLICIES_ANNOTATION } from '@vault-controller/protocol'
import { type E2eEnvironment, NODE_NAME } from '../harness/e2e-environment.ts'
import type { BenchPod } from './worker-messages.ts'

/** Pods are made this many at a time. */
const CREATE_CONCURRENCY = 32
export const BENCH_SERVICE_ACCOUNT = 'web'

/** The allow-list of the bench: `web` for service account `web` in namespaces `bench-*`. */
export const BENCH_ALLOW_LIST = `# bench allow-list
rules:
  - name: bench-web
    namespaces: ["bench-*"]
    serviceAccounts: ["web"]
    policies: ["web"]
    ttl:
      default: 1h
      max: 24h
`

/** Runs `work` over `items`, `concurrency` at a time. */
export async function inBatches<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T)
    }
  })
  await Promise.all(lanes)
  return results
}

/** Creates `count` scheduled pods in `namespace`, numbered from `firstId`. */
export async function createBenchPods(
  env: E2eEnvironment,
  namespace: string,
  firstId: number,
  count: number,
): Promise<BenchPod[]> {
  await env.kube.ensureNamespace(namespace)
  await env.kube.ensureServiceAccount(namespace, BENCH_SERVICE_ACCOUNT)
  const ids = Array.from({ length: count }, (_, index) => firstId + index)
  return inBatches(ids, CREATE_CONCURRENCY, async (id) => {
    const name = `pod-${id}`
    const created = await env.kube.createPod(namespace, {
      metadata: { name, annotations: { [POLICIES_ANNOTATION]: 'web' } },
      spec: {
        serviceAccountName: BENCH_SERVICE_ACCOUNT,
        nodeName: NODE_NAME,
        initContainers: [{ name: 'vault-init', image: 'vault-init:bench' }],
        containers: [{ name: 'app', image: 'app:bench' }],
      },
    })
    const uid = created.metadata?.uid ?? ''
    const ip = await env.allocateAddress()
    await env.kubeDev.kubelet(namespace, name, { podIP: ip, hostIP: '127.0.0.1', initContainers: 'running' })
    const jwt = await env.kube.requestPodToken(
      { namespace, name, uid, serviceAccount: BENCH_SERVICE_ACCOUNT },
      { audience: DEFAULT_AUDIENCE, expirationSeconds: 3600 },
    )
    return {
      id,
      namespace,
      name,
      uid,
      serviceAccount: BENCH_SERVICE_ACCOUNT,
      ip,
      hostIp: '127.0.0.1',
      nodeName: NODE_NAME,
      jwt,
    }
  })
}
