import { describe, expect, it } from 'vitest'
import {
  LEGACY_CALLBACK_PATH,
  LEGACY_CALLBACK_PORT,
  LEGACY_DEFAULT_NAMESPACE,
  LEGACY_DEFAULT_TTL,
  LEGACY_NAME_PARAM,
  LEGACY_NAMESPACE_PARAM,
  LEGACY_SUCCESS_STATUS,
  LEGACY_TOKEN_PATH,
  LEGACY_WRAP_TTL_SECONDS,
  legacyCallbackBody,
  legacyCallbackUrl,
} from './legacy.ts'

describe('legacy protocol constants', () => {
  it('match the original wire contract (legacy-protocol.md §2, §4, §8)', () => {
    expect(LEGACY_TOKEN_PATH).toBe('/token')
    expect([LEGACY_NAME_PARAM, LEGACY_NAMESPACE_PARAM]).toEqual(['name', 'namespace'])
    expect(LEGACY_DEFAULT_NAMESPACE).toBe('default')
    expect(LEGACY_SUCCESS_STATUS).toBe(202)
    expect(LEGACY_CALLBACK_PORT).toBe(80)
    expect(LEGACY_CALLBACK_PATH).toBe('/')
    expect(LEGACY_WRAP_TTL_SECONDS).toBe(120)
    expect(LEGACY_DEFAULT_TTL).toBe('72h')
  })

  it('sends the callback to port 80 over plain HTTP', () => {
    expect(legacyCallbackUrl('10.224.2.42')).toBe('http://10.224.2.42:80/')
    expect(legacyCallbackUrl('fd00::2a')).toBe('http://[fd00::2a]:80/')
  })

  it('sends Vault wrap_info as JSON followed by a newline', () => {
    const wrapInfo = {
      token: 'hvs.x',
      ttl: 120,
      creation_time: '2016-10-28T10:00:00Z',
      wrapped_accessor: 'a',
    }
    const body = legacyCallbackBody(wrapInfo)
    expect(body).toBe(`${JSON.stringify(wrapInfo)}\n`)
    expect(JSON.parse(body)).toEqual(wrapInfo)
  })
})
