/**
 * @module
 * One `POST /v1/token` to the controller (protocol v1): the pod's projected service-account
 * token as Bearer identity, the pod and the pinned callback in the body, and the answer
 * classified for the retry loop. The controller answers only once delivery is settled, so one
 * attempt may take as long as the controller's callback; the caller bounds it.
 */
import {
  AUTHORIZATION_HEADER,
  BEARER_SCHEME,
  JSON_CONTENT_TYPE,
  parseErrorBody,
  parseTokenResponse,
  RETRY_AFTER_HEADER,
  TOKEN_PATH,
  type TokenRequest,
  type TokenResponse,
} from '@vault-controller/protocol'
import { parseRetryAfterMs } from './backoff.ts'
import { describeNetworkError, type HttpAnswer, type HttpTransport } from './http-transport.ts'
import type { Secret } from './secret.ts'

export type TokenAttempt =
  /** 200 with a valid `delivered` or `wrapped` answer. */
  | { kind: 'answered'; response: TokenResponse }
  /** An error answer; `code` is the controller's when its body was a protocol `ErrorBody`. */
  | {
      kind: 'refused'
      status: number
      code: string
      message: string
      retryable: boolean
      retryAfterMs?: number
    }
  /** No answer: connection failure or timeout. Retryable. */
  | { kind: 'network'; message: string }

export interface TokenRequestOptions {
  controllerAddr: string
  transport: HttpTransport
  identityToken: Secret
  request: TokenRequest
  /** Limit on this attempt (the controller answers only once delivery is settled). */
  timeoutMs: number
  /** The run's stop: deadline, signal, or a delivery that settled the run. */
  signal: AbortSignal
  nowMs: number
}

/** Sends one token request and classifies the answer; never throws. */
export async function requestToken(options: TokenRequestOptions): Promise<TokenAttempt> {
  let answer: HttpAnswer
  try {
    answer = await options.transport.post(`${options.controllerAddr}${TOKEN_PATH}`, {
      headers: {
        [AUTHORIZATION_HEADER]: `${BEARER_SCHEME} ${options.identityToken.reveal()}`,
        'content-type': JSON_CONTENT_TYPE,
        accept: JSON_CONTENT_TYPE,
      },
      body: JSON.stringify(options.request),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    })
  } catch (error) {
    return { kind: 'network', message: `controller: ${describeNetworkError(error)}` }
  }
  const { status } = answer
  let json: unknown
  try {
    json = JSON.parse(answer.body)
  } catch {
    json = undefined
  }
  if (status === 200) {
    const parsed = parseTokenResponse(json)
    if (parsed.ok) return { kind: 'answered', response: parsed.value }
    return {
      kind: 'refused',
      status,
      code: 'VI_BAD_ANSWER',
      message: `controller answered 200 with an unreadable body: ${parsed.errors.join('; ')}`,
      retryable: false,
    }
  }
  // Node lower-cases header names; the constant is already lower-case.
  const retryAfterMs = parseRetryAfterMs(answer.headers[RETRY_AFTER_HEADER], options.nowMs)
  const parsedError = parseErrorBody(json)
  if (parsedError.ok) {
    const { code, message, retryable } = parsedError.value.error
    return {
      kind: 'refused',
      status,
      code,
      message,
      retryable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    }
  }
  // Not the controller speaking (a proxy, a load balancer): gateway-ish statuses are worth retrying.
  const retryable = status === 408 || status === 429 || status >= 500
  return {
    kind: 'refused',
    status,
    code: `HTTP_${status}`,
    message: `controller answered ${status} without a protocol error body`,
    retryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  }
}
