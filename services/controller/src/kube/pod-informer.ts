/**
 * @module
 * A watch of the pods matching a label selector, across all namespaces, that keeps going: the
 * client-node informer (`ListWatch`) lists, then watches from the list's resourceVersion, re-lists
 * on 410 Expired and re-watches after a dropped or silent connection, but on any other error
 * (API server unreachable, 403, a failed list) it calls its `error` callbacks and stops. Here it
 * is restarted with exponential backoff and jitter, for as long as the watch is wanted.
 *
 * Objects come out as {@link PodView}s: list items arrive as model classes with `Date`s, watch
 * objects as plain JSON with strings; `podView` reads both the same way.
 *
 * @see specs/kubernetes-api.md §4 (watch), §10.1 (informer facts).
 */
import { type CoreV1Api, type KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node'
import { failureKind, type Metrics } from '../metrics/metrics.ts'
import { kubeStatusOf } from './kube-errors.ts'
import { type PodView, podView } from './pod-view.ts'

export interface PodWatchOptions {
  /** e.g. `vaultproject.io/vault-controller=managed`. */
  labelSelector: string
  /** A pod was listed, added or modified. */
  onPod(pod: PodView): void
  /** The watch failed and will be restarted after `retryInMs`. */
  onError?(error: unknown, retryInMs: number): void
  /** First restart delay after an error; doubled per consecutive failure. Default 1000 ms. */
  restartMinDelayMs?: number
  /** Default 30000 ms. */
  restartMaxDelayMs?: number
}

export interface PodWatch {
  /** The first list has been received: every matching pod has been seen once. */
  synced(): boolean
  stop(): Promise<void>
}

export function startPodWatch(
  kubeConfig: KubeConfig,
  core: CoreV1Api,
  options: PodWatchOptions,
  metrics?: Pick<Metrics, 'startKubeCall'>,
): PodWatch {
  const minDelayMs = options.restartMinDelayMs ?? 1000
  const maxDelayMs = options.restartMaxDelayMs ?? 30_000
  let synced = false
  let stopped = false
  let failures = 0
  let restartTimer: NodeJS.Timeout | undefined
  let starting: Promise<void> | undefined

  const informer = makeInformer<V1Pod>(
    kubeConfig,
    '/api/v1/pods',
    async () => {
      const end = metrics?.startKubeCall('list', 'pods')
      let list: Awaited<ReturnType<CoreV1Api['listPodForAllNamespaces']>>
      try {
        list = await core.listPodForAllNamespaces({ labelSelector: options.labelSelector })
        end?.()
      } catch (error) {
        end?.(failureKind(kubeStatusOf(error)))
        throw error
      }
      // The informer hands the items to the `add`/`update` callbacks as soon as this resolves,
      // before any macrotask: once this fires, every listed pod has been seen.
      setImmediate(() => {
        synced = true
        failures = 0
      })
      return list
    },
    options.labelSelector,
  )
  const emit = (object: V1Pod) => {
    failures = 0
    options.onPod(podView(object))
    trimCachedPod(object)
  }
  informer.on('add', emit)
  informer.on('update', emit)
  const restartAfter = (error: unknown) => {
    if (stopped) return
    failures += 1
    metrics?.startKubeCall('watch', 'pods')(failureKind(kubeStatusOf(error)))
    const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(failures - 1, 20))
    const retryInMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
    options.onError?.(error, retryInMs)
    clearTimeout(restartTimer)
    restartTimer = setTimeout(start, retryInMs)
    restartTimer.unref()
  }
  const start = () => {
    if (!stopped) starting = informer.start().catch(restartAfter)
  }
  informer.on('error', restartAfter)
  start()

  return {
    synced: () => synced,
    async stop() {
      stopped = true
      clearTimeout(restartTimer)
      await informer.stop()
      // A list in flight when stop() came would still open its watch afterwards: close it then.
      void starting?.finally(() => informer.stop())
    },
  }
}

/**
 * The informer keeps every watched pod in its cache, and only ever compares them by namespace,
 * name, uid and resourceVersion (to tell adds from updates and find deletions on a re-list); the
 * handlers read the pod before this runs. Keeping only that identity (not the spec, status,
 * annotations or managedFields) is what keeps a replica's memory flat with 10,000 issued pods
 * alive (docs/performance.md).
 */
export function trimCachedPod(object: V1Pod): void {
  const metadata = object.metadata
  const cached = object as { [key: string]: unknown }
  for (const key of Object.keys(cached)) {
    if (key !== 'metadata' && key !== 'kind' && key !== 'apiVersion') delete cached[key]
  }
  if (metadata === undefined) return
  const kept = metadata as { [key: string]: unknown }
  for (const key of Object.keys(kept)) {
    if (key !== 'name' && key !== 'namespace' && key !== 'uid' && key !== 'resourceVersion') delete kept[key]
  }
}
