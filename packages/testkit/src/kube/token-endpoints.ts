/**
 * @module
 * The HTTP side of service-account tokens (spec §5, §6, §7): TokenRequest validation and
 * binding (expiration bounds, service account and pod lookups, node claims), TokenReview, and
 * the OIDC discovery and JWKS documents. Signing and verifying live in
 * `service-account-tokens.ts`; this file only decides what to sign and how to answer.
 */
import type { Clock } from '../clock.ts'
import { parseObjectBody } from './json-body.ts'
import { formatTime, parseTime } from './kube-time.ts'
import { isJsonObject, type JsonObject } from './object-patch.ts'
import type { ObjectStore } from './object-store.ts'
import type { ReviewLookup, ServiceAccountTokens, TokenSubject } from './service-account-tokens.ts'
import { badRequest, conflict, invalid, notFound } from './status-errors.ts'

const minimumExpirationSeconds = 600
const maximumExpirationSeconds = 2 ** 32
const defaultExpirationSeconds = 3600

const tokenRequestKind = { group: 'authentication.k8s.io', kind: 'TokenRequest' }

function decodeFailure(kind: string, detail: string) {
  return badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${detail}`)
}

/** What TokenReview and bearer authentication need to know about live objects. */
export function reviewLookup(store: ObjectStore): ReviewLookup {
  return {
    serviceAccountUid: (namespace, name) => store.get('serviceaccounts', namespace, name)?.metadata.uid,
    pod(namespace, name) {
      const pod = store.get('pods', namespace, name)
      if (pod === undefined) return undefined
      const deletion = pod.metadata.deletionTimestamp
      return typeof deletion === 'string'
        ? { uid: pod.metadata.uid, deletionTimestampMs: parseTime(deletion) }
        : { uid: pod.metadata.uid }
    },
  }
}

export class TokenEndpoints {
  readonly #store: ObjectStore
  readonly #tokens: ServiceAccountTokens
  readonly #clock: Clock

  constructor(store: ObjectStore, tokens: ServiceAccountTokens, clock: Clock) {
    this.#store = store
    this.#tokens = tokens
    this.#clock = clock
  }

  /** `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` → the 201 body. */
  async tokenRequest(namespace: string, serviceAccountName: string, bodyText: string): Promise<JsonObject> {
    const body = parseObjectBody(bodyText)
    if (!isJsonObject(body))
      throw decodeFailure(
        'TokenRequest',
        'json: cannot unmarshal into Go value of type authentication.TokenRequest',
      )
    const serviceAccount = this.#store.get('serviceaccounts', namespace, serviceAccountName)
    if (serviceAccount === undefined)
      throw notFound({ group: '', resource: 'serviceaccounts' }, serviceAccountName)
    const spec = body.spec ?? {}
    if (!isJsonObject(spec))
      throw decodeFailure(
        'TokenRequest',
        'json: cannot unmarshal into Go struct field TokenRequest.spec of type v1.TokenRequestSpec',
      )
    const audiences = spec.audiences ?? []
    if (!Array.isArray(audiences) || !audiences.every((audience) => typeof audience === 'string')) {
      throw decodeFailure(
        'TokenRequest',
        'json: cannot unmarshal into Go struct field TokenRequestSpec.spec.audiences of type []string',
      )
    }
    const expiration = spec.expirationSeconds ?? defaultExpirationSeconds
    if (typeof expiration !== 'number' || !Number.isInteger(expiration)) {
      throw decodeFailure(
        'TokenRequest',
        'json: cannot unmarshal into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64',
      )
    }
    const metadata = isJsonObject(body.metadata) ? body.metadata : {}
    const requestName = typeof metadata.name === 'string' ? metadata.name : ''
    if (expiration < minimumExpirationSeconds) {
      throw invalid(tokenRequestKind, requestName, [
        {
          type: 'Invalid',
          field: 'spec.expirationSeconds',
          value: expiration,
          detail: 'may not specify a duration less than 10 minutes',
        },
      ])
    }
    if (expiration > maximumExpirationSeconds) {
      throw invalid(tokenRequestKind, requestName, [
        {
          type: 'Invalid',
          field: 'spec.expirationSeconds',
          value: expiration,
          detail: 'may not specify a duration larger than 2^32 seconds',
        },
      ])
    }
    const subject: TokenSubject = {
      namespace,
      serviceAccount: { name: serviceAccountName, uid: serviceAccount.metadata.uid },
    }
    const reference = spec.boundObjectRef
    if (reference !== undefined && reference !== null) {
      if (!isJsonObject(reference))
        throw decodeFailure(
          'TokenRequest',
          'json: cannot unmarshal into Go struct field TokenRequestSpec.spec.boundObjectRef of type v1.BoundObjectReference',
        )
      this.#bind(subject, reference, serviceAccountName)
    }
    const issued = await this.#tokens.issue({ ...subject, audiences, expirationSeconds: expiration })
    const echoedSpec: JsonObject = {
      ...spec,
      audiences: audiences.length > 0 ? audiences : [...this.#tokens.apiAudiences],
      expirationSeconds: expiration,
    }
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: serviceAccountName, namespace, creationTimestamp: formatTime(this.#clock.now()) },
      spec: echoedSpec,
      status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp },
    }
  }

  #bind(subject: TokenSubject, reference: JsonObject, serviceAccountName: string): void {
    const kind = reference.kind
    const apiVersion = reference.apiVersion ?? 'v1'
    const name = typeof reference.name === 'string' ? reference.name : ''
    const uid = typeof reference.uid === 'string' ? reference.uid : ''
    if (apiVersion === 'v1' && kind === 'Pod') {
      const pod = this.#store.get('pods', subject.namespace, name)
      if (pod === undefined) throw notFound({ group: '', resource: 'pods' }, name)
      const spec = isJsonObject(pod.spec) ? pod.spec : {}
      if (spec.serviceAccountName !== serviceAccountName) {
        throw badRequest(
          `cannot bind token for serviceaccount "${serviceAccountName}" to pod running with different serviceaccount name.`,
        )
      }
      if (uid !== '' && uid !== pod.metadata.uid) throw uidMismatch('Pod', name, uid)
      subject.pod = { name, uid: pod.metadata.uid }
      const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : ''
      if (nodeName !== '') {
        const node = this.#store.get('nodes', undefined, nodeName)
        subject.node = node === undefined ? { name: nodeName } : { name: nodeName, uid: node.metadata.uid }
      }
      return
    }
    if (apiVersion === 'v1' && kind === 'Node') {
      const node = this.#store.get('nodes', undefined, name)
      if (node === undefined) throw notFound({ group: '', resource: 'nodes' }, name)
      if (uid !== '' && uid !== node.metadata.uid) throw uidMismatch('Node', name, uid)
      subject.node = { name, uid: node.metadata.uid }
      return
    }
    if (apiVersion === 'v1' && kind === 'Secret') throw notFound({ group: '', resource: 'secrets' }, name)
    throw badRequest(`cannot bind token to object of type ${String(apiVersion)}, Kind=${String(kind)}`)
  }

  /** `POST /apis/authentication.k8s.io/v1/tokenreviews` → the 201 body. */
  async tokenReview(bodyText: string): Promise<JsonObject> {
    const body = parseObjectBody(bodyText)
    if (!isJsonObject(body))
      throw decodeFailure(
        'TokenReview',
        'json: cannot unmarshal into Go value of type authentication.TokenReview',
      )
    const spec = isJsonObject(body.spec) ? body.spec : {}
    const token = spec.token
    if (token !== undefined && typeof token !== 'string') {
      throw decodeFailure(
        'TokenReview',
        'json: cannot unmarshal into Go struct field TokenReviewSpec.spec.token of type string',
      )
    }
    if (token === undefined || token === '')
      throw badRequest('token is required for TokenReview in authentication')
    const audiences = spec.audiences ?? []
    if (!Array.isArray(audiences) || !audiences.every((audience) => typeof audience === 'string')) {
      throw decodeFailure(
        'TokenReview',
        'json: cannot unmarshal into Go struct field TokenReviewSpec.spec.audiences of type []string',
      )
    }
    const result = await this.#tokens.review(token, audiences, reviewLookup(this.#store))
    const status: JsonObject = result.authenticated
      ? { authenticated: true, user: result.user, audiences: result.audiences }
      : { user: {}, error: result.error }
    return {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: isJsonObject(body.metadata) ? body.metadata : {},
      spec,
      status,
    }
  }
}

function uidMismatch(kind: string, name: string, uid: string) {
  return conflict(
    { group: '', resource: kind },
    name,
    `the UID in the bound object reference (${uid}) does not match the UID in record. The object might have been deleted and then recreated`,
  )
}
