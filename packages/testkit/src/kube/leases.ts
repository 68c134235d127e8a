/**
 * @module
 * The coordination.k8s.io/v1 Lease strategy (spec §9): MicroTime `acquireTime`/`renewTime` with
 * exactly six fractional digits, positive `leaseDurationSeconds`, and no unconditional updates.
 */

import { normalizeMicroTime, TimeParseError } from './kube-time.ts'
import { isJsonObject, type JsonObject } from './object-patch.ts'
import type { StoredObject } from './object-store.ts'
import {
  checkMetadataTypes,
  decodeError,
  invalidObject,
  metadataFieldLabel,
  nameErrors,
  type ResourceType,
} from './resource-type.ts'
import type { FieldError } from './status-errors.ts'

export const leaseType: ResourceType = {
  group: 'coordination.k8s.io',
  resource: 'leases',
  version: 'v1',
  kind: 'Lease',
  listKind: 'LeaseList',
  namespaced: true,
  subresources: [],
  allowUnconditionalUpdate: false,
  supportsFieldLabel: (label) => label === 'metadata.name' || label === 'metadata.namespace',
  fieldLabel: metadataFieldLabel,
  prepareCreate: (lease) => prepareLease(lease),
  prepareUpdate: (candidate) => prepareLease(candidate),
}

function prepareLease(input: StoredObject): StoredObject {
  checkMetadataTypes(leaseType, input)
  const value = input.spec ?? {}
  if (!isJsonObject(value)) {
    throw decodeError(
      leaseType,
      `json: cannot unmarshal ${typeof value} into Go struct field Lease.spec of type v1.LeaseSpec`,
    )
  }
  const spec: JsonObject = { ...value }
  try {
    for (const field of ['acquireTime', 'renewTime'] as const) {
      if (spec[field] === undefined) continue
      const normalized = normalizeMicroTime(spec[field])
      if (normalized === null) delete spec[field]
      else spec[field] = normalized
    }
  } catch (error) {
    if (error instanceof TimeParseError) throw decodeError(leaseType, error.message)
    throw error
  }
  for (const field of ['leaseDurationSeconds', 'leaseTransitions'] as const) {
    const number = spec[field]
    if (number !== undefined && number !== null && !Number.isInteger(number)) {
      throw decodeError(
        leaseType,
        `json: cannot unmarshal ${typeof number} into Go struct field LeaseSpec.spec.${field} of type int32`,
      )
    }
  }
  const name = input.metadata.name
  const errors: FieldError[] = [...nameErrors(name, 'subdomain')]
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errors.push({
      type: 'Invalid',
      field: 'spec.leaseDurationSeconds',
      value: spec.leaseDurationSeconds,
      detail: 'must be greater than 0',
    })
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
    errors.push({
      type: 'Invalid',
      field: 'spec.leaseTransitions',
      value: spec.leaseTransitions,
      detail: 'must be greater than or equal to 0',
    })
  }
  if (errors.length > 0) throw invalidObject(leaseType, name, errors)
  return { ...input, spec }
}
