/**
 * @module
 * The generic REST verbs over the object store (spec §3, §8, §9): create, get, list, watch,
 * replace, patch and delete for any `ResourceType`, with optimistic concurrency, no-op writes
 * that change nothing, graceful deletion and finalizers. Kind-specific rules live in the
 * strategies (`pods.ts`, `events.ts`, ...); this file owns the order in which they apply.
 */
import { randomInt, randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { isDeepStrictEqual } from 'node:util'
import type { Clock } from '../clock.ts'
import { parseFieldSelector } from './field-selector.ts'
import { parseObjectBody, parsePatchBody } from './json-body.ts'
import { formatTime, parseTime } from './kube-time.ts'
import { parseLabelSelector } from './label-selector.ts'
import { applyPatch, isJsonObject, type JsonObject, patchTypeOf } from './object-patch.ts'
import type { ObjectMeta, ObjectStore, StoredObject } from './object-store.ts'
import type { ResourceRequest } from './request-info.ts'
import {
  apiVersionOf,
  applyMetadataUpdateRules,
  checkMetadataTypes,
  invalidObject,
  labelAndAnnotationErrors,
  normalizeMetadata,
  type ResourceType,
} from './resource-type.ts'
import {
  alreadyExists,
  badRequest,
  conflict,
  GoLiteral,
  internalError,
  KubeStatusError,
  methodNotAllowed,
  notFound,
  resourceNotFound,
  unsupportedBodyType,
} from './status-errors.ts'
import { serveWatch, type WatchRegistry } from './watch-stream.ts'

export interface ApiRequest {
  info: ResourceRequest
  query: URLSearchParams
  contentType: string | undefined
  body: string
}

export type ApiAnswer = { status: number; body: unknown } | { streamed: true }

export interface RestSettings {
  bookmarkIntervalSeconds: number
}

const generateNameAlphabet = 'bcdfghjklmnpqrstvwxz2456789'

/** `{kind, apiVersion, metadata, ...}` in the order the real server writes them. */
export function canonical(type: ResourceType, object: JsonObject): StoredObject {
  const { kind: _kind, apiVersion: _apiVersion, metadata, ...rest } = object
  return {
    kind: type.kind,
    apiVersion: apiVersionOf(type),
    metadata: orderedMetadata(metadata),
    ...rest,
  } as StoredObject
}

const metadataOrder = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
]

function orderedMetadata(metadata: unknown): unknown {
  if (!isJsonObject(metadata)) return metadata
  const ordered: JsonObject = {}
  for (const field of metadataOrder) if (field in metadata) ordered[field] = metadata[field]
  for (const [field, value] of Object.entries(metadata)) if (!(field in ordered)) ordered[field] = value
  return ordered
}

/** A list item: the object without `kind`/`apiVersion`. */
function listItem(object: StoredObject): JsonObject {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object
  return rest
}

function isJsonMediaType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json'
}

interface DeleteOptions {
  gracePeriodSeconds: number | undefined
  preconditions: { uid?: string; resourceVersion?: string }
  dryRun: boolean
}

export class RestHandlers {
  readonly #store: ObjectStore
  readonly #clock: Clock
  readonly #watches: WatchRegistry
  readonly #settings: RestSettings

  constructor(store: ObjectStore, clock: Clock, watches: WatchRegistry, settings: RestSettings) {
    this.#store = store
    this.#clock = clock
    this.#watches = watches
    this.#settings = settings
  }

  handle(type: ResourceType, request: ApiRequest, response: ServerResponse): ApiAnswer {
    const { info } = request
    if (info.subresource !== undefined && !type.subresources.includes(info.subresource))
      throw resourceNotFound()
    switch (info.verb) {
      case 'get':
        return { status: 200, body: this.#existing(type, info) }
      case 'list':
        return { status: 200, body: this.list(type, info.namespace, request.query) }
      case 'watch':
        this.#watch(type, request, response)
        return { streamed: true }
      case 'create':
        if (info.subresource !== undefined) throw methodNotAllowed()
        return {
          status: 201,
          body: this.create(type, info.namespace, this.#objectBody(request), isDryRun(request.query)),
        }
      case 'update':
        if (info.name === undefined) throw methodNotAllowed()
        return { status: 200, body: this.#replace(type, request) }
      case 'patch':
        if (info.name === undefined) throw methodNotAllowed()
        return { status: 200, body: this.#patch(type, request) }
      case 'delete': {
        if (info.subresource !== undefined) throw methodNotAllowed()
        const deleted = this.delete(type, info.namespace, info.name ?? '', deleteOptions(request))
        return {
          status: 200,
          body: type.returnDeletedObject === true ? deleted : deletedStatus(type, deleted),
        }
      }
      default:
        throw methodNotAllowed()
    }
  }

  list(type: ResourceType, namespace: string | undefined, query: URLSearchParams): JsonObject {
    const matches = selectorOf(type, query)
    return {
      kind: type.listKind,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion: String(this.#store.resourceVersion) },
      items: this.#store.list(type.resource, namespace).filter(matches).map(listItem),
    }
  }

  /** Creates an object as `POST` does; `namespace` from the URL. */
  create(type: ResourceType, namespace: string | undefined, body: unknown, dryRun = false): StoredObject {
    if (!isJsonObject(body))
      throw badRequest(
        `couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
      )
    checkMetadataTypes(type, body)
    if (
      type.namespaced &&
      namespace !== undefined &&
      this.#store.get('namespaces', undefined, namespace) === undefined
    ) {
      throw notFound({ group: '', resource: 'namespaces' }, namespace)
    }
    const metadata: JsonObject = isJsonObject(body.metadata) ? { ...body.metadata } : {}
    const bodyNamespace = metadata.namespace
    if (
      type.namespaced &&
      typeof bodyNamespace === 'string' &&
      bodyNamespace !== '' &&
      bodyNamespace !== namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      )
    }
    if (typeof metadata.resourceVersion === 'string' && metadata.resourceVersion !== '') {
      throw internalError('resourceVersion should not be set on objects to be created')
    }
    let name = typeof metadata.name === 'string' ? metadata.name : ''
    if (name === '' && typeof metadata.generateName === 'string' && metadata.generateName !== '') {
      name = metadata.generateName
      for (let index = 0; index < 5; index++)
        name += generateNameAlphabet[randomInt(generateNameAlphabet.length)]
    }
    if (name === '') {
      throw invalidObject(type, '', [
        { type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' },
      ])
    }
    const metadataErrors = labelAndAnnotationErrors(metadata)
    if (metadataErrors.length > 0) throw invalidObject(type, name, metadataErrors)
    metadata.name = name
    if (type.namespaced) metadata.namespace = namespace
    else delete metadata.namespace
    metadata.uid = randomUUID()
    metadata.creationTimestamp = formatTime(this.#clock.now())
    for (const field of [
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
      'selfLink',
    ]) {
      delete metadata[field]
    }
    normalizeMetadata(metadata)
    const prepared = canonical(
      type,
      type.prepareCreate(canonical(type, { ...body, metadata }), { store: this.#store, clock: this.#clock }),
    )
    if (this.#store.get(type.resource, prepared.metadata.namespace, name) !== undefined) {
      throw alreadyExists(type, name)
    }
    return dryRun ? prepared : this.#store.create(type.resource, prepared)
  }

  /** Applies an update of `stored` to `candidate` (already patched or replaced). */
  update(
    type: ResourceType,
    stored: StoredObject,
    candidate: JsonObject,
    subresource: string | undefined,
    options: { replace: boolean; dryRun: boolean },
  ): StoredObject {
    const name = stored.metadata.name
    checkMetadataTypes(type, candidate)
    const metadata = isJsonObject(candidate.metadata) ? candidate.metadata : {}
    if (typeof metadata.name === 'string' && metadata.name !== '' && metadata.name !== name) {
      throw badRequest(
        `the name of the object (${metadata.name}) does not match the name on the URL (${name})`,
      )
    }
    if (options.replace && metadata.name !== name) {
      throw badRequest(
        `the name of the object (${typeof metadata.name === 'string' ? metadata.name : ''}) does not match the name on the URL (${name})`,
      )
    }
    if (
      type.namespaced &&
      typeof metadata.namespace === 'string' &&
      metadata.namespace !== '' &&
      metadata.namespace !== stored.metadata.namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      )
    }
    const resourceVersion = typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : ''
    if (resourceVersion === '' && options.replace && !type.allowUnconditionalUpdate) {
      throw invalidObject(type, name, [
        {
          type: 'Invalid',
          field: 'metadata.resourceVersion',
          value: new GoLiteral('0x0'),
          detail: 'must be specified for an update',
        },
      ])
    }
    if (resourceVersion !== '' && resourceVersion !== stored.metadata.resourceVersion)
      throw conflict(type, name)
    const withRules = applyMetadataUpdateRules(
      type,
      canonical(type, { ...candidate, metadata }),
      stored,
      subresource,
    )
    const prepared = canonical(type, type.prepareUpdate(withRules, stored, subresource))
    normalizeMetadata(prepared.metadata)
    if (isDeepStrictEqual(prepared, stored)) return stored
    const finalizers = prepared.metadata.finalizers
    const finalizersGone = !Array.isArray(finalizers) || finalizers.length === 0
    if (
      finalizersGone &&
      prepared.metadata.deletionTimestamp !== undefined &&
      prepared.metadata.deletionGracePeriodSeconds === 0
    ) {
      // The answer is the patched object; watchers' DELETED carries the last stored state (spec §3.7).
      if (!options.dryRun) this.#store.remove(type.resource, stored)
      return prepared
    }
    return options.dryRun ? prepared : this.#store.update(type.resource, prepared)
  }

  /** Deletes as `DELETE` does (spec §3.7); answers the object as the caller sees it. */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
  ): StoredObject {
    const stored = this.#store.get(type.resource, namespace, name)
    if (stored === undefined) throw notFound(type, name)
    const { uid, resourceVersion } = options.preconditions
    if (uid !== undefined && uid !== stored.metadata.uid) {
      throw conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored.metadata.uid}`,
      )
    }
    if (resourceVersion !== undefined && resourceVersion !== stored.metadata.resourceVersion) {
      throw conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion}`,
      )
    }
    const requested = options.gracePeriodSeconds
    const grace = type.deleteGracePeriodSeconds?.(stored, requested) ?? 0
    const finalizers = stored.metadata.finalizers
    const hasFinalizers = Array.isArray(finalizers) && finalizers.length > 0
    const nowMs = this.#clock.now()
    const currentGrace = stored.metadata.deletionGracePeriodSeconds
    if (stored.metadata.deletionTimestamp !== undefined) {
      const current = typeof currentGrace === 'number' ? currentGrace : 0
      if (requested === undefined || grace >= current) return stored
      if (grace === 0 && !hasFinalizers)
        return options.dryRun ? stored : this.#store.remove(type.resource, stored)
      const deletionMs = parseTime(String(stored.metadata.deletionTimestamp)) - (current - grace) * 1000
      return this.#startDeletion(type, stored, deletionMs, grace, false, options.dryRun)
    }
    if (grace === 0 && !hasFinalizers)
      return options.dryRun ? stored : this.#store.remove(type.resource, stored)
    // Deletion starts (outcomes 2 and 3): generation grows, spec §3.4.
    return this.#startDeletion(type, stored, nowMs + grace * 1000, grace, true, options.dryRun)
  }

  #startDeletion(
    type: ResourceType,
    stored: StoredObject,
    deletionMs: number,
    grace: number,
    bumpGeneration: boolean,
    dryRun: boolean,
  ): StoredObject {
    const metadata: ObjectMeta = {
      ...stored.metadata,
      deletionTimestamp: formatTime(deletionMs),
      deletionGracePeriodSeconds: grace,
    }
    if (bumpGeneration && typeof metadata.generation === 'number') metadata.generation += 1
    const next = canonical(type, { ...stored, metadata })
    return dryRun ? next : this.#store.update(type.resource, next)
  }

  #existing(type: ResourceType, info: ResourceRequest): StoredObject {
    const object = this.#store.get(type.resource, info.namespace, info.name ?? '')
    if (object === undefined) throw notFound(type, info.name ?? '')
    return object
  }

  #objectBody(request: ApiRequest): unknown {
    if (!isJsonMediaType(request.contentType)) throw unsupportedBodyType()
    return parseObjectBody(request.body)
  }

  #replace(type: ResourceType, request: ApiRequest): StoredObject {
    const body = this.#objectBody(request)
    const stored = this.#existing(type, request.info)
    if (!isJsonObject(body))
      throw badRequest(
        "couldn't get version/kind; json parse error: json: cannot unmarshal into Go value of type struct",
      )
    return this.update(type, stored, body, request.info.subresource, {
      replace: true,
      dryRun: isDryRun(request.query),
    })
  }

  #patch(type: ResourceType, request: ApiRequest): StoredObject {
    const patchType = patchTypeOf(request.contentType)
    const patch = parsePatchBody(request.body)
    const stored = this.#existing(type, request.info)
    const patched = applyPatch(stored, patch, patchType)
    return this.update(type, stored, patched, request.info.subresource, {
      replace: false,
      dryRun: isDryRun(request.query),
    })
  }

  #watch(type: ResourceType, request: ApiRequest, response: ServerResponse): void {
    const { query } = request
    const timeout = query.get('timeoutSeconds')
    let timeoutSeconds: number | undefined
    if (timeout !== null && timeout !== '') {
      if (!/^\d+$/.test(timeout))
        throw badRequest(
          `timeoutSeconds: Invalid value: ${JSON.stringify(timeout)}: strconv.ParseInt: parsing ${JSON.stringify(timeout)}: invalid syntax`,
        )
      timeoutSeconds = Number(timeout)
    }
    serveWatch(this.#store, this.#watches, response, {
      type,
      namespace: request.info.namespace,
      matches: selectorOf(type, query),
      resourceVersion: query.get('resourceVersion'),
      allowBookmarks: query.get('allowWatchBookmarks') === 'true',
      timeoutSeconds,
      bookmarkIntervalSeconds: this.#settings.bookmarkIntervalSeconds,
    })
  }
}

/** The `Success` Status a registry without `ReturnDeletedObject` answers to `DELETE`. */
function deletedStatus(type: ResourceType, deleted: StoredObject): JsonObject {
  const details: JsonObject = { name: deleted.metadata.name }
  if (type.group !== '') details.group = type.group
  details.kind = type.resource
  details.uid = deleted.metadata.uid
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }
}

function selectorOf(type: ResourceType, query: URLSearchParams): (object: StoredObject) => boolean {
  const labels = parseLabelSelector(query.get('labelSelector'))
  const fields = parseFieldSelector<StoredObject>(
    query.get('fieldSelector'),
    (label) => type.supportsFieldLabel(label),
    (object, label) => type.fieldLabel(object, label),
  )
  return (object) => labels(object.metadata.labels) && fields(object)
}

function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun')
  for (const value of values) {
    if (value !== 'All') {
      throw new KubeStatusError(
        400,
        'BadRequest',
        `Invalid dryRun value: ${JSON.stringify(value)}; supported values: "All"`,
      )
    }
  }
  return values.length > 0
}

function integerOption(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw badRequest(`${field}: Invalid value: ${JSON.stringify(value)}: must be an integer`)
  }
  return number
}

function deleteOptions(request: ApiRequest): DeleteOptions {
  const { query } = request
  let body: JsonObject = {}
  if (request.body.trim() !== '') {
    const parsed = parseObjectBody(request.body)
    if (!isJsonObject(parsed))
      throw badRequest(
        "couldn't get version/kind; json parse error: json: cannot unmarshal into DeleteOptions",
      )
    body = parsed
  }
  const queryGrace = integerOption(query.get('gracePeriodSeconds'), 'gracePeriodSeconds')
  const bodyGrace = integerOption(body.gracePeriodSeconds, 'gracePeriodSeconds')
  if (body.preconditions !== undefined && body.preconditions !== null && !isJsonObject(body.preconditions)) {
    throw badRequest(
      `json: cannot unmarshal ${Array.isArray(body.preconditions) ? 'array' : typeof body.preconditions} into Go struct field DeleteOptions.preconditions of type v1.Preconditions`,
    )
  }
  const preconditions = isJsonObject(body.preconditions) ? body.preconditions : {}
  const options: DeleteOptions = {
    gracePeriodSeconds: bodyGrace ?? queryGrace,
    preconditions: {},
    dryRun: isDryRun(query) || (Array.isArray(body.dryRun) && body.dryRun.includes('All')),
  }
  if (typeof preconditions.uid === 'string') options.preconditions.uid = preconditions.uid
  if (typeof preconditions.resourceVersion === 'string') {
    options.preconditions.resourceVersion = preconditions.resourceVersion
  }
  const policy = query.get('propagationPolicy') ?? body.propagationPolicy
  if (
    policy !== null &&
    policy !== undefined &&
    !['Orphan', 'Background', 'Foreground'].includes(String(policy))
  ) {
    throw badRequest(
      `propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`,
    )
  }
  return options
}
