/**
 * @module
 * The TokenReview call Kubernetes auth makes at login (spec §9.2 step 5): a POST to the
 * configured API server with the exact path, headers and body real Vault sends, trusting the
 * configured CA for https. Plain node:http(s), so no HTTP client library is needed.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'

export interface TokenReviewCall {
  kubernetesHost: string
  /** PEM bundle to trust for an https host; the system's CAs when empty. */
  caCertPem: string
  /** `token_reviewer_jwt`, or else the login JWT itself. */
  bearerToken: string
  jwt: string
  /** Sent as `spec.audiences` when non-empty. */
  audiences: string[]
  timeoutMs: number
}

export interface TokenReviewReply {
  status: number
  body: unknown
}

export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews'

/** The request body: a TokenReview without apiVersion/kind, as Vault's Go client marshals it. */
export function tokenReviewBody(jwt: string, audiences: readonly string[]): string {
  const spec: Record<string, unknown> = { token: jwt }
  if (audiences.length > 0) spec.audiences = audiences
  return JSON.stringify({ metadata: { creationTimestamp: null }, spec, status: { user: {} } })
}

export function postTokenReview(call: TokenReviewCall): Promise<TokenReviewReply> {
  const url = new URL(`${call.kubernetesHost.replace(/\/+$/, '')}${TOKEN_REVIEW_PATH}`)
  const payload = tokenReviewBody(call.jwt, call.audiences)
  const headers = {
    Authorization: `Bearer ${call.bearerToken}`,
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'Content-Length': Buffer.byteLength(payload),
  }
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          body = undefined
        }
        resolve({ status: response.statusCode ?? 0, body })
      })
    }
    const request =
      url.protocol === 'https:'
        ? httpsRequest(
            url,
            { method: 'POST', headers, ...(call.caCertPem ? { ca: call.caCertPem } : {}) },
            onResponse,
          )
        : httpRequest(url, { method: 'POST', headers }, onResponse)
    request.setTimeout(call.timeoutMs, () => request.destroy(new Error('TokenReview request timed out')))
    request.on('error', reject)
    request.end(payload)
  })
}

export interface ReviewedIdentity {
  namespace: string
  name: string
  uid: string
}

/** Vault's acceptance rules for the answer (spec §9.2 step 5); true when the login may go on. */
export function tokenReviewAccepts(
  reply: TokenReviewReply,
  sentAudiences: readonly string[],
  expected: ReviewedIdentity,
): boolean {
  if (reply.status < 200 || reply.status >= 300) return false
  const body = reply.body
  if (typeof body !== 'object' || body === null) return false
  const record = body as Record<string, unknown>
  if (record.kind === 'Status' && record.status === 'Failure') return false
  const status = record.status
  if (typeof status !== 'object' || status === null || Array.isArray(status)) return false
  const reviewStatus = status as Record<string, unknown>
  if (typeof reviewStatus.error === 'string' && reviewStatus.error !== '') return false
  if (reviewStatus.authenticated !== true) return false
  if (sentAudiences.length > 0) {
    const audiences = Array.isArray(reviewStatus.audiences) ? reviewStatus.audiences : []
    if (!audiences.some((audience) => sentAudiences.includes(String(audience)))) return false
  }
  const user = reviewStatus.user
  if (typeof user !== 'object' || user === null) return false
  const { username, uid } = user as Record<string, unknown>
  if (username !== `system:serviceaccount:${expected.namespace}:${expected.name}`) return false
  return uid === expected.uid
}
