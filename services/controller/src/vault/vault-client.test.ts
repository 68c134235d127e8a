import { startVaultDev, type VaultDev } from '@vault-controller/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrokerError } from '../errors.ts'
import { Secret } from '../secret.ts'
import { vaultCall } from '../test-support/dev-api.ts'
import { createVaultClient, type VaultClient } from './vault-client.ts'

let vault: VaultDev
let limitedToken: string
const clients: VaultClient[] = []

const root = (method: string, path: string, body?: unknown) => vaultCall(vault, method, path, body)

beforeAll(async () => {
  vault = await startVaultDev({ rootToken: 'root' })
  // Enough to mint through the role, but no sudo: no per-token period.
  await root('PUT', 'sys/policies/acl/minter', {
    policy:
      'path "auth/token/create/pods" { capabilities = ["update"] }\n' +
      'path "auth/token/lookup-accessor" { capabilities = ["update"] }\n' +
      'path "auth/token/revoke-accessor" { capabilities = ["update"] }\n',
  })
  await root('POST', 'auth/token/roles/pods', { orphan: true, allowed_policies: ['web'], token_period: '1h' })
  limitedToken = (await root('POST', 'auth/token/create-orphan', { policies: ['minter'] })).body.auth
    .client_token
})

afterAll(async () => {
  await vault?.close()
})

afterEach(() => {
  for (const client of clients.splice(0)) client.close()
})

function client(token = limitedToken, addr = vault.addr): VaultClient {
  const created = createVaultClient({
    addr,
    token: async () => new Secret(token),
    maxConcurrency: 4,
    requestTimeoutMs: 2000,
  })
  clients.push(created)
  return created
}

const request = {
  role: 'pods',
  policies: ['web'],
  meta: { pod_name: 'p1' },
  displayName: 'ns1-p1',
  wrapTtlSeconds: 30,
}

async function failureOf(promise: Promise<unknown>): Promise<BrokerError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof BrokerError) return error
    throw error
  }
  throw new Error('succeeded')
}

describe('createVaultClient', () => {
  it('mints a wrapped token through a role without sudo, and revokes it by accessor', async () => {
    const vaultClient = client()
    const minted = await vaultClient.createWrappedToken(request)
    expect(minted).toMatchObject({ creationPath: 'auth/token/create/pods', wrapTtlSeconds: 30 })
    expect(String(minted.wrappingToken)).toBe('[REDACTED]')
    expect(await vaultClient.lookupAccessor(minted.tokenAccessor)).toMatchObject({
      policies: ['default', 'web'],
      orphan: true,
      displayName: 'token-ns1-p1',
      meta: { pod_name: 'p1' },
    })
    await vaultClient.revokeAccessor(minted.tokenAccessor)
    expect(await vaultClient.lookupAccessor(minted.tokenAccessor)).toBeUndefined()
    // Revoking again is not an error.
    await vaultClient.revokeAccessor(minted.tokenAccessor)
  })

  it('is refused a per-token period without sudo: VC_VAULT_ERROR, no token in the error', async () => {
    const failure = await failureOf(client().createWrappedToken({ ...request, periodSeconds: 600 }))
    expect(failure.code).toBe('VC_VAULT_ERROR')
    expect(String(failure.cause)).toContain('root or sudo privileges required to create periodic token')
    expect(JSON.stringify({ failure, cause: String(failure.cause) })).not.toContain(limitedToken)
  })

  it('maps a sealed Vault and an unreachable one to VC_VAULT_UNAVAILABLE', async () => {
    expect((await root('PUT', 'sys/seal')).status).toBe(204)
    try {
      expect(await client().health()).toMatchObject({ sealed: true })
      expect((await failureOf(client().createWrappedToken(request))).code).toBe('VC_VAULT_UNAVAILABLE')
    } finally {
      await root('PUT', 'sys/unseal', { key: vault.unsealKey })
    }
    expect(await client().health()).toMatchObject({ sealed: false, initialized: true })
    const unreachable = await failureOf(client(limitedToken, 'http://127.0.0.1:1').revokeAccessor('x'))
    expect(unreachable.code).toBe('VC_VAULT_UNAVAILABLE')
    expect(String(unreachable.cause)).not.toContain(limitedToken)
  })
})
