/**
 * @module
 * The parameters of a legacy token request, read the way the original controller's Go handler read
 * them with `FormValue` (`specs/legacy-protocol.md` §2): from the query string and, for POST, PUT
 * and PATCH with `Content-Type: application/x-www-form-urlencoded`, also from the body, the body's
 * value preferred. `name` is required; `namespace` defaults to `default`.
 *
 * Unlike the original, which built the API path from the raw values, both names must be valid
 * Kubernetes names before anything is looked up.
 */
import {
  DNS_1123_LABEL_MAX_LENGTH,
  DNS_1123_LABEL_PATTERN,
  DNS_1123_SUBDOMAIN_MAX_LENGTH,
  DNS_1123_SUBDOMAIN_PATTERN,
  LEGACY_DEFAULT_NAMESPACE,
  LEGACY_NAME_PARAM,
  LEGACY_NAMESPACE_PARAM,
} from '@vault-controller/protocol'

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded'
const METHODS_WITH_FORM_BODY = new Set(['POST', 'PUT', 'PATCH'])
const LABEL = new RegExp(DNS_1123_LABEL_PATTERN)
const SUBDOMAIN = new RegExp(DNS_1123_SUBDOMAIN_PATTERN)

/** What the request named, or why it cannot be served. */
export type LegacyRequestReading =
  | { ok: true; namespace: string; name: string }
  /** `name` is missing or empty: the original's 400. */
  | { ok: false; problem: 'missing-name' }
  /** A value no Kubernetes object can have (our addition: `VC_BAD_REQUEST`). */
  | { ok: false; problem: 'invalid'; message: string }

export interface LegacyRequestParts {
  method: string
  /** The raw URL (path and query). */
  url: string
  contentType: string | undefined
  /** The body as text; empty when there was none. */
  body: string
}

/** `FormValue(key)`: the form body's first value, else the query's first value, else "". */
function formValue(key: string, query: URLSearchParams, form: URLSearchParams | undefined): string {
  return form?.get(key) ?? query.get(key) ?? ''
}

function isFormBody(parts: LegacyRequestParts): boolean {
  if (!METHODS_WITH_FORM_BODY.has(parts.method.toUpperCase())) return false
  const mediaType = (parts.contentType ?? '').split(';')[0]?.trim().toLowerCase()
  return mediaType === FORM_CONTENT_TYPE
}

/** Reads `name` and `namespace` as the original did, then checks they are Kubernetes names. */
export function readLegacyRequest(parts: LegacyRequestParts): LegacyRequestReading {
  const queryStart = parts.url.indexOf('?')
  const query = new URLSearchParams(queryStart === -1 ? '' : parts.url.slice(queryStart + 1))
  const form = isFormBody(parts) ? new URLSearchParams(parts.body) : undefined
  const name = formValue(LEGACY_NAME_PARAM, query, form)
  if (name === '') return { ok: false, problem: 'missing-name' }
  const namespace = formValue(LEGACY_NAMESPACE_PARAM, query, form) || LEGACY_DEFAULT_NAMESPACE
  if (name.length > DNS_1123_SUBDOMAIN_MAX_LENGTH || !SUBDOMAIN.test(name)) {
    return { ok: false, problem: 'invalid', message: 'parameter name is not a valid pod name' }
  }
  if (namespace.length > DNS_1123_LABEL_MAX_LENGTH || !LABEL.test(namespace)) {
    return { ok: false, problem: 'invalid', message: 'parameter namespace is not a valid namespace name' }
  }
  return { ok: true, namespace, name }
}
