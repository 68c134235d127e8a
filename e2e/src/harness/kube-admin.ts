/**
 * @module
 * The cluster as its administrator sees it, through @kubernetes/client-node with an admin
 * credential: namespaces, service accounts, pods, TokenRequest (the kubelet's projected token),
 * Events. Works against kube-dev and a real API server alike.
 */
import { CoreV1Api, type CoreV1Event, KubeConfig, type V1Pod } from '@kubernetes/client-node'
import { reuseApiServerConnections } from '@vault-controller/controller'

export class KubeAdmin {
  readonly server: string
  readonly core: CoreV1Api

  constructor(kubeConfig: KubeConfig) {
    this.server = kubeConfig.getCurrentCluster()?.server ?? ''
    this.core = kubeConfig.makeApiClient(CoreV1Api)
  }

  /** An admin client for one server and bearer token (kube-dev's ready line). */
  static forToken(server: string, token: string): KubeAdmin {
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromOptions({
      // client-node refuses plain HTTP unless told to skip TLS verification (there is none to skip).
      clusters: [{ name: 'cluster', server, skipTLSVerify: server.startsWith('http:') }],
      users: [{ name: 'admin', token }],
      contexts: [{ name: 'admin', cluster: 'cluster', user: 'admin' }],
      currentContext: 'admin',
    })
    // Keep-alive: client-node would open a new connection per call (the bench makes tens of thousands).
    reuseApiServerConnections(kubeConfig)
    return new KubeAdmin(kubeConfig)
  }

  static fromFile(path: string): KubeAdmin {
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromFile(path)
    return new KubeAdmin(kubeConfig)
  }

  async ensureNamespace(name: string): Promise<void> {
    try {
      await this.core.createNamespace({ body: { metadata: { name } } })
    } catch (error) {
      if (statusOf(error) !== 409) throw error
    }
  }

  async ensureServiceAccount(namespace: string, name: string): Promise<void> {
    try {
      await this.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    } catch (error) {
      if (statusOf(error) !== 409) throw error
    }
  }

  async createPod(namespace: string, pod: V1Pod): Promise<V1Pod> {
    return this.core.createNamespacedPod({ namespace, body: pod })
  }

  async readPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace, name })
    } catch (error) {
      if (statusOf(error) === 404) return undefined
      throw error
    }
  }

  /** Graceful deletion (`gracePeriodSeconds` absent: the pod's own, 30 s by default). */
  async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    await this.core.deleteNamespacedPod({
      namespace,
      name,
      ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }),
    })
  }

  /** A projected service-account token bound to the pod (what the kubelet mounts). */
  async requestPodToken(
    pod: { namespace: string; name: string; uid: string; serviceAccount: string },
    options: { audience: string; expirationSeconds?: number },
  ): Promise<string> {
    const answer = await this.core.createNamespacedServiceAccountToken({
      namespace: pod.namespace,
      name: pod.serviceAccount,
      body: {
        spec: {
          audiences: [options.audience],
          expirationSeconds: options.expirationSeconds ?? 600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid },
        },
      },
    })
    const token = answer.status?.token
    if (token === undefined) throw new Error('TokenRequest answered without a token')
    return token
  }

  /** A service account's own token (TokenRequest, bound to nothing): a workload's identity. */
  async requestServiceAccountToken(
    namespace: string,
    name: string,
    options: { audiences?: string[]; expirationSeconds?: number } = {},
  ): Promise<string> {
    const answer = await this.core.createNamespacedServiceAccountToken({
      namespace,
      name,
      body: {
        spec: {
          audiences: options.audiences ?? [],
          expirationSeconds: options.expirationSeconds ?? 3600,
        },
      },
    })
    const token = answer.status?.token
    if (token === undefined) throw new Error('TokenRequest answered without a token')
    return token
  }

  /** Events whose involved object is the pod (by UID). */
  async podEvents(namespace: string, uid: string): Promise<CoreV1Event[]> {
    const list = await this.core.listNamespacedEvent({ namespace })
    return list.items.filter((event) => event.involvedObject.uid === uid)
  }
}

/** The HTTP status of a client-node ApiException. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code
  return typeof code === 'number' ? code : undefined
}
