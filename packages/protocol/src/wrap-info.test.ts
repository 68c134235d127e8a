import { describe, expect, it } from 'vitest'
import { compileParser } from './validation.ts'
import { Accessor, WrapInfo, wrapInfoFromVault } from './wrap-info.ts'

const vaultWrapInfo = {
  token: 'hvs.CAESIAbcdefghijklmnopqrstuvwxyz',
  accessor: 'Xq1b2c3d4e5f6g7h8i9j0kLm',
  ttl: 60,
  creation_time: '2024-05-01T10:00:00.123456789Z',
  creation_path: 'auth/token/create/pod-tokens',
  wrapped_accessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm',
}

describe('wrapInfoFromVault', () => {
  it('converts Vault wrap_info to camelCase, dropping fields it does not define', () => {
    expect(wrapInfoFromVault({ ...vaultWrapInfo, format: 'jwt' })).toEqual({
      ok: true,
      value: {
        token: vaultWrapInfo.token,
        accessor: vaultWrapInfo.accessor,
        ttlSeconds: 60,
        creationTime: vaultWrapInfo.creation_time,
        creationPath: vaultWrapInfo.creation_path,
        wrappedAccessor: vaultWrapInfo.wrapped_accessor,
      },
    })
  })

  it('requires wrapped_accessor (only token creations are delivered)', () => {
    const { wrapped_accessor: _, ...withoutAccessor } = vaultWrapInfo
    expect(wrapInfoFromVault(withoutAccessor)).toEqual({
      ok: false,
      errors: ['(root): must have required properties wrapped_accessor'],
    })
  })

  it('refuses a non-object and a bad time without echoing the token', () => {
    expect(wrapInfoFromVault(null).ok).toBe(false)
    const result = wrapInfoFromVault({ ...vaultWrapInfo, creation_time: 'yesterday', ttl: 0 })
    expect(result.ok).toBe(false)
    expect(JSON.stringify(result)).not.toContain(vaultWrapInfo.token)
  })

  it('produces a valid WrapInfo', () => {
    const converted = wrapInfoFromVault(vaultWrapInfo)
    expect(converted.ok && compileParser(WrapInfo)(converted.value).ok).toBe(true)
  })
})

describe('Accessor', () => {
  const parseAccessor = compileParser(Accessor)
  it.each([
    'Xq1b2c3d4e5f6g7h8i9j0kLm',
    'Xq1b2c3d4e5f6g7h8i9j0kLm.nsid',
    '8609694a-cdbc-db9b-d345-e782dbb562ed',
  ])('accepts %s', (value) => {
    expect(parseAccessor(value).ok).toBe(true)
  })
  it.each([
    '',
    'hvs.CAESIAbc',
    'hvb.AAAA',
    's.abcdefghijklmnopqrstuvwx',
    'b.AAAA',
    'has space',
    'a'.repeat(129),
  ])('refuses %j (tokens included)', (value) => {
    expect(parseAccessor(value).ok).toBe(false)
  })
})
