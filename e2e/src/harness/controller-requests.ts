/**
 * @module
 * Direct requests to the controller's `POST /v1/token`, for the cases vault-init would never send:
 * forged or foreign identity tokens, bodies that are malformed or too large, replays. Answers are
 * returned as they came (status, `Retry-After`, the parsed error body).
 */
import type { ErrorBody } from '@vault-controller/protocol'

export interface ControllerAnswer {
  status: number
  retryAfter: string | null
  body: unknown
  /** The error body's code, when the answer is an error. */
  code: string | undefined
}

export interface TokenRequestInit {
  /** The identity token; absent: no Authorization header. */
  bearer?: string
  /** A JSON value (serialised), or a raw string sent as is. */
  body: unknown
  contentType?: string
}

export async function postToken(controllerUrl: string, init: TokenRequestInit): Promise<ControllerAnswer> {
  const response = await fetch(new URL('/v1/token', controllerUrl), {
    method: 'POST',
    headers: {
      'content-type': init.contentType ?? 'application/json',
      ...(init.bearer === undefined ? {} : { authorization: `Bearer ${init.bearer}` }),
    },
    body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Not JSON: kept as text.
  }
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body,
    code: (body as Partial<ErrorBody> | undefined)?.error?.code,
  }
}

/** A well-formed `TokenRequest` body for a pod (`certSha256` defaults to a hash nobody serves). */
export function tokenRequestBody(
  pod: { namespace: string; name: string },
  callback: { port?: number; certSha256?: string } = {},
): { namespace: string; name: string; callback: { port: number; certSha256: string } } {
  return {
    namespace: pod.namespace,
    name: pod.name,
    callback: { port: callback.port ?? 9443, certSha256: callback.certSha256 ?? 'ab'.repeat(32) },
  }
}
