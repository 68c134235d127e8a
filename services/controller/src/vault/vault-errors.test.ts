/** Vault failures never carry a credential, whatever node-vault put in the error. */
import { describe, expect, it } from 'vitest'
import { BrokerError } from '../errors.ts'
import { failedVaultStatus, redactCredentials, vaultError } from './vault-errors.ts'

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dmM6dmMifQ.c2lnbmF0dXJl'
const TOKEN = 'hvs.CAESIJ2x7Yk3m0P-secret_part'

describe('vault errors', () => {
  it('redacts Vault tokens and JWTs from any text', () => {
    expect(redactCredentials(`login with ${JWT} failed for ${TOKEN}.`)).toBe(
      'login with [REDACTED] failed for [REDACTED].',
    )
  })

  it('keeps the status and Vault’s text, never the request (body, headers) of a node-vault error', () => {
    const raw = Object.assign(new Error(`permission denied ${JWT}`), {
      response: { statusCode: 403, body: { errors: ['permission denied'] } },
      config: { headers: { 'X-Vault-Token': TOKEN }, data: JSON.stringify({ role: 'r', jwt: JWT }) },
    })
    const mapped = vaultError(raw, 'log in at auth/kubernetes')
    expect(mapped).toBeInstanceOf(BrokerError)
    expect(failedVaultStatus(mapped)).toBe(403)
    const everything = JSON.stringify({ mapped, cause: String(mapped.cause), message: mapped.message })
    expect(everything).not.toContain(JWT)
    expect(everything).not.toContain(TOKEN)
    expect(String(mapped.cause)).toContain('HTTP 403: permission denied [REDACTED]')
  })
})
