import { type ErrorCode, errorCodes } from '@vault-controller/protocol'
import { describe, expect, it } from 'vitest'
import { BrokerError } from '../errors.ts'
import { decide, loadAllowList } from '../policy/index.ts'
import { legacyErrorAnswer, missingNameAnswer } from './legacy-answers.ts'

const allowList = loadAllowList(`
rules:
  - name: web
    namespaces: [shop]
    serviceAccounts: [web]
    policies: [web]
    ttl: { default: 1h, max: 24h }
`)

/** The refusal the pipeline makes for these annotations (the real decision, so messages stay in step). */
function refusalFor(annotations: Record<string, string>): BrokerError {
  const decision = decide(allowList, { namespace: 'shop', serviceAccount: 'web', annotations })
  if (decision.allowed) throw new Error('expected a refusal')
  return new BrokerError('VC_POLICIES_ANNOTATION_INVALID', decision.message)
}

describe('legacyErrorAnswer: the original words where the original had them', () => {
  it('400 for a missing name names the remote address', () => {
    expect(missingNameAnswer('10.0.0.9:41234')).toEqual({
      status: 400,
      body: 'missing or empty name parameter from 10.0.0.9:41234',
    })
  })

  it.each(['VC_POD_NOT_FOUND', 'VC_POD_NOT_READY'] as const)('%s → 412 "missing or empty pod IP"', (code) => {
    expect(legacyErrorAnswer(new BrokerError(code, 'x'), 'web-1')).toEqual({
      status: 412,
      body: 'error missing or empty pod IP (web-1)',
    })
  })

  it('a missing or empty policies annotation → 500 with "role" (sic)', () => {
    for (const annotations of [{}, { 'vaultproject.io/policies': ' , ' }]) {
      expect(legacyErrorAnswer(refusalFor(annotations), 'web-1')).toEqual({
        status: 500,
        body: 'error missing or empty pod vaultproject.io/role annotation (web-1)',
      })
    }
  })

  it('a malformed policies annotation keeps our code', () => {
    const answer = legacyErrorAnswer(refusalFor({ 'vaultproject.io/policies': 'we b' }), 'web-1')
    expect(answer.status).toBe(errorCodes.VC_POLICIES_ANNOTATION_INVALID.status)
    expect(answer.body).toMatch(/^VC_POLICIES_ANNOTATION_INVALID: /)
  })

  it.each(['VC_VAULT_UNAVAILABLE', 'VC_VAULT_ERROR'] as const)(
    '%s → the original 500, no Vault text',
    (code) => {
      expect(legacyErrorAnswer(new BrokerError(code, 'Vault said: permission denied'), 'web-1')).toEqual({
        status: 500,
        body: 'error creating wrapped token for pod (web-1)',
      })
    },
  )

  it('a Kubernetes failure → 500 "error during pod lookup" without the API answer', () => {
    const answer = legacyErrorAnswer(new BrokerError('VC_KUBE_UNAVAILABLE', 'ECONNREFUSED 10.0.0.1'), 'web-1')
    expect(answer.status).toBe(500)
    expect(answer.body).toMatch(/^error during pod \(web-1\) lookup VC_KUBE_UNAVAILABLE: /)
    expect(answer.body).not.toContain('ECONNREFUSED')
  })

  it.each<[ErrorCode, number]>([
    ['VC_POLICY_NOT_ALLOWED', 403],
    ['VC_HOST_NETWORK_POD', errorCodes.VC_HOST_NETWORK_POD.status],
    ['VC_POD_NOT_INITIALIZING', errorCodes.VC_POD_NOT_INITIALIZING.status],
    ['VC_ALREADY_ISSUED', 409],
  ])('%s (no original equivalent) → its own status and "code: message"', (code, status) => {
    expect(legacyErrorAnswer(new BrokerError(code, 'because'), 'web-1')).toMatchObject({
      status,
      body: `${code}: because`,
    })
  })

  it('a retryable refusal carries Retry-After; a 5xx has the catalogue line, not the message', () => {
    expect(legacyErrorAnswer(new BrokerError('VC_ISSUANCE_IN_PROGRESS', 'busy'), 'w')).toMatchObject({
      retryAfterSeconds: 2,
    })
    expect(legacyErrorAnswer(new BrokerError('VC_INTERNAL', 'stack trace here'), 'w').body).toBe(
      `VC_INTERNAL: ${errorCodes.VC_INTERNAL.description}`,
    )
  })
})
