/**
 * @module
 * What the generic REST handlers need to know about one kind (pods, events, leases, ...): its
 * names, its field selectors, and its create/update strategy (defaults, validation, which fields
 * a write may not touch). Also the metadata rules every kind shares (`ObjectMeta` validation,
 * system fields, the deletion-timestamp and finalizer rules of spec §3.4).
 */
import type { Clock } from '../clock.ts'
import { normalizeTime, TimeParseError } from './kube-time.ts'
import { isJsonObject, type JsonObject } from './object-patch.ts'
import type { ObjectStore, StoredObject } from './object-store.ts'
import { badRequest, type FieldError, type GroupResource, invalid } from './status-errors.ts'

/** Context a strategy may consult: the store (for lookups), the clock. */
export interface StrategyContext {
  store: ObjectStore
  clock: Clock
}

export interface ResourceType extends GroupResource {
  version: string
  kind: string
  listKind: string
  namespaced: boolean
  /** Subresources served with the object itself (`status`). */
  subresources: readonly string[]
  /** Whether `PUT` without `metadata.resourceVersion` is allowed (pods, events yes; leases no). */
  allowUnconditionalUpdate: boolean
  /**
   * Whether `DELETE` answers the deleted object (pods, service accounts) or, like kube-apiserver's
   * registries without `ReturnDeletedObject` (events, leases), a `Status` of `Success`.
   */
  returnDeletedObject?: boolean
  /** Field selector: is the label supported, and the object's value for it. */
  fieldLabel(object: StoredObject, label: string): string | undefined
  supportsFieldLabel(label: string): boolean
  /** Defaults and validation of a new object; system metadata is already set. */
  prepareCreate(object: StoredObject, context: StrategyContext): StoredObject
  /**
   * The object to store for an update of `stored` to `candidate` (through the main resource or
   * `subresource`); shared metadata rules have already been applied.
   */
  prepareUpdate(candidate: StoredObject, stored: StoredObject, subresource: string | undefined): StoredObject
  /** Grace period of a delete without one (pods: their spec; others: 0). */
  deleteGracePeriodSeconds?(object: StoredObject, requested: number | undefined): number
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`
}

/** 400 for a body the typed decoder would refuse: `Pod in version "v1" cannot be handled as a Pod: …`. */
export function decodeError(type: ResourceType, detail: string) {
  return badRequest(
    `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${detail}`,
  )
}

export function invalidObject(type: ResourceType, name: string, errors: FieldError[]) {
  return invalid({ group: type.group, kind: type.kind, resource: type.resource }, name, errors)
}

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function nameErrors(name: string, kind: 'subdomain' | 'label', field = 'metadata.name'): FieldError[] {
  if (kind === 'label') {
    if (name.length <= 63 && dnsLabel.test(name)) return []
    return [
      {
        type: 'Invalid',
        field,
        value: name,
        detail:
          name.length > 63
            ? 'must be no more than 63 characters'
            : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      },
    ]
  }
  if (name.length <= 253 && dnsSubdomain.test(name)) return []
  return [
    {
      type: 'Invalid',
      field,
      value: name,
      detail:
        name.length > 253
          ? 'must be no more than 253 characters'
          : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    },
  ]
}

const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const qualifiedNameMessage =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
const labelValueMessage =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

/** apimachinery's `IsQualifiedName`: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 characters. */
function qualifiedNameErrors(key: string, field: string): FieldError[] {
  const parts = key.split('/')
  const [prefix, namePart] = parts.length === 2 ? parts : [undefined, key]
  const errors: FieldError[] = []
  if (parts.length > 2) {
    errors.push({
      type: 'Invalid',
      field,
      value: key,
      detail:
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    })
    return errors
  }
  if (prefix !== undefined) {
    if (prefix === '')
      errors.push({ type: 'Invalid', field, value: key, detail: 'prefix part must be non-empty' })
    else if (prefix.length > 253 || !dnsSubdomain.test(prefix)) {
      errors.push({
        type: 'Invalid',
        field,
        value: key,
        detail:
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      })
    }
  }
  const name = namePart ?? ''
  if (name === '') errors.push({ type: 'Invalid', field, value: key, detail: 'name part must be non-empty' })
  else if (name.length > 63) {
    errors.push({
      type: 'Invalid',
      field,
      value: key,
      detail: 'name part must be no more than 63 characters',
    })
  } else if (!qualifiedNamePart.test(name)) {
    errors.push({ type: 'Invalid', field, value: key, detail: qualifiedNameMessage })
  }
  return errors
}

/** `ValidateLabels` and `ValidateAnnotations` of `ObjectMeta` (keys and label values). */
export function labelAndAnnotationErrors(metadata: JsonObject): FieldError[] {
  const errors: FieldError[] = []
  const labels = isJsonObject(metadata.labels) ? metadata.labels : {}
  for (const [key, value] of Object.entries(labels)) {
    errors.push(...qualifiedNameErrors(key, 'metadata.labels'))
    if (typeof value === 'string' && (value.length > 63 || !labelValue.test(value))) {
      errors.push({
        type: 'Invalid',
        field: 'metadata.labels',
        value,
        detail: value.length > 63 ? 'must be no more than 63 characters' : labelValueMessage,
      })
    }
  }
  const annotations = isJsonObject(metadata.annotations) ? metadata.annotations : {}
  for (const key of Object.keys(annotations))
    errors.push(...qualifiedNameErrors(key.toLowerCase(), 'metadata.annotations'))
  return errors
}

function goType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value === 'object' ? 'object' : typeof value
}

function typeError(type: ResourceType, value: unknown, field: string, goTarget: string) {
  return decodeError(
    type,
    `json: cannot unmarshal ${goType(value)} into Go struct field ${field} of type ${goTarget}`,
  )
}

/** What Go's decoder would refuse in `metadata` (wrong JSON types). */
export function checkMetadataTypes(type: ResourceType, body: JsonObject): void {
  const metadata = body.metadata
  if (metadata === undefined || metadata === null) return
  if (!isJsonObject(metadata)) throw typeError(type, metadata, `${type.kind}.metadata`, 'v1.ObjectMeta')
  for (const field of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion'] as const) {
    const value = metadata[field]
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw typeError(type, value, `ObjectMeta.metadata.${field}`, 'string')
    }
  }
  for (const field of ['labels', 'annotations'] as const) {
    const value = metadata[field]
    if (value === undefined || value === null) continue
    if (!isJsonObject(value))
      throw typeError(type, value, `ObjectMeta.metadata.${field}`, 'map[string]string')
    for (const entry of Object.values(value)) {
      if (typeof entry !== 'string' && entry !== null) {
        throw typeError(type, entry, `ObjectMeta.metadata.${field}`, 'string')
      }
    }
  }
  const finalizers = metadata.finalizers
  if (finalizers !== undefined && finalizers !== null) {
    if (!Array.isArray(finalizers))
      throw typeError(type, finalizers, 'ObjectMeta.metadata.finalizers', '[]string')
    for (const finalizer of finalizers) {
      if (typeof finalizer !== 'string')
        throw typeError(type, finalizer, 'ObjectMeta.metadata.finalizers', 'string')
    }
  }
  const grace = metadata.deletionGracePeriodSeconds
  if (grace !== undefined && grace !== null && !Number.isInteger(grace)) {
    throw typeError(type, grace, 'ObjectMeta.metadata.deletionGracePeriodSeconds', 'int64')
  }
  for (const field of ['creationTimestamp', 'deletionTimestamp'] as const) {
    if (metadata[field] === undefined) continue
    try {
      normalizeTime(metadata[field])
    } catch (error) {
      if (error instanceof TimeParseError) throw decodeError(type, error.message)
      throw error
    }
  }
}

/** Drops empty maps and lists the API server omits (`labels`, `annotations`, `finalizers`, ...). */
export function normalizeMetadata(metadata: JsonObject): void {
  for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields'] as const) {
    const value = metadata[field]
    if (
      value === null ||
      (Array.isArray(value) && value.length === 0) ||
      (isJsonObject(value) && Object.keys(value).length === 0)
    ) {
      delete metadata[field]
    }
  }
  for (const field of ['labels', 'annotations'] as const) {
    const value = metadata[field]
    if (isJsonObject(value)) {
      for (const [key, entry] of Object.entries(value)) if (entry === null) delete value[key]
    }
  }
  for (const field of ['generateName', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    if (metadata[field] === null || metadata[field] === '') delete metadata[field]
  }
}

/** Go's `%#v` of a []string: `[]string{"a", "b"}`. */
export function goStringSlice(values: string[]): string {
  return `[]string{${values.map((value) => JSON.stringify(value)).join(', ')}}`
}

/**
 * The metadata rules of every update: system fields keep their stored values, `uid` and a set
 * `deletionGracePeriodSeconds` are immutable, a deletion timestamp can neither appear nor change,
 * and no finalizer may be added while the object is being deleted. A `status` write ignores the
 * deletion timestamp it carries (spec §3.6), so setting one there is no error.
 */
export function applyMetadataUpdateRules(
  type: ResourceType,
  candidate: StoredObject,
  stored: StoredObject,
  subresource?: string,
): StoredObject {
  const metadata: JsonObject = { ...candidate.metadata }
  const old = stored.metadata
  if (subresource === 'status') delete metadata.deletionTimestamp
  const name = old.name
  const errors: FieldError[] = labelAndAnnotationErrors(metadata)
  if (typeof metadata.uid === 'string' && metadata.uid !== '' && metadata.uid !== old.uid) {
    errors.push({ type: 'Immutable', field: 'metadata.uid', value: metadata.uid })
  }
  const oldGrace = old.deletionGracePeriodSeconds
  const newGrace = metadata.deletionGracePeriodSeconds
  if (newGrace !== undefined && newGrace !== null && newGrace !== oldGrace) {
    errors.push({ type: 'Immutable', field: 'metadata.deletionGracePeriodSeconds', value: newGrace })
  }
  if (
    old.deletionTimestamp === undefined &&
    metadata.deletionTimestamp !== undefined &&
    metadata.deletionTimestamp !== null
  ) {
    errors.push({ type: 'Immutable', field: 'metadata.deletionTimestamp', value: metadata.deletionTimestamp })
  }
  if (old.deletionTimestamp !== undefined) {
    const before = new Set((old.finalizers as string[] | undefined) ?? [])
    const added = [
      ...new Set(((metadata.finalizers as string[] | null | undefined) ?? []).filter((f) => !before.has(f))),
    ]
    if (added.length > 0) {
      errors.push({
        type: 'Forbidden',
        field: 'metadata.finalizers',
        detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added.sort())}`,
      })
    }
  }
  if (errors.length > 0) throw invalidObject(type, name, errors)

  metadata.name = name
  if (old.namespace !== undefined) metadata.namespace = old.namespace
  metadata.uid = old.uid
  metadata.resourceVersion = old.resourceVersion
  metadata.creationTimestamp = old.creationTimestamp
  if (old.generation !== undefined) metadata.generation = old.generation
  else delete metadata.generation
  if (old.deletionTimestamp !== undefined) metadata.deletionTimestamp = old.deletionTimestamp
  else delete metadata.deletionTimestamp
  if (oldGrace !== undefined) metadata.deletionGracePeriodSeconds = oldGrace
  else delete metadata.deletionGracePeriodSeconds
  if (old.generateName !== undefined) metadata.generateName = old.generateName
  normalizeMetadata(metadata)
  return {
    ...candidate,
    kind: stored.kind,
    apiVersion: stored.apiVersion,
    metadata: metadata as StoredObject['metadata'],
  }
}

/** Field selector support every kind has. */
export function metadataFieldLabel(object: StoredObject, label: string): string | undefined {
  if (label === 'metadata.name') return object.metadata.name
  if (label === 'metadata.namespace') return object.metadata.namespace ?? ''
  return undefined
}

/** Reads a dotted path of plain fields as a field-selector string. */
export function fieldPathValue(object: JsonObject, path: string): string {
  let current: unknown = object
  for (const segment of path.split('.')) current = isJsonObject(current) ? current[segment] : undefined
  if (current === undefined || current === null) return ''
  return typeof current === 'string' ? current : String(current)
}
