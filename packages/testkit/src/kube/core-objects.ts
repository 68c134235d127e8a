/**
 * @module
 * The kinds kube-dev keeps without behaviour of their own: Namespaces (with their `default`
 * service account, created by the handler), ServiceAccounts and Nodes (known Node uids end up in
 * token claims, spec §5).
 */

import { isJsonObject } from './object-patch.ts'
import type { StoredObject } from './object-store.ts'
import {
  checkMetadataTypes,
  invalidObject,
  metadataFieldLabel,
  nameErrors,
  type ResourceType,
} from './resource-type.ts'

function simpleType(
  fields: Pick<ResourceType, 'resource' | 'kind' | 'listKind' | 'namespaced' | 'returnDeletedObject'>,
  nameKind: 'subdomain' | 'label',
  prepare: (object: StoredObject) => StoredObject = (object) => object,
): ResourceType {
  const type: ResourceType = {
    ...fields,
    group: '',
    version: 'v1',
    subresources: [],
    allowUnconditionalUpdate: true,
    supportsFieldLabel: (label) =>
      label === 'metadata.name' || (fields.namespaced && label === 'metadata.namespace'),
    fieldLabel: metadataFieldLabel,
    prepareCreate(object) {
      checkMetadataTypes(type, object)
      const errors = nameErrors(object.metadata.name, nameKind)
      if (errors.length > 0) throw invalidObject(type, object.metadata.name, errors)
      return prepare(object)
    },
    prepareUpdate(candidate) {
      checkMetadataTypes(type, candidate)
      return prepare(candidate)
    },
  }
  return type
}

export const namespaceType = simpleType(
  { resource: 'namespaces', kind: 'Namespace', listKind: 'NamespaceList', namespaced: false },
  'label',
  (namespace) => ({
    ...namespace,
    metadata: {
      ...namespace.metadata,
      labels: { ...namespace.metadata.labels, 'kubernetes.io/metadata.name': namespace.metadata.name },
    },
    spec: isJsonObject(namespace.spec) ? namespace.spec : { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }),
)

export const serviceAccountType = simpleType(
  {
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    listKind: 'ServiceAccountList',
    namespaced: true,
    returnDeletedObject: true,
  },
  'subdomain',
)

export const nodeType = simpleType(
  { resource: 'nodes', kind: 'Node', listKind: 'NodeList', namespaced: false },
  'subdomain',
)
