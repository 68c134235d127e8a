/**
 * @module
 * The sidecar's one Vault call: `POST /v1/auth/token/renew-self` as the pod's token, with no
 * body (specs/vault-http-api.md §7.2: a periodic token renews to its period whatever increment
 * is asked, so none is sent). The answer is sorted into what the sidecar does next: keep the new
 * lease, stop for good (403: revoked or invalid; 400: not renewable), or retry (everything else:
 * network errors, timeouts, sealed or failing Vault, rate limits).
 */
import { parseRetryAfterMs } from './backoff.ts'
import { describeNetworkError, type HttpAnswer } from './http-transport.ts'
import type { Secret } from './secret.ts'
import { type VaultCallOptions, vaultErrors } from './vault-unwrap.ts'

/** Vault's error for a token created (or whose role says) `renewable: false`. */
export const LEASE_NOT_RENEWABLE = 'lease is not renewable'

export type RenewResult =
  /** 200 with an `auth` block: `body` is Vault's whole answer, parsed. */
  | {
      kind: 'renewed'
      body: Record<string, unknown>
      auth: Record<string, unknown>
      leaseDurationSeconds: number
    }
  /** 403: the token was revoked, expired, or may not renew itself. Permanent. */
  | { kind: 'denied'; reason: string }
  /** 400 `lease is not renewable`. Permanent. */
  | { kind: 'not-renewable'; reason: string }
  /** Anything else: worth another try while the token may still be alive. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }

export interface RenewSelfOptions extends VaultCallOptions {
  /** Aborts the request (SIGTERM). */
  signal?: AbortSignal
  /** For `Retry-After` dates. */
  nowMs: number
}

/** `POST /v1/auth/token/renew-self` with `X-Vault-Token: <token>` and no body. */
export async function renewSelf(token: Secret, options: RenewSelfOptions): Promise<RenewResult> {
  let answer: HttpAnswer
  try {
    answer = await options.transport.post(`${options.vaultAddr}/v1/auth/token/renew-self`, {
      headers: { 'x-vault-token': token.reveal(), 'x-vault-request': 'true' },
      timeoutMs: options.timeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
  } catch (error) {
    return { kind: 'retry', reason: `Vault renew-self: ${describeNetworkError(error)}` }
  }
  const { status, body } = answer
  const errors = vaultErrors(body)
  const reason = `Vault renew-self answered ${status}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`
  if (status === 200) {
    const renewed = readRenewal(body)
    return renewed ?? { kind: 'retry', reason: 'Vault renew-self answered 200 without a usable auth block' }
  }
  if (status === 403) return { kind: 'denied', reason }
  if (status === 400 && errors.some((message) => message.includes(LEASE_NOT_RENEWABLE))) {
    return { kind: 'not-renewable', reason }
  }
  const header = answer.headers['retry-after']
  const retryAfterMs = parseRetryAfterMs(Array.isArray(header) ? header[0] : header, options.nowMs)
  return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs }
}

function readRenewal(text: string): RenewResult | undefined {
  try {
    const body = JSON.parse(text) as unknown
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
    const auth = (body as { auth?: unknown }).auth
    if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) return undefined
    const lease = (auth as { lease_duration?: unknown }).lease_duration
    if (typeof lease !== 'number' || !Number.isFinite(lease) || lease < 0) return undefined
    return {
      kind: 'renewed',
      body: body as Record<string, unknown>,
      auth: auth as Record<string, unknown>,
      leaseDurationSeconds: lease,
    }
  } catch {
    return undefined
  }
}
