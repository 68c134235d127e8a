/**
 * @module
 * `POST /v1/token`, the thin HTTP surface of the issuance use case: who is calling (the bearer
 * token, verified before the body is even validated), rate limiting keyed on that verified
 * identity, the body checked with the protocol's own validator, and an answer whose schema
 * declares every field (only declared fields are serialised).
 */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  AUTHORIZATION_HEADER,
  ErrorBody,
  MAX_TOKEN_REQUEST_BYTES,
  parseTokenRequest,
  TOKEN_PATH,
  TokenRequest,
  TokenResponse,
} from '@vault-controller/protocol'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BrokerError } from '../errors.ts'
import type { PodIdentity, PodTokenVerifier } from '../identity/pod-identity.ts'
import { type IssuanceDeps, issueToken } from '../issuance/issue-token.ts'
import { Secret } from '../secret.ts'

/** Longer bearer values are refused unread (a projected token is about 1 KiB). */
const MAX_BEARER_LENGTH = 16_384

/** The longest `Retry-After` of a refusal for too many requests in progress. */
const MAX_RETRY_AFTER_SECONDS = 60

/**
 * Retry slots for requests refused because too many are in progress: the n-th refused request is
 * told to come back when, at the replica's recent completion rate, its turn should come.
 */
export class RetryPacer {
  #ratePerSecond: number
  #windowStart = 0
  #completions = 0
  #nextSlotMs = 0

  /** `initialRatePerSecond`: the pace assumed until completions have been measured. */
  constructor(initialRatePerSecond: number) {
    this.#ratePerSecond = Math.max(1, Math.min(initialRatePerSecond, 1000))
  }

  completed(nowMs: number): void {
    this.#roll(nowMs)
    this.#completions++
  }

  retryAfterSeconds(nowMs: number): number {
    this.#roll(nowMs)
    const slot = Math.min(Math.max(nowMs + 1000, this.#nextSlotMs), nowMs + MAX_RETRY_AFTER_SECONDS * 1000)
    this.#nextSlotMs = slot + 1000 / this.#ratePerSecond
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil((slot - nowMs) / 1000))
  }

  /** Once a second, the completions counted become the rate (unless there were none). */
  #roll(nowMs: number): void {
    const elapsed = nowMs - this.#windowStart
    if (elapsed < 1000) return
    if (this.#completions > 0 && elapsed < 5000) this.#ratePerSecond = (this.#completions * 1000) / elapsed
    this.#windowStart = nowMs
    this.#completions = 0
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the bearer token is verified (before body validation). */
    podIdentity: PodIdentity | undefined
    /** Aborts when the request deadline passes. */
    deadline: AbortSignal | undefined
  }
}

export interface TokenRouteOptions {
  verifier: PodTokenVerifier
  issuance: IssuanceDeps
  requestDeadlineMs: number
  rateLimit: { max: number; windowMs: number }
  /**
   * Issuances in progress at once on this replica (`MAX_CONCURRENT_ISSUANCES`); more are refused
   * at once with `429 VC_RATE_LIMITED` and `Retry-After`, so a burst queues in the pods' retries
   * instead of in this process's memory. Default: no limit.
   */
  maxConcurrentIssuances?: number
}

/** The bearer token of the `Authorization` header, or a `VC_IDENTITY_*` error. */
export function bearerToken(header: string | string[] | undefined): Secret {
  if (typeof header !== 'string' || header.trim() === '') {
    throw new BrokerError(
      'VC_IDENTITY_MISSING',
      "no Bearer identity token: send the pod's projected service-account token",
    )
  }
  const match = /^Bearer +(\S+)$/i.exec(header.trim())
  if (match?.[1] === undefined) {
    throw new BrokerError('VC_IDENTITY_MISSING', 'the Authorization header is not "Bearer <token>"')
  }
  if (match[1].length > MAX_BEARER_LENGTH) {
    throw new BrokerError('VC_IDENTITY_INVALID', 'the identity token is too long')
  }
  return new Secret(match[1])
}

/** Rate-limit key: the verified pod's namespace and service account. */
export function rateLimitKey(request: FastifyRequest): string {
  const identity = request.podIdentity
  return identity === undefined ? `ip:${request.ip}` : `sa:${identity.namespace}/${identity.serviceAccount}`
}

export function tokenRoute(options: TokenRouteOptions) {
  const maxConcurrent = options.maxConcurrentIssuances ?? Number.POSITIVE_INFINITY
  let inProgress = 0
  // vault-init retries exactly after `Retry-After`: give each refused request its own slot at the
  // rate this replica has been completing requests, so a burst of thousands comes back spread
  // out, at about the pace it can be served, instead of all at once every second.
  const pacer = new RetryPacer(Number.isFinite(maxConcurrent) ? maxConcurrent : 100)
  return async (app: FastifyInstance): Promise<void> => {
    app.decorateRequest('podIdentity', undefined)
    app.decorateRequest('deadline', undefined)
    // JSON only: without this, a text/plain body would reach validation as a string.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      app.getDefaultJsonParser('error', 'error'),
    )

    app.withTypeProvider<TypeBoxTypeProvider>().post(
      TOKEN_PATH,
      {
        bodyLimit: MAX_TOKEN_REQUEST_BYTES,
        handlerTimeout: options.requestDeadlineMs,
        schema: {
          body: TokenRequest,
          response: { 200: TokenResponse, '4xx': ErrorBody, '5xx': ErrorBody },
        },
        // The protocol's validator, so the controller refuses exactly what vault-init's schema refuses.
        validatorCompiler: () => (data: unknown) => {
          const parsed = parseTokenRequest(data)
          return parsed.ok
            ? { value: parsed.value }
            : {
                error: new BrokerError('VC_BAD_REQUEST', `invalid request body: ${parsed.errors.join('; ')}`),
              }
        },
        config: {
          rateLimit: {
            max: options.rateLimit.max,
            timeWindow: options.rateLimit.windowMs,
            hook: 'preHandler',
            keyGenerator: rateLimitKey,
          },
        },
        // Not `request.signal`: Fastify aborts it when the request stream closes, which for a
        // POST is as soon as its body has been read. `handlerTimeout` answers at the deadline;
        // this signal stops the work (nothing is minted after it, a delivery in flight is revoked).
        onRequest: async (request, reply) => {
          // Counted from the first byte (identity checks cost too) until the connection is done.
          if (inProgress >= maxConcurrent) {
            throw new BrokerError(
              'VC_RATE_LIMITED',
              'this replica has too many token requests in progress; ask again shortly',
              { retryAfterSeconds: pacer.retryAfterSeconds(Date.now()) },
            )
          }
          inProgress++
          let released = false
          const release = () => {
            if (released) return
            released = true
            inProgress--
            pacer.completed(Date.now())
          }
          reply.raw.once('finish', release)
          reply.raw.once('close', release)
          request.deadline = AbortSignal.timeout(options.requestDeadlineMs)
        },
        preValidation: async (request) => {
          const endIdentity = options.issuance.metrics.startStage('identity')
          try {
            request.podIdentity = await options.verifier.verify(
              bearerToken(request.headers[AUTHORIZATION_HEADER]),
              request.deadline,
            )
          } finally {
            endIdentity()
          }
        },
      },
      async (request) => {
        const identity = request.podIdentity
        if (identity === undefined) throw new BrokerError('VC_IDENTITY_MISSING', 'no verified identity')
        const result = await issueToken(options.issuance, {
          identity,
          request: request.body,
          requestId: request.id,
          ...(request.deadline === undefined ? {} : { signal: request.deadline }),
        })
        if (result.status === 'delivered') return result
        // The only place the wrapping token is revealed: the answer in response-body mode.
        const { wrappingToken, wrapInfo, ...rest } = result
        return { ...rest, wrapInfo: { ...wrapInfo, token: wrappingToken.reveal() } }
      },
    )
  }
}
