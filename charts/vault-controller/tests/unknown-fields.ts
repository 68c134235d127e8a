/**
 * @module
 * Finds fields that Kubernetes does not know in a rendered object. The JSON schemas of
 * `kubernetes-models` check the type and the required fields of every known field but allow extra
 * ones (as the OpenAPI does), so a mis-indented key (`securityContext` one level too deep) would
 * pass them, and the API server would drop it silently or, with strict field validation, refuse
 * it. `@kubernetes/client-node`'s generated models list every field of every built-in type
 * (`getAttributeTypeMap()`), which is what this walks.
 */
import * as k8s from '@kubernetes/client-node'

interface Attribute {
  baseName: string
  type: string
}

type ModelClass = { getAttributeTypeMap(): Attribute[] }

const models = k8s as unknown as Record<string, ModelClass | undefined>

/** Types whose content is free-form or a scalar: nothing to check inside. */
const LEAF_TYPES = new Set(['string', 'number', 'boolean', 'Date', 'any', 'IntOrString', 'object'])

function walk(value: unknown, type: string, path: string, problems: string[]): void {
  if (value === null || value === undefined || LEAF_TYPES.has(type)) return
  const array = /^Array<(.+)>$/.exec(type)
  if (array !== null) {
    if (!Array.isArray(value)) return
    for (const [index, item] of value.entries()) walk(item, array[1] ?? 'any', `${path}[${index}]`, problems)
    return
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)
  if (map !== null) {
    for (const [key, item] of Object.entries(value as object))
      walk(item, map[1] ?? 'any', `${path}.${key}`, problems)
    return
  }
  const model = models[type]
  if (model === undefined || typeof model.getAttributeTypeMap !== 'function') {
    problems.push(`${path}: no model ${type} in @kubernetes/client-node`)
    return
  }
  const attributes = new Map(
    model.getAttributeTypeMap().map((attribute) => [attribute.baseName, attribute.type]),
  )
  for (const [key, item] of Object.entries(value as object)) {
    const attributeType = attributes.get(key)
    if (attributeType === undefined) problems.push(`${path}.${key}: unknown field of ${type}`)
    else walk(item, attributeType, `${path}.${key}`, problems)
  }
}

/**
 * The unknown fields of a built-in object (`apiVersion` `v1`, `apps/v1`, … and its kind), one
 * line each; `undefined` when the kind is not built in (a custom resource: not checked here).
 */
export function unknownFields(object: { apiVersion: string; kind: string }): string[] | undefined {
  const version = object.apiVersion.split('/').at(-1) ?? ''
  const type = `${version.charAt(0).toUpperCase()}${version.slice(1)}${object.kind}`
  if (models[type] === undefined) return undefined
  const problems: string[] = []
  walk(object, type, object.kind, problems)
  return problems
}
