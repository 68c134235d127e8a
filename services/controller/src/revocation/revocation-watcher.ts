/**
 * @module
 * Revocation when the pod goes away (DESIGN §3 step 10): every replica watches the pods the
 * controller issued to — the label set with the claim, all namespaces, nothing else — and queues
 * each one that carries our finalizer and is being deleted or has finished
 * ({@link needsRevocation}). Any replica may do the work, and doing it twice is harmless, so
 * there is no leader. A replica that was down while pods were deleted catches up at start: the
 * first list shows every pod still waiting on our finalizer.
 *
 * The watch survives dropped connections and 410 Expired (the informer re-watches and re-lists)
 * and is restarted with backoff after any other error (kube/pod-informer.ts).
 *
 * @example
 * const watcher = startRevocationWatcher({ kube, vault, audit, log, metrics }, revocationSettingsOf(config))
 * readiness.watchSynced = watcher.synced
 * await watcher.stop()
 */
import { ISSUANCE_LABEL, ISSUANCE_LABEL_VALUE } from '@vault-controller/protocol'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.ts'
import type { KubeClient } from '../kube/kube-client.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { Readiness } from '../routes/health.ts'
import { needsRevocation } from './needs-revocation.ts'
import { RevocationQueue, type RevocationQueueSettings } from './revocation-queue.ts'
import type { RevocationDeps } from './revoke-pod-token.ts'

/** The label selector of the watch: only pods the controller claimed. */
export const MANAGED_PODS_SELECTOR = `${ISSUANCE_LABEL}=${ISSUANCE_LABEL_VALUE}`

export interface RevocationWatcherDeps extends Omit<RevocationDeps, 'controllerId' | 'clock'> {
  kube: RevocationDeps['kube'] & Pick<KubeClient, 'watchPods'>
  clock?: { now(): number }
  metrics?: Metrics
}

export interface RevocationWatcherSettings {
  controllerId: string
  giveUpAfterMs: number
  /** Revocation attempts in flight at once (each makes one or two Vault calls). */
  concurrency: number
  retryMinDelayMs?: number
  retryMaxDelayMs?: number
  /** Backoff of watch restarts after errors; defaults 1 s and 30 s. */
  watchRestartMinDelayMs?: number
  watchRestartMaxDelayMs?: number
}

export interface RevocationWatcher {
  /** The first list of managed pods has been seen (for `/readyz`). */
  synced(): boolean
  /** Pods waiting for (or in) revocation. */
  readonly depth: number
  /** Stops the watch and the retries; waits for attempts in flight. */
  stop(): Promise<void>
}

/** The watcher's settings from the controller's configuration. */
export function revocationSettingsOf(config: Config): RevocationWatcherSettings {
  return {
    controllerId: config.controllerId,
    giveUpAfterMs: config.revocation.giveUpAfterMs,
    // Half of the Vault client's limit: a mass deletion must leave room for token requests.
    concurrency: Math.max(1, Math.floor(config.vault.maxConcurrency / 2)),
  }
}

export function startRevocationWatcher(
  deps: RevocationWatcherDeps,
  settings: RevocationWatcherSettings,
): RevocationWatcher {
  const revocationDeps: RevocationDeps = {
    kube: deps.kube,
    vault: deps.vault,
    audit: deps.audit,
    log: deps.log,
    clock: deps.clock ?? { now: Date.now },
    controllerId: settings.controllerId,
  }
  const queueSettings: RevocationQueueSettings = {
    concurrency: settings.concurrency,
    giveUpAfterMs: settings.giveUpAfterMs,
    ...(settings.retryMinDelayMs === undefined ? {} : { retryMinDelayMs: settings.retryMinDelayMs }),
    ...(settings.retryMaxDelayMs === undefined ? {} : { retryMaxDelayMs: settings.retryMaxDelayMs }),
  }
  const queue = new RevocationQueue(revocationDeps, queueSettings, deps.metrics)
  const watch = deps.kube.watchPods({
    labelSelector: MANAGED_PODS_SELECTOR,
    onPod(pod) {
      if (needsRevocation(pod)) queue.add({ namespace: pod.namespace, name: pod.name, uid: pod.uid })
    },
    onError(error, retryInMs) {
      deps.log.warn({ err: error, retryInMs }, 'the pod watch failed; restarting it')
    },
    ...(settings.watchRestartMinDelayMs === undefined
      ? {}
      : { restartMinDelayMs: settings.watchRestartMinDelayMs }),
    ...(settings.watchRestartMaxDelayMs === undefined
      ? {}
      : { restartMaxDelayMs: settings.watchRestartMaxDelayMs }),
  })

  return {
    synced: () => watch.synced(),
    get depth() {
      return queue.depth
    },
    async stop() {
      await watch.stop()
      await queue.stop()
    },
  }
}

/**
 * Runs the watcher with the app: started once the app is ready (`onReady`), stopped when it
 * closes (`onClose`), and `/readyz` fails until its first list is in. Call before `ready()`.
 */
export function runRevocationWatcherWith(
  app: FastifyInstance,
  deps: Omit<RevocationWatcherDeps, 'log'>,
  settings: RevocationWatcherSettings,
  readiness: Readiness,
): void {
  let watcher: RevocationWatcher | undefined
  readiness.watchSynced = () => watcher?.synced() ?? false
  app.addHook('onReady', async () => {
    watcher = startRevocationWatcher({ ...deps, log: app.log.child({ component: 'revocation' }) }, settings)
  })
  app.addHook('onClose', async () => {
    await watcher?.stop()
  })
}
