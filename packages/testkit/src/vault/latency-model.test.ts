import { afterEach, describe, expect, it } from 'vitest'
import { startVaultDev, type VaultDev } from './vault-dev.ts'

let vault: VaultDev | undefined
afterEach(async () => {
  await vault?.close()
})

async function timedMs(request: () => Promise<Response>): Promise<number> {
  const startedMs = performance.now()
  await (await request()).text()
  return performance.now() - startedMs
}

describe('latency model', () => {
  it('delays reads and writes by their configured cost, test control not at all', async () => {
    vault = await startVaultDev({ latency: { readMs: 40, writeMs: 120 } })
    const addr = vault.addr
    const headers = { 'X-Vault-Token': vault.rootToken }
    const readMs = await timedMs(() => fetch(`${addr}/v1/auth/token/lookup-self`, { headers }))
    const writeMs = await timedMs(() =>
      fetch(`${addr}/v1/auth/token/create-orphan`, { method: 'POST', headers, body: '{}' }),
    )
    const controlMs = await timedMs(() => fetch(`${addr}/__testkit/stats`))
    expect(readMs).toBeGreaterThanOrEqual(39)
    expect(writeMs).toBeGreaterThanOrEqual(119)
    expect(controlMs).toBeLessThan(40)
  })

  it('logs one line per request without tokens', async () => {
    const lines: string[] = []
    vault = await startVaultDev({ log: (line) => lines.push(line) })
    const created = await fetch(`${vault.addr}/v1/auth/token/create-orphan`, {
      method: 'POST',
      headers: { 'X-Vault-Token': vault.rootToken },
      body: '{}',
    })
    const token = ((await created.json()) as { auth: { client_token: string } }).auth.client_token
    await fetch(`${vault.addr}/v1/auth/token/lookup/${token}`, { headers: { 'X-Vault-Token': token } })
    expect(lines).toHaveLength(2)
    for (const line of lines) {
      expect(line).not.toContain(token)
      expect(line).not.toContain(vault.rootToken)
    }
    expect(lines[0]).toMatch(/^POST \/v1\/auth\/token\/create-orphan 200 \d+ms accessor=[A-Za-z0-9]{24}$/)
  })
})
