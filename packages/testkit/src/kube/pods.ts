/**
 * @module
 * The Pod strategy (spec §2, §3): creation defaults and validation, what updates through the
 * main resource and through `pods/status` may change, podIP/podIPs synchronisation, field
 * selectors, and the grace period of a delete.
 */
import { isIP } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import { normalizeTime, TimeParseError } from './kube-time.ts'
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
  type StrategyContext,
} from './resource-type.ts'
import { type FieldError, forbidden } from './status-errors.ts'

const podFieldPaths: Record<string, string> = {
  'spec.nodeName': 'spec.nodeName',
  'spec.host': 'spec.nodeName',
  'spec.restartPolicy': 'spec.restartPolicy',
  'spec.schedulerName': 'spec.schedulerName',
  'spec.serviceAccountName': 'spec.serviceAccountName',
  'status.phase': 'status.phase',
  'status.podIP': 'status.podIP',
  'status.nominatedNodeName': 'status.nominatedNodeName',
}

const updatableSpecMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'

const statusTimeFields = new Set([
  'startTime',
  'lastTransitionTime',
  'lastProbeTime',
  'startedAt',
  'finishedAt',
])

export const podType: ResourceType = {
  group: '',
  resource: 'pods',
  version: 'v1',
  kind: 'Pod',
  listKind: 'PodList',
  namespaced: true,
  subresources: ['status'],
  allowUnconditionalUpdate: true,
  returnDeletedObject: true,

  supportsFieldLabel: (label) =>
    label === 'metadata.name' ||
    label === 'metadata.namespace' ||
    label === 'spec.hostNetwork' ||
    label === 'status.podIPs' ||
    podFieldPaths[label] !== undefined,

  fieldLabel(pod, label) {
    const path = podFieldPaths[label]
    if (path !== undefined) return fieldPathValue(pod, path)
    if (label === 'spec.hostNetwork') return String(isJsonObject(pod.spec) && pod.spec.hostNetwork === true)
    if (label === 'status.podIPs') {
      const ips = isJsonObject(pod.status) && Array.isArray(pod.status.podIPs) ? pod.status.podIPs : []
      return ips.map((entry) => (isJsonObject(entry) ? String(entry.ip ?? '') : '')).join(',')
    }
    return metadataFieldLabel(pod, label)
  },

  prepareCreate(pod, context: StrategyContext) {
    checkPodTypes(pod)
    const name = pod.metadata.name
    const spec = isJsonObject(pod.spec) ? structuredClone(pod.spec) : {}
    const errors: FieldError[] = [...nameErrors(name, 'subdomain')]
    errors.push(...containerErrors(spec))
    if (errors.length > 0) throw invalidObject(podType, name, errors)
    applySpecDefaults(spec)
    const namespace = pod.metadata.namespace ?? ''
    const serviceAccountName = spec.serviceAccountName as string
    if (context.store.get('serviceaccounts', namespace, serviceAccountName) === undefined) {
      throw forbidden(
        `pods "${name}" is forbidden: error looking up service account ${namespace}/${serviceAccountName}: serviceaccount "${serviceAccountName}" not found`,
        { name, kind: 'pods' },
      )
    }
    const metadata = { ...pod.metadata, generation: 1 }
    return { ...pod, metadata, spec, status: { phase: 'Pending', qosClass: qosClassOf(spec) } }
  },

  prepareUpdate(candidate, stored, subresource) {
    checkPodTypes(candidate)
    const name = stored.metadata.name
    if (subresource === 'status') {
      const status = isJsonObject(candidate.status) ? structuredClone(candidate.status) : {}
      normalizeStatusTimes(status)
      const errors = [
        ...syncIps(status, isJsonObject(stored.status) ? stored.status : {}, 'pod'),
        ...syncIps(status, isJsonObject(stored.status) ? stored.status : {}, 'host'),
      ]
      if (errors.length > 0) throw invalidObject(podType, name, errors)
      const metadata = { ...candidate.metadata }
      if (stored.metadata.ownerReferences !== undefined)
        metadata.ownerReferences = stored.metadata.ownerReferences
      else delete metadata.ownerReferences
      return { ...candidate, metadata, spec: stored.spec, status }
    }
    const spec = isJsonObject(candidate.spec) ? structuredClone(candidate.spec) : {}
    applySpecDefaults(spec)
    const oldSpec = isJsonObject(stored.spec) ? stored.spec : {}
    if (!isDeepStrictEqual(spec, oldSpec)) {
      const errors = containerErrors(spec)
      if (errors.length > 0) throw invalidObject(podType, name, errors)
      if (!isDeepStrictEqual(spec, mungedOldSpec(oldSpec, spec))) {
        throw invalidObject(podType, name, [
          { type: 'Forbidden', field: 'spec', detail: updatableSpecMessage },
        ])
      }
      const generation = typeof stored.metadata.generation === 'number' ? stored.metadata.generation : 0
      return {
        ...candidate,
        metadata: { ...candidate.metadata, generation: generation + 1 },
        spec,
        status: stored.status,
      }
    }
    return { ...candidate, spec: oldSpec, status: stored.status }
  },

  deleteGracePeriodSeconds(pod, requested) {
    const spec = isJsonObject(pod.spec) ? pod.spec : {}
    const phase = isJsonObject(pod.status) ? pod.status.phase : undefined
    if (spec.nodeName === undefined || spec.nodeName === '' || phase === 'Succeeded' || phase === 'Failed')
      return 0
    const grace =
      requested ??
      (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30)
    return grace < 0 ? 1 : grace
  },
}

/** The JSON type name Go's decoder reports (`string`, `number`, `array`, `object`, `bool`). */
function goTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'boolean') return 'bool'
  return typeof value
}

function checkPodTypes(pod: StoredObject): void {
  checkMetadataTypes(podType, pod)
  for (const field of ['spec', 'status'] as const) {
    const value = pod[field]
    if (value !== undefined && value !== null && !isJsonObject(value)) {
      throw decodeError(
        podType,
        `json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go struct field Pod.${field} of type v1.Pod${field === 'spec' ? 'Spec' : 'Status'}`,
      )
    }
  }
  const status = isJsonObject(pod.status) ? pod.status : {}
  for (const field of ['phase', 'podIP', 'hostIP'] as const) {
    const value = status[field]
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw decodeError(
        podType,
        `json: cannot unmarshal ${goTypeName(value)} into Go struct field PodStatus.status.${field} of type ${field === 'phase' ? 'v1.PodPhase' : 'string'}`,
      )
    }
  }
  for (const [field, itemType] of [
    ['podIPs', 'v1.PodIP'],
    ['hostIPs', 'v1.HostIP'],
  ] as const) {
    const list = status[field]
    if (list === undefined || list === null) continue
    if (!Array.isArray(list)) {
      throw decodeError(
        podType,
        `json: cannot unmarshal ${goTypeName(list)} into Go struct field PodStatus.status.${field} of type []${itemType}`,
      )
    }
    for (const entry of list) {
      if (!isJsonObject(entry) && entry !== null) {
        throw decodeError(
          podType,
          `json: cannot unmarshal ${goTypeName(entry)} into Go struct field PodStatus.status.${field} of type ${itemType}`,
        )
      }
      const ip = isJsonObject(entry) ? entry.ip : undefined
      if (ip !== undefined && ip !== null && typeof ip !== 'string') {
        throw decodeError(
          podType,
          `json: cannot unmarshal ${goTypeName(ip)} into Go struct field ${itemType.slice(3)}.status.${field}.ip of type string`,
        )
      }
    }
  }
  const spec = isJsonObject(pod.spec) ? pod.spec : {}
  for (const field of ['containers', 'initContainers'] as const) {
    const list = spec[field]
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      throw decodeError(
        podType,
        `json: cannot unmarshal ${typeof list} into Go struct field PodSpec.spec.${field} of type []v1.Container`,
      )
    }
  }
}

function containerErrors(spec: JsonObject): FieldError[] {
  const errors: FieldError[] = []
  const containers = Array.isArray(spec.containers) ? spec.containers : []
  if (containers.length === 0) errors.push({ type: 'Required', field: 'spec.containers' })
  for (const field of ['initContainers', 'containers'] as const) {
    const list = Array.isArray(spec[field]) ? (spec[field] as unknown[]) : []
    const seen = new Set<string>()
    list.forEach((container, index) => {
      const path = `spec.${field}[${index}]`
      const entry = isJsonObject(container) ? container : {}
      if (typeof entry.name !== 'string' || entry.name === '')
        errors.push({ type: 'Required', field: `${path}.name` })
      else {
        errors.push(...nameErrors(entry.name, 'label', `${path}.name`))
        if (seen.has(entry.name)) {
          errors.push({
            type: 'Invalid',
            field: `${path}.name`,
            value: entry.name,
            detail: 'Duplicate value',
          })
        }
        seen.add(entry.name)
      }
      if (typeof entry.image !== 'string' || entry.image.trim() === '') {
        errors.push({ type: 'Required', field: `${path}.image` })
      }
    })
  }
  return errors
}

function applySpecDefaults(spec: JsonObject): void {
  if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') {
    spec.serviceAccountName =
      typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '' ? spec.serviceAccount : 'default'
  }
  spec.serviceAccount = spec.serviceAccountName
  spec.restartPolicy ??= 'Always'
  spec.terminationGracePeriodSeconds ??= 30
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.schedulerName ??= 'default-scheduler'
  spec.securityContext ??= {}
  spec.enableServiceLinks ??= true
  spec.priority ??= 0
  spec.preemptionPolicy ??= 'PreemptLowerPriority'
  for (const field of ['initContainers', 'containers'] as const) {
    const list = spec[field]
    if (!Array.isArray(list)) continue
    spec[field] = list.map((container) => {
      if (!isJsonObject(container)) return container
      const image = typeof container.image === 'string' ? container.image : ''
      const lastSegment = image.split('/').at(-1) ?? ''
      const untaggedOrLatest =
        !image.includes('@') && (!lastSegment.includes(':') || lastSegment.endsWith(':latest'))
      return {
        ...container,
        resources: container.resources ?? {},
        terminationMessagePath: container.terminationMessagePath ?? '/dev/termination-log',
        terminationMessagePolicy: container.terminationMessagePolicy ?? 'File',
        imagePullPolicy: container.imagePullPolicy ?? (untaggedOrLatest ? 'Always' : 'IfNotPresent'),
      }
    })
  }
}

function qosClassOf(spec: JsonObject): string {
  const containers = [
    ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
    ...(Array.isArray(spec.containers) ? spec.containers : []),
  ].filter(isJsonObject)
  const resources = containers.map((container) =>
    isJsonObject(container.resources) ? container.resources : {},
  )
  const hasAny = resources.some(
    (entry) =>
      (isJsonObject(entry.requests) && Object.keys(entry.requests).length > 0) ||
      (isJsonObject(entry.limits) && Object.keys(entry.limits).length > 0),
  )
  if (!hasAny) return 'BestEffort'
  const guaranteed = resources.every((entry) => {
    const limits = isJsonObject(entry.limits) ? entry.limits : {}
    const requests = isJsonObject(entry.requests) ? entry.requests : {}
    return ['cpu', 'memory'].every(
      (name) =>
        limits[name] !== undefined && (requests[name] === undefined || requests[name] === limits[name]),
    )
  })
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

/** The old spec with everything an update may change taken from the new one. */
function mungedOldSpec(oldSpec: JsonObject, newSpec: JsonObject): JsonObject {
  const munged = structuredClone(oldSpec)
  for (const field of ['containers', 'initContainers'] as const) {
    const oldList = munged[field]
    const newList = newSpec[field]
    if (Array.isArray(oldList) && Array.isArray(newList) && oldList.length === newList.length) {
      oldList.forEach((container, index) => {
        const replacement = newList[index]
        if (isJsonObject(container) && isJsonObject(replacement)) container.image = replacement.image
      })
    }
  }
  if (newSpec.activeDeadlineSeconds !== undefined)
    munged.activeDeadlineSeconds = newSpec.activeDeadlineSeconds
  else delete munged.activeDeadlineSeconds
  const oldTolerations = Array.isArray(oldSpec.tolerations) ? oldSpec.tolerations : []
  const newTolerations = Array.isArray(newSpec.tolerations) ? newSpec.tolerations : []
  if (oldTolerations.every((old) => newTolerations.some((entry) => isDeepStrictEqual(entry, old)))) {
    if (newSpec.tolerations !== undefined) munged.tolerations = newSpec.tolerations
    else delete munged.tolerations
  }
  return munged
}

function normalizeStatusTimes(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) normalizeStatusTimes(item)
    return
  }
  if (!isJsonObject(value)) return
  for (const [key, entry] of Object.entries(value)) {
    if (statusTimeFields.has(key) && entry !== undefined) {
      try {
        const normalized = normalizeTime(entry)
        if (normalized === null) delete value[key]
        else value[key] = normalized
      } catch (error) {
        if (error instanceof TimeParseError) throw decodeError(podType, error.message)
        throw error
      }
    } else normalizeStatusTimes(entry)
  }
}

/**
 * Keeps `podIP`/`podIPs` (or `hostIP`/`hostIPs`) consistent (spec §2): whichever of the two this
 * write changed drives the other; when both are given and differ, the single field wins.
 */
function syncIps(status: JsonObject, old: JsonObject, prefix: 'pod' | 'host'): FieldError[] {
  const singleField = `${prefix}IP`
  const listField = `${prefix}IPs`
  const single = typeof status[singleField] === 'string' ? (status[singleField] as string) : ''
  const list = Array.isArray(status[listField]) ? (status[listField] as unknown[]) : []
  const first = isJsonObject(list[0]) && typeof list[0].ip === 'string' ? list[0].ip : ''
  const listChangedAlone =
    single === (old[singleField] ?? '') && !isDeepStrictEqual(list, old[listField] ?? [])
  if (single !== '' && first !== single && !(listChangedAlone && first !== '')) {
    status[listField] = [{ ip: single }]
  } else if (first !== '' && (single === '' || listChangedAlone)) {
    status[singleField] = first
  }
  if ((status[singleField] ?? '') === '') delete status[singleField]
  if (!Array.isArray(status[listField]) || (status[listField] as unknown[]).length === 0)
    delete status[listField]
  const errors: FieldError[] = []
  const families = new Set<number>()
  const final = Array.isArray(status[listField]) ? (status[listField] as unknown[]) : []
  final.forEach((entry, index) => {
    const ip = isJsonObject(entry) ? entry.ip : undefined
    const family = typeof ip === 'string' ? isIP(ip) : 0
    if (family === 0) {
      errors.push({
        type: 'Invalid',
        field: `status.${listField}[${index}].ip`,
        value: ip ?? '',
        detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      })
    } else if (families.has(family)) {
      errors.push({
        type: 'Invalid',
        field: `status.${listField}`,
        value: final.map((item) => (isJsonObject(item) ? item.ip : item)),
        detail: 'may specify no more than one IP for each IP family',
      })
    }
    families.add(family)
  })
  return errors
}
