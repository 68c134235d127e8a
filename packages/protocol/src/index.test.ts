import { describe, expect, it } from 'vitest'
import * as protocol from './index.ts'

describe('public surface', () => {
  it('exports the schemas, validators and helpers both ends use', () => {
    for (const name of [
      'TokenRequest',
      'parseTokenRequest',
      'TokenResponse',
      'parseTokenResponse',
      'ErrorBody',
      'errorBody',
      'DeliverRequest',
      'parseDeliverRequest',
      'certificateSha256',
      'wrapInfoFromVault',
      'errorCodes',
      'httpStatusOf',
      'isRetryable',
      'deliveryErrorCodes',
      'readIssuance',
      'decideClaim',
      'issuancePatch',
      'LEGACY_TOKEN_PATH',
    ]) {
      expect(protocol, name).toHaveProperty(name)
    }
    expect(protocol.PROTOCOL_VERSION).toBe('v1')
    expect(protocol.TOKEN_PATH.startsWith(`/${protocol.PROTOCOL_VERSION}/`)).toBe(true)
    expect(protocol.DELIVER_PATH.startsWith(`/${protocol.PROTOCOL_VERSION}/`)).toBe(true)
  })
})
