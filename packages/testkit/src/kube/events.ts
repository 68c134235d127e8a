/**
 * @module
 * The core/v1 Event strategy (spec §8): the server adds only uid, resourceVersion and
 * creationTimestamp, always answers `eventTime`, `reportingComponent` and `reportingInstance`,
 * and validates legacy events (no `eventTime`) against the namespace of their involved object.
 */

import { normalizeMicroTime, normalizeTime, TimeParseError } from './kube-time.ts'
import { isJsonObject, type JsonObject } from './object-patch.ts'
import type { StoredObject } from './object-store.ts'
import {
  checkMetadataTypes,
  decodeError,
  fieldPathValue,
  invalidObject,
  metadataFieldLabel,
  nameErrors,
  type ResourceType,
} from './resource-type.ts'
import type { FieldError } from './status-errors.ts'

const eventFieldPaths: Record<string, string> = {
  'involvedObject.kind': 'involvedObject.kind',
  'involvedObject.namespace': 'involvedObject.namespace',
  'involvedObject.name': 'involvedObject.name',
  'involvedObject.uid': 'involvedObject.uid',
  'involvedObject.apiVersion': 'involvedObject.apiVersion',
  'involvedObject.resourceVersion': 'involvedObject.resourceVersion',
  'involvedObject.fieldPath': 'involvedObject.fieldPath',
  reason: 'reason',
  reportingComponent: 'reportingComponent',
  source: 'source.component',
  type: 'type',
}

export const eventType: ResourceType = {
  group: '',
  resource: 'events',
  version: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  namespaced: true,
  subresources: [],
  allowUnconditionalUpdate: true,
  supportsFieldLabel: (label) =>
    label === 'metadata.name' || label === 'metadata.namespace' || eventFieldPaths[label] !== undefined,
  fieldLabel(event, label) {
    const path = eventFieldPaths[label]
    return path === undefined ? metadataFieldLabel(event, label) : fieldPathValue(event, path)
  },
  prepareCreate: (event) => prepareEvent(event),
  prepareUpdate: (candidate) => prepareEvent(candidate),
}

function prepareEvent(input: StoredObject): StoredObject {
  checkMetadataTypes(eventType, input)
  const event: JsonObject = { ...input }
  try {
    for (const field of ['firstTimestamp', 'lastTimestamp'] as const)
      event[field] = normalizeTime(event[field] ?? null)
    event.eventTime = normalizeMicroTime(event.eventTime ?? null)
  } catch (error) {
    if (error instanceof TimeParseError) throw decodeError(eventType, error.message)
    throw error
  }
  for (const field of ['involvedObject', 'source'] as const) {
    const value = event[field]
    if (value === undefined || value === null) event[field] = {}
    else if (!isJsonObject(value)) {
      throw decodeError(
        eventType,
        `json: cannot unmarshal ${typeof value} into Go struct field Event.${field} of type v1.${field === 'source' ? 'EventSource' : 'ObjectReference'}`,
      )
    }
  }
  event.reportingComponent ??= ''
  event.reportingInstance ??= ''
  if (event.count !== undefined && event.count !== null && !Number.isInteger(event.count)) {
    throw decodeError(
      eventType,
      `json: cannot unmarshal ${typeof event.count} into Go struct field Event.count of type int32`,
    )
  }

  const name = input.metadata.name
  const namespace = input.metadata.namespace ?? ''
  const errors: FieldError[] = [...nameErrors(name, 'subdomain')]
  const involved = event.involvedObject as JsonObject
  const involvedNamespace = typeof involved.namespace === 'string' ? involved.namespace : ''
  if (event.eventTime === null) {
    const matches =
      involvedNamespace === '' ? namespace === '' || namespace === 'default' : involvedNamespace === namespace
    if (!matches) {
      errors.push({
        type: 'Invalid',
        field: 'involvedObject.namespace',
        value: involvedNamespace,
        detail: 'does not match event.namespace',
      })
    }
  } else {
    for (const field of ['reportingComponent', 'reportingInstance', 'action', 'reason'] as const) {
      const value = event[field]
      if (typeof value !== 'string' || value === '') errors.push({ type: 'Required', field })
      else if (value.length > 128) {
        errors.push({ type: 'Invalid', field, value, detail: 'can have at most 128 characters' })
      }
    }
  }
  if (typeof event.message === 'string' && event.message.length > 1024 && event.eventTime !== null) {
    errors.push({
      type: 'Invalid',
      field: 'message',
      value: event.message,
      detail: 'can have at most 1024 characters',
    })
  }
  if (errors.length > 0) throw invalidObject(eventType, name, errors)
  return event as StoredObject
}
