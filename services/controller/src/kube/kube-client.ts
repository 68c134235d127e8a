/**
 * @module
 * The controller's only door to the Kubernetes API (the sole importer of
 * `@kubernetes/client-node`): read a pod, write to it conditionally, record Events, review
 * tokens, and fetch the API server's OIDC discovery documents with the controller's own
 * credentials. Everything comes back as plain data ({@link PodView}) or a mapped error.
 *
 * @see specs/kubernetes-api.md §3.4 (merge patch, resourceVersion), §8 (Events), §10.1 (client facts).
 */
import { randomBytes } from 'node:crypto'
import {
  AuthenticationV1Api,
  CoreV1Api,
  type CoreV1Event,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node'
import { Agent, fetch as undiciFetch } from 'undici'
import { failureKind, type Metrics } from '../metrics/metrics.ts'
import { reuseApiServerConnections } from './connection-reuse.ts'
import { kubeError, kubeStatusOf } from './kube-errors.ts'
import { type PodWatch, type PodWatchOptions, startPodWatch } from './pod-informer.ts'
import { type PodView, podView } from './pod-view.ts'

/** Where the controller's Kubernetes credentials come from. */
export interface KubeClientOptions {
  /** A kubeconfig file; absent: in-cluster (service-account token, CA, KUBERNETES_SERVICE_*). */
  kubeconfig?: string
  /** An already loaded configuration (tests). Wins over `kubeconfig`. */
  kubeConfig?: KubeConfig
  /** `source.component` of Events. */
  component: string
  /** `source.host` of Events: this replica. */
  controllerId: string
  now?: () => number
  /** Counts and times every API call by verb and resource. */
  metrics?: Pick<Metrics, 'startKubeCall'>
}

export interface PodEvent {
  type: 'Normal' | 'Warning'
  reason: string
  message: string
}

/** What a TokenReview said about a token. */
export type TokenReviewResult =
  | {
      authenticated: true
      username: string
      uid: string
      extra: Record<string, string[]>
      audiences: string[]
    }
  | { authenticated: false; error: string }

export interface KubeClient {
  /** The pod, or undefined when there is none. */
  readPod(namespace: string, name: string): Promise<PodView | undefined>
  /**
   * JSON merge patch of a pod. A patch carrying `metadata.resourceVersion` fails with
   * `ResourceConflictError` when the pod changed since.
   */
  mergePatchPod(namespace: string, name: string, patch: object): Promise<PodView>
  /** A legacy core/v1 Event on the pod (what `kubectl describe pod` lists). */
  createPodEvent(pod: Pick<PodView, 'namespace' | 'name' | 'uid'>, event: PodEvent): Promise<void>
  /** TokenReview; the token is sent to the API server only. */
  reviewToken(token: string, audiences: string[]): Promise<TokenReviewResult>
  /** The API server's base URL (`https://…`). */
  readonly serverUrl: string
  /**
   * `fetch` for the API server's own endpoints (OIDC discovery, JWKS), with the cluster CA and the
   * controller's current credentials (re-read for every call, so a rotated token is picked up).
   * Refuses URLs on other origins: the credentials are for the API server only.
   */
  apiServerFetch(url: string, init?: { headers?: Headers; signal?: AbortSignal | null }): Promise<Response>
  /** Lists and watches the pods matching a label selector in all namespaces (revocation). */
  watchPods(options: PodWatchOptions): PodWatch
}

/** Loads the configuration the controller runs with. */
export function loadKubeConfig(kubeconfig: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig()
  if (kubeconfig === undefined) kubeConfig.loadFromCluster()
  else kubeConfig.loadFromFile(kubeconfig)
  return kubeConfig
}

/** A configuration for one server and one bearer token (tests, kube-dev). */
export function kubeConfigFor(server: string, token: string, caPem?: string): KubeConfig {
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'cluster',
        server,
        skipTLSVerify: server.startsWith('http:'),
        ...(caPem === undefined ? {} : { caData: Buffer.from(caPem).toString('base64') }),
      },
    ],
    users: [{ name: 'controller', token }],
    contexts: [{ name: 'controller', cluster: 'cluster', user: 'controller' }],
    currentContext: 'controller',
  })
  return kubeConfig
}

export function createKubeClient(options: KubeClientOptions): KubeClient {
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(options.kubeconfig)
  reuseApiServerConnections(kubeConfig)
  const core = kubeConfig.makeApiClient(CoreV1Api)
  const authentication = kubeConfig.makeApiClient(AuthenticationV1Api)
  const now = options.now ?? Date.now
  const serverUrl = kubeConfig.getCurrentCluster()?.server ?? ''
  const serverOrigin = serverUrl === '' ? '' : new URL(serverUrl).origin
  const agents = new Map<string, Agent>()
  /** Times `run` as one API call; a 404 of a read is an answer, not an error. */
  async function observed<T>(verb: string, resource: string, run: () => Promise<T>): Promise<T> {
    const end = options.metrics?.startKubeCall(verb, resource)
    try {
      const result = await run()
      end?.()
      return result
    } catch (error) {
      const status = kubeStatusOf(error)
      end?.(verb === 'get' && status === 404 ? undefined : failureKind(status))
      throw error
    }
  }

  return {
    serverUrl,

    async readPod(namespace, name) {
      try {
        return podView(await observed('get', 'pods', () => core.readNamespacedPod({ namespace, name })))
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) return undefined
        throw kubeError(error, `read pod ${namespace}/${name}`)
      }
    },

    async mergePatchPod(namespace, name, patch) {
      try {
        const pod = await observed('patch', 'pods', () =>
          core.patchNamespacedPod(
            { namespace, name, body: patch },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        )
        return podView(pod)
      } catch (error) {
        throw kubeError(error, `patch pod ${namespace}/${name}`)
      }
    },

    async createPodEvent(pod, event) {
      const at = new Date(now())
      const body: CoreV1Event = {
        metadata: {
          name: `${pod.name}.${at.getTime().toString(16)}${randomBytes(3).toString('hex')}`,
          namespace: pod.namespace,
        },
        involvedObject: {
          kind: 'Pod',
          apiVersion: 'v1',
          namespace: pod.namespace,
          name: pod.name,
          uid: pod.uid,
        },
        type: event.type,
        reason: event.reason,
        message: event.message,
        source: { component: options.component, host: options.controllerId },
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      }
      try {
        await observed('create', 'events', () =>
          core.createNamespacedEvent({ namespace: pod.namespace, body }),
        )
      } catch (error) {
        throw kubeError(error, `create an event on pod ${pod.namespace}/${pod.name}`)
      }
    },

    async reviewToken(token, audiences) {
      let review: Awaited<ReturnType<AuthenticationV1Api['createTokenReview']>>
      try {
        review = await observed('create', 'tokenreviews', () =>
          authentication.createTokenReview({
            body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } },
          }),
        )
      } catch (error) {
        // The error's message would repeat the request; it holds the token.
        throw kubeError(error, 'create a TokenReview', { withCause: false })
      }
      const status = review.status
      if (status?.authenticated !== true) {
        return { authenticated: false, error: status?.error ?? 'not authenticated' }
      }
      return {
        authenticated: true,
        username: status.user?.username ?? '',
        uid: status.user?.uid ?? '',
        extra: { ...(status.user?.extra ?? {}) },
        audiences: status.audiences ?? [],
      }
    },

    watchPods(watchOptions) {
      return startPodWatch(kubeConfig, core, watchOptions, options.metrics)
    },

    async apiServerFetch(url, init = {}) {
      if (new URL(url).origin !== serverOrigin) {
        throw new TypeError(`refusing to send the controller's credentials to ${new URL(url).origin}`)
      }
      const https: { headers?: Record<string, string>; ca?: Buffer; rejectUnauthorized?: boolean } = {}
      await kubeConfig.applyToHTTPSOptions(https as never)
      const headers: Record<string, string> = {}
      init.headers?.forEach((value, key) => {
        headers[key] = value
      })
      for (const [key, value] of Object.entries(https.headers ?? {}))
        headers[key.toLowerCase()] = String(value)
      const key = `${https.ca?.toString('base64') ?? ''}|${https.rejectUnauthorized}`
      let agent = agents.get(key)
      if (agent === undefined) {
        agent = new Agent({
          connect: {
            ...(https.ca === undefined ? {} : { ca: https.ca }),
            ...(https.rejectUnauthorized === undefined
              ? {}
              : { rejectUnauthorized: https.rejectUnauthorized }),
          },
        })
        agents.set(key, agent)
      }
      const resource = new URL(url).pathname.includes('jwks') ? 'jwks' : 'openid-configuration'
      const response = await observed('get', resource, () =>
        undiciFetch(url, {
          headers,
          dispatcher: agent,
          redirect: 'manual',
          ...(init.signal ? { signal: init.signal } : {}),
        }),
      )
      return response as unknown as Response
    },
  }
}
