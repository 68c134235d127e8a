/**
 * @module
 * kube-dev's test-control API (`/__testkit/…`): the hooks a real cluster does not have — play the
 * kubelet, add a static identity, set RBAC rules, register a node. Against a real cluster these
 * are unavailable, and the cases that need them are skipped with that reason (docs/e2e.md).
 */

import type { IdentityMode, PolicyRule } from './controller-rbac.ts'
import { controllerRbacRules } from './controller-rbac.ts'
import { callTestkitControl } from './testkit-control.ts'

export type KubeletUpdate = {
  podIP?: string
  hostIP?: string
  phase?: string
  initContainers?: 'running' | 'succeeded'
  containers?: 'running' | 'succeeded' | 'failed'
}

export class KubeDevControl {
  readonly #server: string

  constructor(server: string) {
    this.#server = server
  }

  #call(method: string, path: string, body?: unknown): Promise<unknown> {
    return callTestkitControl(this.#server, 'kube-dev', method, path, body)
  }

  /** One status write by the kubelet (`pods/status`). */
  async kubelet(namespace: string, pod: string, update: KubeletUpdate): Promise<void> {
    await this.#call('POST', `kubelet/${namespace}/${pod}`, update)
  }

  /** The kubelet's final delete (removes the pod unless finalizers hold it). */
  async terminate(namespace: string, pod: string): Promise<void> {
    await this.#call('POST', `kubelet/${namespace}/${pod}/terminate`)
  }

  async addIdentity(identity: { token: string; username: string; groups?: string[] }): Promise<void> {
    await this.#call('POST', 'identities', identity)
  }

  async registerNode(name: string): Promise<void> {
    await this.#call('POST', 'nodes', { name })
  }

  /** RBAC `enforce` mode: `username` gets exactly `rules`, everyone else nothing (admin aside). */
  async enforceRbac(username: string, rules: readonly PolicyRule[]): Promise<void> {
    await this.#call('PUT', 'rbac', {
      mode: 'enforce',
      rules: rules.map((rule) => ({
        subjects: [{ user: username }],
        apiGroups: [...rule.apiGroups],
        resources: [...rule.resources],
        verbs: [...rule.verbs],
      })),
    })
  }

  /** RBAC `enforce` mode with several users, each with exactly its rules. */
  async enforceRbacGrants(
    grants: readonly { username: string; rules: readonly PolicyRule[] }[],
  ): Promise<void> {
    await this.#call('PUT', 'rbac', {
      mode: 'enforce',
      rules: grants.flatMap(({ username, rules }) =>
        rules.map((rule) => ({
          subjects: [{ user: username }],
          apiGroups: [...rule.apiGroups],
          resources: [...rule.resources],
          verbs: [...rule.verbs],
        })),
      ),
    })
  }

  async enforceControllerRbac(username: string, mode: IdentityMode): Promise<void> {
    await this.enforceRbac(username, controllerRbacRules(mode))
  }

  /** Ends every open watch: `end` as a server timeout would, `reset` by destroying the sockets. */
  async dropWatches(mode: 'end' | 'reset' = 'end'): Promise<void> {
    await this.#call('POST', 'watches/drop', { mode })
  }

  /** Watch streams open right now. */
  async openWatches(): Promise<number> {
    return ((await this.#call('GET', 'watches')) as { open: number }).open
  }

  /** Events kept per resource for watches (default 1000); a watch from an older version gets 410. */
  async setWatchHistory(events: number): Promise<void> {
    await this.#call('PUT', 'config', { watchHistory: events })
  }

  /** API requests served, by `METHOD route` (watches with `?watch` appended). */
  async requestCounts(): Promise<Record<string, number>> {
    return ((await this.#call('GET', 'stats')) as { byRoute: Record<string, number> }).byRoute
  }

  async removeFault(id: number): Promise<void> {
    await this.#call('DELETE', `faults/${id}`)
  }

  async addFault(fault: Record<string, unknown>): Promise<number> {
    return ((await this.#call('POST', 'faults', fault)) as { id: number }).id
  }

  async clearFaults(): Promise<void> {
    await this.#call('DELETE', 'faults')
  }
}
