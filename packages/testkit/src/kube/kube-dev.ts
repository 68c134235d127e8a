/**
 * @module
 * kube-dev: an in-memory kube-apiserver (1.29+) for the subset in specs/kubernetes-api.md, good
 * enough for `@kubernetes/client-node` 2.x and `jose` 6 unmodified. This file hosts the HTTP
 * server: body reading, faults and stats, authentication, authorisation and routing to the
 * resource handlers, the token endpoints and the test-control API. Startable in-process
 * (`startKubeDev`) or as a process (`src/bin/kube-dev.ts`).
 *
 * @example
 * const kube = await startKubeDev()
 * await kube.createNamespace('ns1')
 * const pods = await fetch(`${kube.server}/api/v1/namespaces/ns1/pods`, { headers: { authorization: `Bearer ${kube.token}` } })
 * await kube.close()
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { type AdjustableClock, offsetClock } from '../clock.ts'
import type { FaultInjector, RequestStats } from '../faults.ts'
import { anonymousUser, type UserInfo } from './authentication.ts'
import { namespaceType, nodeType, serviceAccountType } from './core-objects.ts'
import { eventType } from './events.ts'
import { parseObjectBody } from './json-body.ts'
import { KubeDevState } from './kube-dev-state.ts'
import { leaseType } from './leases.ts'
import { isJsonObject } from './object-patch.ts'
import { podType } from './pods.ts'
import { forbiddenFor } from './rbac.ts'
import { type RequestInfo, type ResourceRequest, requestInfo } from './request-info.ts'
import type { ResourceType } from './resource-type.ts'
import { type ApiAnswer, canonical } from './rest-handlers.ts'
import { selfSignedCertificate } from './self-signed-certificate.ts'
import { ServiceAccountTokens, type SigningKeyOptions } from './service-account-tokens.ts'
import {
  KubeStatusError,
  methodNotAllowed,
  resourceNotFound,
  statusForCode,
  unauthorized,
  unsupportedBodyType,
} from './status-errors.ts'
import { handleTestControl } from './test-control.ts'

export interface KubeDevOptions {
  /** Listen port; 0 (default) picks a free one. */
  port?: number
  /** Listen address; default 127.0.0.1. */
  host?: string
  /** The cluster-admin bearer token; random when absent. */
  adminToken?: string
  /** The service-account issuer; default `https://kubernetes.default.svc.cluster.local`. */
  issuer?: string
  signingKey?: SigningKeyOptions
  clock?: AdjustableClock
  /** Serve HTTPS with a self-signed certificate (written as PEM to `certPath` when given). */
  tls?: { certPath?: string } | boolean
  /** Where log lines go (default stderr). Tokens never appear in them. */
  log?: (line: string) => void
}

export interface KubeDev {
  /** `http://127.0.0.1:PORT` (or `https://…`). */
  server: string
  /** The cluster-admin bearer token. */
  token: string
  issuer: string
  clock: AdjustableClock
  faults: FaultInjector
  stats: RequestStats
  /** The self-signed certificate (PEM) when serving TLS: the cluster CA for clients. */
  caPem?: string
  close(): Promise<void>
  /** Creates a namespace with its `default` service account. */
  createNamespace(name: string): Promise<void>
  createServiceAccount(namespace: string, name: string): Promise<{ uid: string }>
  addIdentity(identity: { token: string; username: string; uid?: string; groups?: string[] }): void
}

const defaultIssuer = 'https://kubernetes.default.svc.cluster.local'
const maxBodyBytes = 3 * 1024 * 1024
const discoveryPaths = new Set(['/.well-known/openid-configuration', '/openid/v1/jwks'])
const discoveryCacheControl = 'public, max-age=3600'

const resourceTypes = new Map<string, ResourceType>(
  [podType, eventType, leaseType, namespaceType, serviceAccountType, nodeType].map((type) => [
    `${type.group}/${type.version}/${type.resource}`,
    type,
  ]),
)

const warning =
  '*** kube-dev is a TEST SERVER: everything is in memory, the admin token is printed at start, and /__testkit/ is an UNAUTHENTICATED control API. Never give it real workloads or real secrets. ***'

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        reject(new BodyTooLarge())
        request.resume()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return
  if (status === 204) {
    response.writeHead(204, headers)
    response.end()
    return
  }
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  })
  response.end(text)
}

export async function startKubeDev(options: KubeDevOptions = {}): Promise<KubeDev> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const clock = options.clock ?? offsetClock()
  const issuer = options.issuer ?? defaultIssuer
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url')
  const tokens = await ServiceAccountTokens.create({
    issuer,
    clock,
    ...(options.signingKey === undefined ? {} : { key: options.signingKey }),
  })
  const state = new KubeDevState({ clock, tokens, log })
  state.authenticator.addIdentity({
    token: adminToken,
    username: 'kubernetes-admin',
    groups: ['system:masters'],
  })
  state.createNamespace('default')

  const tls =
    options.tls === true ? {} : options.tls === false || options.tls === undefined ? undefined : options.tls
  let caPem: string | undefined
  let server: Server
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    serve(state, request, response).catch((error: unknown) => {
      log(
        `kube-dev: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      )
      sendJson(
        response,
        500,
        new KubeStatusError(
          500,
          'InternalError',
          'Internal error occurred: unexpected server error',
        ).toStatus(),
      )
    })
  }
  if (tls !== undefined) {
    const host = options.host ?? '127.0.0.1'
    const certificate = await selfSignedCertificate({
      hosts: [host, 'localhost', '127.0.0.1', 'kubernetes.default.svc'],
      clock,
    })
    caPem = certificate.certPem
    if (tls.certPath !== undefined) {
      const { writeFileSync } = await import('node:fs')
      writeFileSync(tls.certPath, certificate.certPem)
    }
    server = createHttpsServer({ key: certificate.keyPem, cert: certificate.certPem }, handler)
  } else {
    server = createHttpServer(handler)
  }
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `${tls === undefined ? 'http' : 'https'}://${host}:${address.port}`
  state.serverUrl = url
  log(warning)
  log(`kube-dev: listening on ${url} (issuer ${issuer}, signing key kid ${tokens.currentKeyId})`)

  const kubeDev: KubeDev = {
    server: url,
    token: adminToken,
    issuer,
    clock,
    faults: state.faults,
    stats: state.stats,
    async close() {
      state.watches.dropAll('reset')
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
    async createNamespace(name) {
      state.createNamespace(name)
    },
    async createServiceAccount(namespace, name) {
      return { uid: state.createServiceAccount(namespace, name).metadata.uid }
    },
    addIdentity(identity) {
      state.authenticator.addIdentity(identity)
    },
  }
  if (caPem !== undefined) kubeDev.caPem = caPem
  return kubeDev
}

/** Reads a PEM private key file for `signingKey.privateKeyPem` (CLI helper). */
export function readSigningKeyPem(path: string): string {
  return readFileSync(path, 'utf8')
}

async function serve(state: KubeDevState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://kube-dev')
  const method = request.method ?? 'GET'
  let body: string
  try {
    body = await readBody(request)
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      sendJson(
        response,
        413,
        new KubeStatusError(
          413,
          'RequestEntityTooLarge',
          `Request entity too large: limit is ${maxBodyBytes}`,
        ).toStatus(),
      )
      return
    }
    throw error
  }
  if (url.pathname === '/__testkit' || url.pathname.startsWith('/__testkit/')) {
    const answer = await handleTestControl(state, request, url.pathname, body)
    sendJson(response, answer.status, answer.body)
    return
  }

  const info = requestInfo(method, url.pathname, url.searchParams)
  state.stats.record(method, info.isResource ? info.route : info.path)
  const fault = state.faults.match(method, url.pathname)
  if (fault !== undefined) {
    if (fault.latencyMs > 0) await delay(fault.latencyMs)
    if (fault.drop) {
      request.socket.destroy()
      return
    }
    if (fault.status !== undefined) {
      sendJson(response, fault.status, fault.body ?? statusForCode(fault.status))
      return
    }
  }

  try {
    const { user, authorized } = await authenticate(state, request, info)
    if (!authorized) state.rbac.authorize(user, info)
    const answer = info.isResource
      ? await serveResource(state, info, url.searchParams, request, body, response)
      : serveNonResource(state, info)
    if ('streamed' in answer) return
    sendJson(response, answer.status, answer.body, answer.headers ?? {})
  } catch (error) {
    if (error instanceof KubeStatusError) {
      sendJson(response, error.code, error.toStatus())
      return
    }
    throw error
  }
}

/**
 * The caller, or 401. Anonymous requests pass only when authentication is not required; the
 * discovery documents follow `discoveryRequiresAuth` and, when open, need no RBAC grant (as a
 * cluster that binds `system:unauthenticated` to service-account-issuer-discovery).
 */
async function authenticate(
  state: KubeDevState,
  request: IncomingMessage,
  info: RequestInfo,
): Promise<{ user: UserInfo; authorized: boolean }> {
  const result = await state.authenticator.authenticate(request.headers.authorization)
  if ('invalid' in result) throw unauthorized()
  if ('user' in result) return { user: result.user, authorized: false }
  const discovery = !info.isResource && discoveryPaths.has(info.path)
  if (discovery) {
    if (state.settings.discoveryRequiresAuth) throw unauthorized()
    return { user: anonymousUser, authorized: true }
  }
  if (state.settings.requireAuth) throw unauthorized()
  return { user: anonymousUser, authorized: false }
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> } | { streamed: true }

function serveNonResource(state: KubeDevState, info: RequestInfo & { isResource: false }): Answer {
  if (info.path === '/.well-known/openid-configuration' || info.path === '/openid/v1/jwks') {
    if (info.verb !== 'get') throw methodNotAllowed()
    if (info.path === '/openid/v1/jwks') {
      return {
        status: 200,
        body: state.tokens.jwks(),
        headers: { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': discoveryCacheControl },
      }
    }
    const base = state.tokens.issuer.startsWith('https://') ? state.tokens.issuer : (state.serverUrl ?? '')
    return {
      status: 200,
      body: state.tokens.openidConfiguration(`${base.replace(/\/+$/, '')}/openid/v1/jwks`),
      headers: { 'Cache-Control': discoveryCacheControl },
    }
  }
  if (info.path === '/version' && info.verb === 'get') {
    return {
      status: 200,
      body: {
        major: '1',
        minor: '30',
        gitVersion: 'v1.30.0-kube-dev',
        platform: `${process.platform}/${process.arch}`,
      },
    }
  }
  throw resourceNotFound()
}

async function serveResource(
  state: KubeDevState,
  info: ResourceRequest,
  query: URLSearchParams,
  request: IncomingMessage,
  body: string,
  response: ServerResponse,
): Promise<Answer> {
  const contentType = request.headers['content-type']
  if (
    info.apiGroup === 'authentication.k8s.io' &&
    info.apiVersion === 'v1' &&
    info.resource === 'tokenreviews'
  ) {
    if (info.namespace !== undefined || info.name !== undefined) throw resourceNotFound()
    if (info.verb !== 'create') throw methodNotAllowed()
    if (!isJsonContentType(contentType)) throw unsupportedBodyType()
    return { status: 201, body: await state.tokenEndpoints.tokenReview(body) }
  }
  if (
    info.apiGroup === 'authorization.k8s.io' &&
    info.apiVersion === 'v1' &&
    info.resource === 'subjectaccessreviews'
  ) {
    if (info.namespace !== undefined || info.name !== undefined) throw resourceNotFound()
    if (info.verb !== 'create') throw methodNotAllowed()
    if (!isJsonContentType(contentType)) throw unsupportedBodyType()
    return { status: 201, body: subjectAccessReview(state, parseObjectBody(body)) }
  }
  const type = resourceTypes.get(`${info.apiGroup}/${info.apiVersion}/${info.resource}`)
  if (type === undefined) throw resourceNotFound()
  if (
    type === serviceAccountType &&
    info.subresource === 'token' &&
    info.name !== undefined &&
    info.namespace !== undefined
  ) {
    if (info.verb !== 'create') throw methodNotAllowed()
    if (!isJsonContentType(contentType)) throw unsupportedBodyType()
    return { status: 201, body: await state.tokenEndpoints.tokenRequest(info.namespace, info.name, body) }
  }
  // `/api/v1/namespaces/ns1` names the namespace itself, not a namespace scope.
  const scoped: ResourceRequest = type.namespaced ? info : { ...info, namespace: undefined }
  if (type.namespaced && info.namespace === undefined && info.verb !== 'list' && info.verb !== 'watch') {
    throw resourceNotFound()
  }
  if (!type.namespaced && info.namespace !== undefined && type !== namespaceType) throw resourceNotFound()
  if (type === namespaceType && (info.verb === 'delete' || info.verb === 'deletecollection'))
    throw methodNotAllowed()
  if (info.verb === 'deletecollection') throw methodNotAllowed()
  const answer: ApiAnswer = state.rest.handle(type, { info: scoped, query, contentType, body }, response)
  if (type === namespaceType && info.verb === 'create' && 'body' in answer && isJsonObject(answer.body)) {
    const created = canonical(type, answer.body)
    if (query.get('dryRun') === null) state.ensureDefaultServiceAccount(created.metadata.name)
  }
  return answer
}

function isJsonContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json'
}

/** Optional SubjectAccessReview (spec §7): the same RBAC decision as for real requests. */
function subjectAccessReview(state: KubeDevState, body: unknown): Record<string, unknown> {
  const review = isJsonObject(body) ? body : {}
  const spec = isJsonObject(review.spec) ? review.spec : {}
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((group) => typeof group === 'string') : []
  const user: UserInfo = {
    username: typeof spec.user === 'string' ? spec.user : '',
    uid: typeof spec.uid === 'string' ? spec.uid : '',
    groups,
    extra: {},
  }
  const resource = isJsonObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined
  const nonResource = isJsonObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined
  if (resource === undefined && nonResource === undefined) {
    throw new KubeStatusError(
      422,
      'Invalid',
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      {
        group: 'authorization.k8s.io',
        kind: 'SubjectAccessReview',
      },
    )
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  const info: RequestInfo =
    resource !== undefined
      ? {
          isResource: true,
          verb: text(resource.verb),
          apiGroup: text(resource.group),
          apiVersion: text(resource.version),
          namespace: text(resource.namespace) === '' ? undefined : text(resource.namespace),
          resource: text(resource.resource),
          name: text(resource.name) === '' ? undefined : text(resource.name),
          subresource: text(resource.subresource) === '' ? undefined : text(resource.subresource),
          route: '',
        }
      : { isResource: false, verb: text(nonResource?.verb), path: text(nonResource?.path) }
  const allowed = state.rbac.allows(user, info)
  const status: Record<string, unknown> = { allowed }
  if (!allowed) status.reason = forbiddenFor(user, info).message
  return {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: isJsonObject(review.metadata) ? review.metadata : {},
    spec,
    status,
  }
}
