import { startVaultDev, type VaultDev } from '@vault-controller/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Secret } from '../secret.ts'
import { vaultCall } from '../test-support/dev-api.ts'
import { createVaultClient, type VaultClient } from '../vault/vault-client.ts'
import { revokePodAccessor } from './revoke-pod-accessor.ts'

let vault: VaultDev
let client: VaultClient

const root = (method: string, path: string, body?: unknown) => vaultCall(vault, method, path, body)

const POD = { namespace: 'shop', uid: '5e1f0c2a-0000-4000-8000-000000000001' }

beforeAll(async () => {
  vault = await startVaultDev()
  // The controller's policy: mint through the role, look up and revoke by accessor, nothing else.
  await root('PUT', 'sys/policies/acl/controller', {
    policy:
      'path "auth/token/create/pods" { capabilities = ["update"] }\n' +
      'path "auth/token/lookup-accessor" { capabilities = ["update"] }\n' +
      'path "auth/token/revoke-accessor" { capabilities = ["update"] }\n',
  })
  await root('POST', 'auth/token/roles/pods', { orphan: true, allowed_policies: ['web'], token_period: '1h' })
  const token = (await root('POST', 'auth/token/create-orphan', { policies: ['controller'] })).body.auth
    .client_token
  client = createVaultClient({
    addr: vault.addr,
    token: async () => new Secret(token),
    maxConcurrency: 4,
    requestTimeoutMs: 2000,
  })
})

afterAll(async () => {
  client?.close()
  await vault?.close()
})

function mint(meta: Record<string, string>) {
  return client.createWrappedToken({
    role: 'pods',
    policies: ['web'],
    meta,
    displayName: 'shop-web',
    wrapTtlSeconds: 30,
  })
}

describe('revokePodAccessor', () => {
  it("revokes the pod's own token and its wrapping token", async () => {
    const minted = await mint({ namespace: POD.namespace, pod_uid: POD.uid, pod_name: 'web-1' })
    expect(await revokePodAccessor(client, minted.tokenAccessor, POD)).toBe('revoked')
    expect(await revokePodAccessor(client, minted.wrappingAccessor, POD)).toBe('revoked')
    expect(await client.lookupAccessor(minted.tokenAccessor)).toBeUndefined()
    expect(await client.lookupAccessor(minted.wrappingAccessor)).toBeUndefined()
  })

  it('leaves alone a token minted for another pod (a forged issuance record)', async () => {
    const other = await mint({ namespace: POD.namespace, pod_uid: 'another-uid', pod_name: 'web-2' })
    expect(await revokePodAccessor(client, other.tokenAccessor, POD)).toBe('foreign')
    expect(await client.lookupAccessor(other.tokenAccessor)).toBeDefined()
  })

  it('leaves alone a token that is not ours at all (no pod metadata)', async () => {
    const operator = (await root('POST', 'auth/token/create-orphan', { policies: ['web'] })).body.auth
    expect(await revokePodAccessor(client, operator.accessor, POD)).toBe('foreign')
    expect(await client.lookupAccessor(operator.accessor)).toBeDefined()
  })

  it('needs nothing for an accessor that is already gone', async () => {
    const minted = await mint({ namespace: POD.namespace, pod_uid: POD.uid })
    await client.revokeAccessor(minted.tokenAccessor)
    expect(await revokePodAccessor(client, minted.tokenAccessor, POD)).toBe('gone')
  })
})
