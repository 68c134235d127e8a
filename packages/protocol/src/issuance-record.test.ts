import { describe, expect, it } from 'vitest'
import { ISSUANCE_ANNOTATION, ISSUANCE_LABEL, ISSUANCE_LABEL_VALUE, REVOKE_FINALIZER } from './annotations.ts'
import {
  decideClaim,
  type IssuanceRecord,
  issuancePatch,
  parseIssuanceRecord,
  readIssuance,
  serialiseIssuanceRecord,
} from './issuance-record.ts'

const NOW_MS = Date.parse('2024-05-01T10:00:00.000Z')
const base = {
  v: 1,
  requestId: 'req-1',
  controller: 'vault-controller-5d8f-abcde',
  at: '2024-05-01T10:00:00.000Z',
} as const

const inProgress: IssuanceRecord = {
  ...base,
  state: 'in-progress',
  claimExpiresAt: '2024-05-01T10:00:30.000Z',
}
const issued: IssuanceRecord = {
  ...base,
  state: 'issued',
  wrappingAccessor: 'Xq1b2c3d4e5f6g7h8i9j0kLm',
  tokenAccessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm',
  policies: ['default', 'web'],
  ttlSeconds: 86_400,
}
const failed: IssuanceRecord = {
  ...base,
  state: 'failed',
  reason: 'VC_CALLBACK_FAILED',
  wrappingAccessor: 'Xq1b2c3d4e5f6g7h8i9j0kLm',
  tokenAccessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm',
}
const revoked: IssuanceRecord = { ...base, state: 'revoked', tokenAccessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm' }

describe('issuance record', () => {
  it.each([inProgress, issued, failed, revoked])('round-trips $state', (record) => {
    expect(parseIssuanceRecord(serialiseIssuanceRecord(record))).toEqual({ ok: true, value: record })
  })

  it('writes only the fields its state defines', () => {
    const sneaky = {
      ...issued,
      token: 'hvs.secret',
      claimExpiresAt: '2024-05-01T10:00:30Z',
    } as IssuanceRecord
    const text = serialiseIssuanceRecord(sneaky)
    expect(text).not.toContain('hvs.secret')
    expect(JSON.parse(text)).toEqual(issued)
  })

  it('refuses to serialise an invalid record, or a token in an accessor field', () => {
    expect(() => serialiseIssuanceRecord({ ...issued, tokenAccessor: 'hvs.CAESIsecret' })).toThrow(
      /invalid issuance record: tokenAccessor: must match pattern/,
    )
    expect(() => serialiseIssuanceRecord({ ...issued, policies: [] })).toThrow(TypeError)
  })

  it('tolerates unknown fields written by a newer replica', () => {
    const text = JSON.stringify({ ...issued, attempt: 2 })
    expect(parseIssuanceRecord(text).ok).toBe(true)
  })

  it.each([
    ['not JSON', '{', '(root): not valid JSON'],
    ['a string', '"issued"', '(root): must be object'],
    ['an array', '[]', '(root): must be object'],
    ['null', 'null', '(root): must be object'],
    ['an unknown version', JSON.stringify({ ...issued, v: 2 }), 'v: must be 1'],
    ['an unknown state', JSON.stringify({ ...issued, state: 'done' }), 'state: must be one of'],
    [
      'issued without accessors',
      JSON.stringify({ ...base, state: 'issued', policies: ['a'], ttlSeconds: 1 }),
      'required',
    ],
    ['in-progress without expiry', JSON.stringify({ ...base, state: 'in-progress' }), 'claimExpiresAt'],
    ['failed without reason', JSON.stringify({ ...base, state: 'failed' }), 'reason'],
    [
      'an impossible date',
      JSON.stringify({ ...inProgress, claimExpiresAt: '2024-13-45T99:00:00Z' }),
      'claimExpiresAt: must be a valid date-time',
    ],
    ['a huge text', JSON.stringify({ ...issued, padding: 'x'.repeat(5000) }), 'longer than 4096'],
  ])('detects %s as corrupt', (_, text, expected) => {
    const result = parseIssuanceRecord(text)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors.join('\n')).toContain(expected)
  })
})

describe('readIssuance', () => {
  it('reads absent, recorded and corrupt annotations without throwing', () => {
    expect(readIssuance(undefined)).toEqual({ kind: 'absent' })
    expect(readIssuance({ other: 'x' })).toEqual({ kind: 'absent' })
    expect(readIssuance({ [ISSUANCE_ANNOTATION]: serialiseIssuanceRecord(issued) })).toEqual({
      kind: 'recorded',
      record: issued,
    })
    expect(readIssuance({ [ISSUANCE_ANNOTATION]: 'garbage' })).toEqual({
      kind: 'corrupt',
      errors: ['(root): not valid JSON'],
    })
  })
})

describe('decideClaim', () => {
  const recorded = (record: IssuanceRecord) => ({ kind: 'recorded', record }) as const

  it('lets the first request claim a pod', () => {
    expect(decideClaim({ kind: 'absent' }, NOW_MS)).toEqual({ claim: true })
  })

  it('refuses a second request after delivery, and after revocation', () => {
    expect(decideClaim(recorded(issued), NOW_MS)).toEqual({ claim: false, code: 'VC_ALREADY_ISSUED' })
    expect(decideClaim(recorded(revoked), NOW_MS)).toEqual({ claim: false, code: 'VC_ALREADY_ISSUED' })
  })

  it('lets a failed delivery be retried, handing back the old accessors', () => {
    expect(decideClaim(recorded(failed), NOW_MS)).toEqual({ claim: true, previous: failed })
  })

  it('refuses while a live claim is held, and takes over an expired one', () => {
    expect(decideClaim(recorded(inProgress), NOW_MS)).toEqual({
      claim: false,
      code: 'VC_ISSUANCE_IN_PROGRESS',
    })
    expect(decideClaim(recorded(inProgress), Date.parse('2024-05-01T10:00:30.000Z'))).toEqual({
      claim: true,
      previous: inProgress,
    })
  })

  it('fails closed on a corrupt record', () => {
    expect(decideClaim({ kind: 'corrupt', errors: ['x'] }, NOW_MS)).toEqual({
      claim: false,
      code: 'VC_ISSUANCE_RECORD_INVALID',
    })
  })
})

describe('issuancePatch', () => {
  it('claims with a resourceVersion condition, adding the finalizer and keeping others', () => {
    const patch = issuancePatch({
      resourceVersion: '42',
      finalizers: ['example.com/other'],
      record: inProgress,
    })
    expect(patch).toEqual({
      metadata: {
        resourceVersion: '42',
        finalizers: ['example.com/other', REVOKE_FINALIZER],
        annotations: { [ISSUANCE_ANNOTATION]: serialiseIssuanceRecord(inProgress) },
        labels: { [ISSUANCE_LABEL]: ISSUANCE_LABEL_VALUE },
      },
    })
  })

  it('does not duplicate the finalizer', () => {
    const patch = issuancePatch({ resourceVersion: '43', finalizers: [REVOKE_FINALIZER], record: issued })
    expect(patch.metadata.finalizers).toEqual([REVOKE_FINALIZER])
    expect(
      issuancePatch({ resourceVersion: '1', finalizers: undefined, record: failed }).metadata.finalizers,
    ).toEqual([REVOKE_FINALIZER])
  })

  it('removes only our finalizer once the token is revoked', () => {
    const patch = issuancePatch({
      resourceVersion: '44',
      finalizers: [REVOKE_FINALIZER, 'example.com/other'],
      record: revoked,
    })
    expect(patch.metadata.finalizers).toEqual(['example.com/other'])
    expect(patch.metadata.labels).toEqual({ [ISSUANCE_LABEL]: null })
    expect(readIssuance(patch.metadata.annotations)).toEqual({ kind: 'recorded', record: revoked })
  })
})
