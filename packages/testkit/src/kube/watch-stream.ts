/**
 * @module
 * Watch streams (spec §4): one chunked `application/json` answer of newline-separated events,
 * flushed as they happen. A watch first replays the retained history after its resourceVersion
 * (or a synthetic ADDED per existing object when it gave none), answers a too-old resourceVersion
 * with one `ERROR` 410 line, turns selector transitions into ADDED/DELETED, sends BOOKMARKs only
 * when asked, ends after `timeoutSeconds`, and cleans up when the client goes away.
 */
import type { ServerResponse } from 'node:http'
import type { ChangeType, ObjectStore, StoreChange, StoredObject } from './object-store.ts'
import { apiVersionOf, type ResourceType } from './resource-type.ts'
import { badRequest, expired } from './status-errors.ts'

export interface WatchOptions {
  type: ResourceType
  namespace: string | undefined
  matches(object: StoredObject): boolean
  /** The `resourceVersion` query parameter as given. */
  resourceVersion: string | null
  allowBookmarks: boolean
  timeoutSeconds: number | undefined
  bookmarkIntervalSeconds: number
}

/** Serialised event lines, shared by every watcher that sends the same change. */
const lineCache = new WeakMap<StoredObject, Map<ChangeType, string>>()

function eventLine(type: ChangeType, object: StoredObject): string {
  let lines = lineCache.get(object)
  if (lines === undefined) {
    lines = new Map()
    lineCache.set(object, lines)
  }
  let line = lines.get(type)
  if (line === undefined) {
    line = `{"type":"${type}","object":${JSON.stringify(object)}}\n`
    lines.set(type, line)
  }
  return line
}

/** Parses the `resourceVersion` of a watch: undefined means "start with the current state". */
export function watchStartResourceVersion(value: string | null): number | undefined {
  if (value === null || value === '' || value === '0') return undefined
  if (!/^\d+$/.test(value)) {
    throw badRequest(
      `resourceVersion: Invalid value: ${JSON.stringify(value)}: strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`,
    )
  }
  return Number(value)
}

/** The open watch streams of one server, so tests can drop them all. */
export class WatchRegistry {
  readonly #streams = new Set<{ end(): void; reset(): void }>()

  get size(): number {
    return this.#streams.size
  }

  add(stream: { end(): void; reset(): void }): () => void {
    this.#streams.add(stream)
    return () => {
      this.#streams.delete(stream)
    }
  }

  /** Ends every open stream: cleanly (`end`, like a server timeout) or by resetting the socket. */
  dropAll(mode: 'end' | 'reset' = 'end'): number {
    const streams = [...this.#streams]
    for (const stream of streams) {
      if (mode === 'end') stream.end()
      else stream.reset()
    }
    return streams.length
  }
}

/** Serves one watch on `response` until it times out, is dropped, or the client goes away. */
export function serveWatch(
  store: ObjectStore,
  registry: WatchRegistry,
  response: ServerResponse,
  options: WatchOptions,
): void {
  const { type, namespace, matches } = options
  const startResourceVersion = watchStartResourceVersion(options.resourceVersion)
  let replay: StoreChange[] = []
  let tooOld: string | undefined
  if (startResourceVersion !== undefined) {
    const changes = store.changesSince(type.resource, startResourceVersion)
    if ('tooOld' in changes) {
      tooOld = JSON.stringify({
        type: 'ERROR',
        object: expired(String(startResourceVersion), String(changes.oldestResourceVersion)).toStatus(),
      })
    } else {
      replay = changes.filter(
        (change) => namespace === undefined || change.object.metadata.namespace === namespace,
      )
    }
  }
  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  })
  if (tooOld !== undefined) {
    response.end(`${tooOld}\n`)
    return
  }
  response.flushHeaders()

  const send = (change: StoreChange): void => {
    const nowMatches = matches(change.object)
    let type: ChangeType | undefined
    if (change.type === 'ADDED') type = nowMatches ? 'ADDED' : undefined
    else if (change.type === 'DELETED') type = nowMatches ? 'DELETED' : undefined
    else {
      const before = change.previous !== undefined && matches(change.previous)
      if (before && nowMatches) type = 'MODIFIED'
      else if (nowMatches) type = 'ADDED'
      else if (before) type = 'DELETED'
    }
    if (type !== undefined) response.write(eventLine(type, change.object))
  }

  if (startResourceVersion === undefined) {
    for (const object of store.list(type.resource, namespace)) {
      if (matches(object)) response.write(eventLine('ADDED', object))
    }
  } else {
    for (const change of replay) send(change)
  }

  const removeWatcher = store.addWatcher(type.resource, { namespace, onChange: send })
  const timers: NodeJS.Timeout[] = []
  let finished = false
  const cleanUp = (): void => {
    if (finished) return
    finished = true
    removeWatcher()
    unregister()
    for (const timer of timers) clearTimeout(timer)
  }
  const unregister = registry.add({
    end: () => {
      cleanUp()
      response.end()
    },
    reset: () => {
      cleanUp()
      response.socket?.destroy()
    },
  })
  response.on('close', cleanUp)
  if (options.timeoutSeconds !== undefined) {
    timers.push(
      setTimeout(() => {
        cleanUp()
        response.end()
      }, options.timeoutSeconds * 1000),
    )
  }
  if (options.allowBookmarks && options.bookmarkIntervalSeconds > 0) {
    const bookmark = (): void => {
      const object = {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(store.resourceVersion) },
      }
      response.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`)
    }
    timers.push(setInterval(bookmark, options.bookmarkIntervalSeconds * 1000))
  }
  for (const timer of timers) timer.unref()
}
