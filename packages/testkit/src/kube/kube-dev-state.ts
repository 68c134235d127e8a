/**
 * @module
 * Everything one kube-dev instance holds, wired together once: the store, the clock, the token
 * issuer, authentication and RBAC, the REST handlers, open watches, faults, stats and the
 * runtime settings of `PUT /__testkit/config`. Both the HTTP API and the in-process conveniences
 * of `startKubeDev` go through these same objects.
 */
import type { AdjustableClock } from '../clock.ts'
import { FaultInjector, RequestStats } from '../faults.ts'
import { Authenticator } from './authentication.ts'
import { namespaceType, nodeType, serviceAccountType } from './core-objects.ts'
import { ObjectStore, type StoredObject } from './object-store.ts'
import { RbacAuthorizer } from './rbac.ts'
import { RestHandlers } from './rest-handlers.ts'
import type { ServiceAccountTokens } from './service-account-tokens.ts'
import { reviewLookup, TokenEndpoints } from './token-endpoints.ts'
import { WatchRegistry } from './watch-stream.ts'

export interface KubeDevSettings {
  requireAuth: boolean
  discoveryRequiresAuth: boolean
  bookmarkIntervalSeconds: number
}

export class KubeDevState {
  readonly clock: AdjustableClock
  readonly tokens: ServiceAccountTokens
  readonly store = new ObjectStore({ historyLimit: 1000 })
  readonly settings: KubeDevSettings = {
    requireAuth: true,
    discoveryRequiresAuth: true,
    bookmarkIntervalSeconds: 60,
  }
  readonly watches = new WatchRegistry()
  readonly faults = new FaultInjector()
  readonly stats = new RequestStats()
  readonly rbac = new RbacAuthorizer()
  readonly authenticator: Authenticator
  readonly rest: RestHandlers
  readonly tokenEndpoints: TokenEndpoints
  readonly log: (line: string) => void
  /** The URL the server listens on, once it does. */
  serverUrl: string | undefined

  constructor(options: {
    clock: AdjustableClock
    tokens: ServiceAccountTokens
    log: (line: string) => void
  }) {
    this.clock = options.clock
    this.tokens = options.tokens
    this.log = options.log
    this.authenticator = new Authenticator(this.tokens, reviewLookup(this.store))
    this.rest = new RestHandlers(this.store, this.clock, this.watches, this.settings)
    this.tokenEndpoints = new TokenEndpoints(this.store, this.tokens, this.clock)
  }

  settingsSnapshot(): KubeDevSettings & { watchHistory: number } {
    return { ...this.settings, watchHistory: this.store.historyLimit }
  }

  /** Creates a namespace and its `default` service account, as the API and the SA controller do. */
  createNamespace(name: string): StoredObject {
    const namespace = this.rest.create(namespaceType, undefined, { metadata: { name } })
    this.ensureDefaultServiceAccount(name)
    return namespace
  }

  ensureDefaultServiceAccount(namespace: string): void {
    if (this.store.get('serviceaccounts', namespace, 'default') === undefined) {
      this.rest.create(serviceAccountType, namespace, { metadata: { name: 'default' } })
    }
  }

  createServiceAccount(namespace: string, name: string): StoredObject {
    return this.rest.create(serviceAccountType, namespace, { metadata: { name } })
  }

  /** Registers a Node (its uid goes into token claims); an existing one keeps its uid unless one is given. */
  async createNode(name: string, uid?: string): Promise<void> {
    const existing = this.store.get('nodes', undefined, name)
    if (existing !== undefined) {
      if (uid !== undefined && uid !== existing.metadata.uid) {
        this.store.update('nodes', { ...existing, metadata: { ...existing.metadata, uid } })
      }
      return
    }
    const node = this.rest.create(nodeType, undefined, { metadata: { name } })
    if (uid !== undefined) this.store.update('nodes', { ...node, metadata: { ...node.metadata, uid } })
  }
}
