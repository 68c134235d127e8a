/**
 * @module
 * kube-apiserver's `metav1.Status` failures (spec §1.3). Handlers throw a `KubeStatusError`; the
 * router turns it into the Status body, so every non-2xx answer has the same shape, reason and
 * wording as the real server's (`k8s.io/apimachinery/pkg/api/errors`).
 */

/** `details.causes[]` entry: one per invalid field. */
export interface StatusCause {
  reason: string
  message: string
  field?: string
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

/** The wire form of a failure Status. */
export interface StatusBody {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  details?: StatusDetails
  code: number
}

/** A resource as Kubernetes names it in messages: `pods`, `leases.coordination.k8s.io`. */
export interface GroupResource {
  group: string
  resource: string
}

export class KubeStatusError extends Error {
  readonly code: number
  readonly reason: string
  readonly details: StatusDetails | undefined

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message)
    this.code = code
    this.reason = reason
    this.details = details
  }

  toStatus(): StatusBody {
    return statusBody(this.code, this.reason, this.message, this.details)
  }
}

export function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): StatusBody {
  const body: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  }
  if (details !== undefined) {
    // `code` stays last, as in the real server's JSON.
    delete (body as Partial<StatusBody>).code
    body.details = details
    body.code = code
  }
  return body
}

/** `pods`, or `leases.coordination.k8s.io` for a named group. */
export function qualifiedResource({ group, resource }: GroupResource): string {
  return group === '' ? resource : `${resource}.${group}`
}

function resourceDetails(target: GroupResource, name: string): StatusDetails {
  return target.group === ''
    ? { name, kind: target.resource }
    : { name, group: target.group, kind: target.resource }
}

export function notFound(target: GroupResource, name: string): KubeStatusError {
  return new KubeStatusError(
    404,
    'NotFound',
    `${qualifiedResource(target)} "${name}" not found`,
    resourceDetails(target, name),
  )
}

export function alreadyExists(target: GroupResource, name: string): KubeStatusError {
  return new KubeStatusError(
    409,
    'AlreadyExists',
    `${qualifiedResource(target)} "${name}" already exists`,
    resourceDetails(target, name),
  )
}

/** 409 Conflict; `cause` defaults to the optimistic-concurrency text. */
export function conflict(
  target: GroupResource,
  name: string,
  cause = 'the object has been modified; please apply your changes to the latest version and try again',
): KubeStatusError {
  return new KubeStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(target)} "${name}": ${cause}`,
    resourceDetails(target, name),
  )
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message)
}

export function unauthorized(): KubeStatusError {
  return new KubeStatusError(401, 'Unauthorized', 'Unauthorized')
}

export function forbidden(message: string, details: StatusDetails): KubeStatusError {
  return new KubeStatusError(403, 'Forbidden', message, details)
}

export function methodNotAllowed(): KubeStatusError {
  return new KubeStatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  )
}

/** Unknown paths inside the API (`/api/v1/widgets`). */
export function resourceNotFound(): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {})
}

export function unsupportedPatchType(): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
  )
}

export function unsupportedBodyType(): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  )
}

export function expired(requested: string, oldest: string): KubeStatusError {
  return new KubeStatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`)
}

export function internalError(message: string): KubeStatusError {
  return new KubeStatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ reason: '', message }],
  })
}

/** One field error of a 422, rendered like `field.ErrorList`. */
export type FieldError =
  | { type: 'Required'; field: string; detail?: string }
  | { type: 'Invalid'; field: string; value: unknown; detail: string }
  | { type: 'Forbidden'; field: string; detail: string }
  | { type: 'Immutable'; field: string; value: unknown }

const causeReasons = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Forbidden: 'FieldValueForbidden',
  Immutable: 'FieldValueInvalid',
} as const

/** A value Go prints bare in a field error (`0x0`, the `%#v` of a uint64 zero). */
export class GoLiteral {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

/** Go's rendering of a field value in an error: strings quoted, numbers and booleans bare. */
export function goValue(value: unknown): string {
  if (value instanceof GoLiteral) return value.text
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null || value === undefined) return 'null'
  return JSON.stringify(value)
}

function fieldErrorText(error: FieldError): string {
  switch (error.type) {
    case 'Required':
      return error.detail === undefined ? 'Required value' : `Required value: ${error.detail}`
    case 'Invalid':
      return `Invalid value: ${goValue(error.value)}: ${error.detail}`
    case 'Forbidden':
      return `Forbidden: ${error.detail}`
    case 'Immutable':
      return `Invalid value: ${goValue(error.value)}: field is immutable`
  }
}

/**
 * 422 Invalid: `<Kind> "<name>" is invalid: <field>: <type>: <detail>` (several joined as `[e1, e2]`).
 * `details.kind` is `resource` when given (spec §1.3: the resource, e.g. `pods`), else the Kind.
 */
export function invalid(
  kind: { group: string; kind: string; resource?: string },
  name: string,
  errors: FieldError[],
): KubeStatusError {
  const rendered = errors.map((error) => `${error.field}: ${fieldErrorText(error)}`)
  const qualifiedKind = kind.group === '' ? kind.kind : `${kind.kind}.${kind.group}`
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`
  const details: StatusDetails = { name }
  if (kind.group !== '') details.group = kind.group
  details.kind = kind.resource ?? kind.kind
  details.causes = errors.map((error) => ({
    reason: causeReasons[error.type],
    message: fieldErrorText(error),
    field: error.field,
  }))
  return new KubeStatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, details)
}

/** Reason and generic message for a status code, for faults that give no body. */
export function statusForCode(code: number): StatusBody {
  const known: Record<number, [string, string]> = {
    400: ['BadRequest', 'the server rejected our request for an unknown reason'],
    401: ['Unauthorized', 'Unauthorized'],
    403: ['Forbidden', 'forbidden'],
    404: ['NotFound', 'the server could not find the requested resource'],
    405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
    409: ['Conflict', 'the server reported a conflict'],
    410: ['Expired', 'the resource has expired'],
    415: ['UnsupportedMediaType', 'the server does not support the media type'],
    422: ['Invalid', 'the server rejected our request due to an error in our request'],
    429: ['TooManyRequests', 'Too many requests, please try again later.'],
    500: ['InternalError', 'an error on the server has prevented the request from succeeding'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
    504: [
      'Timeout',
      'the server was unable to return a response in the time allotted, but may still be processing the request',
    ],
  }
  const [reason, message] = known[code] ?? ['', `the server responded with the status code ${code}`]
  return statusBody(code, reason, message)
}
