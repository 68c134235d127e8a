/**
 * @module
 * kube-dev's etcd and watch cache in one: objects per resource keyed by namespace/name, one global
 * `resourceVersion` counter for all kinds (spec §1.4), a bounded history of changes per resource
 * for watches that resume from a resourceVersion (spec §4), and the live watchers.
 *
 * Stored objects are never mutated: every write stores a new object, so history entries, list
 * answers and watchers can share them without copying. Watchers are indexed by namespace, so a
 * change only visits the watchers that can see it.
 */

export interface ObjectMeta {
  name: string
  namespace?: string
  uid: string
  resourceVersion: string
  creationTimestamp: string
  labels?: Record<string, string>
  [field: string]: unknown
}

export interface StoredObject {
  kind: string
  apiVersion: string
  metadata: ObjectMeta
  [field: string]: unknown
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'

/** One stored change: the object after it (for DELETED, the last state with the deletion's RV). */
export interface StoreChange {
  type: ChangeType
  resourceVersion: number
  object: StoredObject
  /** The state before a MODIFIED (for selector transitions). */
  previous?: StoredObject
}

/** A live watch on one resource; `namespace` undefined watches all namespaces. */
export interface StoreWatcher {
  readonly namespace: string | undefined
  onChange(change: StoreChange): void
}

const allNamespaces = '\u0000all'

class ResourceTable {
  readonly objects = new Map<string, StoredObject>()
  history: StoreChange[] = []
  /** The newest RV that fell out of the history: watches from below it are too old. */
  lastEvictedResourceVersion = 0
  readonly watchers = new Map<string, Set<StoreWatcher>>()
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`
}

/** Too-old answer of `changesSince`: the oldest RV a watch can still start from. */
export interface TooOld {
  tooOld: true
  oldestResourceVersion: number
}

export class ObjectStore {
  #resourceVersion = 0
  #historyLimit: number
  readonly #tables = new Map<string, ResourceTable>()

  constructor(options: { historyLimit: number }) {
    this.#historyLimit = options.historyLimit
  }

  /** The current global resourceVersion (what list answers carry). */
  get resourceVersion(): number {
    return this.#resourceVersion
  }

  get historyLimit(): number {
    return this.#historyLimit
  }

  /** Changes how many past changes each resource keeps; shrinking evicts the oldest now. */
  set historyLimit(limit: number) {
    this.#historyLimit = limit
    for (const table of this.#tables.values()) this.#trim(table)
  }

  get(resource: string, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.#tables.get(resource)?.objects.get(objectKey(namespace, name))
  }

  count(resource: string): number {
    return this.#tables.get(resource)?.objects.size ?? 0
  }

  /** Objects of a resource (in one namespace or all), ordered by namespace then name. */
  list(resource: string, namespace?: string): StoredObject[] {
    const table = this.#tables.get(resource)
    if (table === undefined) return []
    const items: StoredObject[] = []
    for (const object of table.objects.values()) {
      if (namespace === undefined || object.metadata.namespace === namespace) items.push(object)
    }
    return items.sort(
      (a, b) =>
        compare(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
        compare(a.metadata.name, b.metadata.name),
    )
  }

  /** Stores a new object with the next RV; watchers see ADDED. Returns the stored object. */
  create(resource: string, object: StoredObject): StoredObject {
    const stored = this.#withNextResourceVersion(object)
    const table = this.#table(resource)
    table.objects.set(objectKey(stored.metadata.namespace, stored.metadata.name), stored)
    this.#record(table, {
      type: 'ADDED',
      resourceVersion: Number(stored.metadata.resourceVersion),
      object: stored,
    })
    return stored
  }

  /** Replaces an existing object with the next RV; watchers see MODIFIED. */
  update(resource: string, object: StoredObject): StoredObject {
    const table = this.#table(resource)
    const key = objectKey(object.metadata.namespace, object.metadata.name)
    const previous = table.objects.get(key)
    const stored = this.#withNextResourceVersion(object)
    table.objects.set(key, stored)
    const change: StoreChange = {
      type: 'MODIFIED',
      resourceVersion: Number(stored.metadata.resourceVersion),
      object: stored,
    }
    if (previous !== undefined) change.previous = previous
    this.#record(table, change)
    return stored
  }

  /** Removes an object; watchers see DELETED with `lastState` and a new RV. Returns what they saw. */
  remove(resource: string, lastState: StoredObject): StoredObject {
    const table = this.#table(resource)
    table.objects.delete(objectKey(lastState.metadata.namespace, lastState.metadata.name))
    const deleted = this.#withNextResourceVersion(lastState)
    this.#record(table, {
      type: 'DELETED',
      resourceVersion: Number(deleted.metadata.resourceVersion),
      object: deleted,
    })
    return deleted
  }

  /** Past changes of a resource with RV > `sinceResourceVersion`, oldest first, or TooOld. */
  changesSince(resource: string, sinceResourceVersion: number): StoreChange[] | TooOld {
    const table = this.#table(resource)
    if (sinceResourceVersion < table.lastEvictedResourceVersion) {
      const oldest = table.history[0]?.resourceVersion ?? this.#resourceVersion + 1
      return { tooOld: true, oldestResourceVersion: oldest - 1 }
    }
    const { history } = table
    let low = 0
    let high = history.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if ((history[middle]?.resourceVersion ?? 0) <= sinceResourceVersion) low = middle + 1
      else high = middle
    }
    return history.slice(low)
  }

  addWatcher(resource: string, watcher: StoreWatcher): () => void {
    const { watchers } = this.#table(resource)
    const key = watcher.namespace ?? allNamespaces
    let set = watchers.get(key)
    if (set === undefined) {
      set = new Set()
      watchers.set(key, set)
    }
    set.add(watcher)
    return () => {
      set.delete(watcher)
    }
  }

  #withNextResourceVersion(object: StoredObject): StoredObject {
    this.#resourceVersion += 1
    return { ...object, metadata: { ...object.metadata, resourceVersion: String(this.#resourceVersion) } }
  }

  #table(resource: string): ResourceTable {
    let table = this.#tables.get(resource)
    if (table === undefined) {
      table = new ResourceTable()
      this.#tables.set(resource, table)
    }
    return table
  }

  #record(table: ResourceTable, change: StoreChange): void {
    table.history.push(change)
    this.#trim(table)
    for (const key of [change.object.metadata.namespace ?? '', allNamespaces]) {
      const watchers = table.watchers.get(key)
      if (watchers === undefined) continue
      for (const watcher of [...watchers]) watcher.onChange(change)
    }
  }

  #trim(table: ResourceTable): void {
    const excess = table.history.length - this.#historyLimit
    if (excess <= 0) return
    const evicted = table.history.splice(0, excess)
    table.lastEvictedResourceVersion = evicted.at(-1)?.resourceVersion ?? table.lastEvictedResourceVersion
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
