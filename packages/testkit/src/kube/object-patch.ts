/**
 * @module
 * The three patch types kube-apiserver accepts (spec §3.4): JSON merge patch (RFC 7386),
 * strategic merge patch (for the list fields the spec names) and JSON Patch (RFC 6902, through
 * fast-json-patch). Each takes the stored object and returns a new one; the stored object is
 * never mutated, so watch history and readers keep a consistent snapshot.
 * @see https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md
 */
import fastJsonPatch from 'fast-json-patch'
import { badRequest, KubeStatusError, unsupportedPatchType } from './status-errors.ts'

export type JsonObject = Record<string, unknown>

export type PatchType = 'merge' | 'strategic' | 'json'

const patchTypes: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
}

/** The patch type of a Content-Type header, or 415 (server-side apply is not implemented either). */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const type = patchTypes[mediaType]
  if (type === undefined) throw unsupportedPatchType()
  return type
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Applies a parsed patch body of the given type to `original`; returns a new object. */
export function applyPatch(original: JsonObject, patch: unknown, type: PatchType): JsonObject {
  if (type === 'json') return applyJsonPatch(original, patch)
  if (!isJsonObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`,
    )
  }
  return type === 'merge'
    ? (mergePatch(original, patch) as JsonObject)
    : (strategicMerge(original, patch, '') as JsonObject)
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else (arrays too) replaces. */
export function mergePatch(original: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch)
  const result: JsonObject = isJsonObject(original) ? { ...original } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}

/** List fields with a merge strategy: `''` merges primitives, otherwise the merge key. */
const listMergeKeys: Record<string, string> = {
  'metadata.finalizers': '',
  'metadata.ownerReferences': 'uid',
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.ephemeralContainers': 'name',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.containers.env': 'name',
  'spec.initContainers.env': 'name',
  'spec.containers.ports': 'containerPort',
  'spec.initContainers.ports': 'containerPort',
  'spec.containers.volumeMounts': 'mountPath',
  'spec.initContainers.volumeMounts': 'mountPath',
  'status.conditions': 'type',
  'status.podIPs': 'ip',
  'status.hostIPs': 'ip',
}

const deleteFromPrimitiveList = '$deleteFromPrimitiveList/'

function strategicMerge(original: unknown, patch: unknown, path: string): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch)
  const result: JsonObject = isJsonObject(original) ? { ...original } : {}
  if (patch.$patch === 'replace') {
    const { $patch: _directive, ...rest } = patch
    return structuredClone(rest)
  }
  if (patch.$patch === 'delete') return undefined
  const deletions: Array<[string, unknown]> = []
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(deleteFromPrimitiveList)) {
      deletions.push([key.slice(deleteFromPrimitiveList.length), value])
      continue
    }
    // Ordering and retainKeys directives only shape the order or pruning of lists we compare as sets.
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys' || key === '$patch') continue
    const fieldPath = path === '' ? key : `${path}.${key}`
    if (value === null) {
      delete result[key]
      continue
    }
    const mergeKey = listMergeKeys[fieldPath]
    if (Array.isArray(value) && mergeKey !== undefined) {
      result[key] = mergeList(result[key], value, mergeKey, fieldPath)
    } else if (isJsonObject(value)) {
      const merged = strategicMerge(result[key], value, fieldPath)
      if (merged === undefined) delete result[key]
      else result[key] = merged
    } else {
      result[key] = structuredClone(value)
    }
  }
  for (const [field, values] of deletions) {
    if (!Array.isArray(values)) {
      throw badRequest(`invalid patch: ${deleteFromPrimitiveList}${field} must be a list`)
    }
    const current = result[field]
    if (Array.isArray(current)) {
      const remaining = current.filter((item) => !values.includes(item))
      if (remaining.length > 0) result[field] = remaining
      else delete result[field]
    }
  }
  return result
}

function mergeList(original: unknown, patch: unknown[], mergeKey: string, fieldPath: string): unknown[] {
  const current = Array.isArray(original) ? [...original] : []
  if (mergeKey === '') {
    for (const item of patch) if (!current.includes(item)) current.push(structuredClone(item))
    return current
  }
  for (const item of patch) {
    if (!isJsonObject(item))
      throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`)
    const keyValue = item[mergeKey]
    if (keyValue === undefined) {
      throw badRequest(`map: map[] does not contain declared merge key: ${mergeKey}`)
    }
    const index = current.findIndex((existing) => isJsonObject(existing) && existing[mergeKey] === keyValue)
    if (item.$patch === 'delete') {
      if (index >= 0) current.splice(index, 1)
      continue
    }
    if (index >= 0) current[index] = strategicMerge(current[index], item, fieldPath)
    else current.push(strategicMerge({}, item, fieldPath))
  }
  return current
}

/** RFC 6902. A body that is not an array is 400; a failing operation is 422 with the object unchanged. */
export function applyJsonPatch(original: JsonObject, operations: unknown): JsonObject {
  if (!Array.isArray(operations)) {
    throw badRequest(
      `json: cannot unmarshal ${operations === null ? 'null' : isJsonObject(operations) ? 'object' : typeof operations} into Go value of type jsonpatch.Patch`,
    )
  }
  try {
    const { newDocument } = fastJsonPatch.applyPatch(
      original,
      operations as fastJsonPatch.Operation[],
      true,
      false,
    )
    if (!isJsonObject(newDocument)) throw new Error('the patched document is not an object')
    return newDocument
  } catch (error) {
    if (error instanceof KubeStatusError) throw error
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)
    throw new KubeStatusError(
      422,
      'Invalid',
      'the server rejected our request due to an error in our request',
      {
        causes: [{ reason: 'UnexpectedServerResponse', message }],
      },
    )
  }
}
