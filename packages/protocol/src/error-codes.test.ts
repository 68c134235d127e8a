import { describe, expect, it } from 'vitest'
import { deliveryErrorCodes, isDeliveryErrorCode } from './delivery-error-codes.ts'
import { type ErrorCodeInfo, errorCodes, httpStatusOf, isErrorCode, isRetryable } from './error-codes.ts'

const RETRYABLE_STATUSES = new Set([409, 412, 429, 502, 503, 504])

describe.each([
  ['controller', 'VC_', errorCodes as Record<string, ErrorCodeInfo>],
  ['vault-init', 'VI_', deliveryErrorCodes as Record<string, ErrorCodeInfo>],
])('%s error catalogue', (_, prefix, catalogue) => {
  const entries = Object.entries(catalogue)

  it.each(entries)('%s is well-formed', (code, info) => {
    expect(code).toMatch(new RegExp(`^${prefix}[A-Z0-9_]+$`))
    expect(info.status).toBeGreaterThanOrEqual(400)
    expect(info.status).toBeLessThan(600)
    expect(info.description.length).toBeGreaterThan(0)
    expect(info.description).not.toContain('\n')
    if (info.retryable) expect(RETRYABLE_STATUSES).toContain(info.status)
  })
})

describe('controller codes', () => {
  it('are disjoint from the vault-init codes', () => {
    for (const code of Object.keys(errorCodes)) expect(isDeliveryErrorCode(code)).toBe(false)
    for (const code of Object.keys(deliveryErrorCodes)) expect(isErrorCode(code)).toBe(false)
  })

  it('only retry a 409 when another request is issuing', () => {
    const retryableConflicts = Object.entries(errorCodes)
      .filter(([, info]) => info.status === 409 && info.retryable)
      .map(([code]) => code)
    expect(retryableConflicts).toEqual(['VC_ISSUANCE_IN_PROGRESS'])
  })

  it('are looked up by helpers', () => {
    expect(httpStatusOf('VC_POD_NOT_READY')).toBe(412)
    expect(isRetryable('VC_POD_NOT_READY')).toBe(true)
    expect(httpStatusOf('VC_ROOT_POLICY_REFUSED')).toBe(403)
    expect(isRetryable('VC_ALREADY_ISSUED')).toBe(false)
    expect(isErrorCode('VC_NOPE')).toBe(false)
    expect(isErrorCode('toString')).toBe(false)
    expect(isErrorCode(42)).toBe(false)
  })

  it.each([
    ['VC_BAD_REQUEST', 400, false],
    ['VC_BODY_TOO_LARGE', 413, false],
    ['VC_UNSUPPORTED_MEDIA_TYPE', 415, false],
    ['VC_IDENTITY_MISSING', 401, false],
    ['VC_IDENTITY_INVALID', 401, false],
    ['VC_IDENTITY_EXPIRED', 401, false],
    ['VC_IDENTITY_WRONG_AUDIENCE', 401, false],
    ['VC_IDENTITY_MISMATCH', 403, false],
    ['VC_POD_NOT_FOUND', 404, false],
    ['VC_POD_REPLACED', 409, false],
    ['VC_POD_TERMINATING', 409, false],
    ['VC_POD_NOT_INITIALIZING', 409, false],
    ['VC_ALREADY_ISSUED', 409, false],
    ['VC_ISSUANCE_IN_PROGRESS', 409, true],
    ['VC_POD_NOT_READY', 412, true],
    ['VC_HOST_NETWORK_POD', 403, false],
    ['VC_POLICIES_ANNOTATION_INVALID', 400, false],
    ['VC_TTL_ANNOTATION_INVALID', 400, false],
    ['VC_POLICY_NOT_ALLOWED', 403, false],
    ['VC_ROOT_POLICY_REFUSED', 403, false],
    ['VC_TTL_ABOVE_MAX', 403, false],
    ['VC_NO_MATCHING_RULE', 403, false],
    ['VC_RATE_LIMITED', 429, true],
    ['VC_CALLBACK_FAILED', 502, true],
    ['VC_VAULT_UNAVAILABLE', 503, true],
    ['VC_VAULT_ERROR', 502, false],
    ['VC_KUBE_UNAVAILABLE', 503, true],
    ['VC_DEADLINE_EXCEEDED', 504, true],
    ['VC_SHUTTING_DOWN', 503, true],
    ['VC_INTERNAL', 500, false],
    ['VC_ROUTE_NOT_FOUND', 404, false],
  ] as const)('covers %s as %i (retryable: %s)', (code, status, retryable) => {
    expect(errorCodes[code]).toMatchObject({ status, retryable })
  })
})
