import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpTransport } from './http-transport.ts'
import { Secret } from './secret.ts'
import { revokeSelf, unwrap, WRAPPING_TOKEN_INVALID } from './vault-unwrap.ts'

const WRAPPING_TOKEN = 'hvs.CAESIwrappingtokenvalue'
const transport = createHttpTransport()
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await stop(server)
})

async function stop(server: Server) {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

/** A stand-in Vault that answers every request with `answer`; returns its address. */
async function vault(answer: (response: ServerResponse) => void): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => answer(response))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const vaultError = (status: number, errors: string[]) => (response: ServerResponse) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors }))

function call(vaultAddr: string, timeoutMs = 5_000) {
  return unwrap(new Secret(WRAPPING_TOKEN), { vaultAddr, transport, timeoutMs })
}

describe('unwrap', () => {
  it('calls a used, expired or unknown wrapping token rejected', async () => {
    const addr = await vault(vaultError(400, [WRAPPING_TOKEN_INVALID]))
    expect(await call(addr)).toEqual({ kind: 'rejected' })
  })

  it('calls Vault unavailable when nothing was sent or Vault is sealed: the token is unused', async () => {
    const sealed = await vault(vaultError(503, ['Vault is sealed']))
    expect(await call(sealed)).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('503') })
    await stop(servers.pop() as Server) // nothing listens there any more
    const refused = await call(sealed)
    expect(refused).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('ECONNREFUSED') })
  })

  it('calls the outcome failed when the request may have reached Vault', async () => {
    const held = await vault(() => {})
    const timedOut = await call(held, 200)
    expect(timedOut).toEqual({ kind: 'failed', reason: 'Vault unwrap: timed out' })
    const errorAnswer = await vault(vaultError(500, ['internal error']))
    expect(await call(errorAnswer)).toEqual({
      kind: 'failed',
      reason: 'Vault unwrap answered 500: internal error',
    })
  })

  it('returns the body as received and the token it holds, hidden', async () => {
    const body = JSON.stringify({
      auth: { client_token: 'hvs.CAESIclienttoken', accessor: 'acc1', metadata: { pod_name: 'web' } },
    })
    const addr = await vault((response) => response.writeHead(200).end(body))
    const result = await call(addr)
    expect(result).toMatchObject({ kind: 'unwrapped', body })
    if (result.kind !== 'unwrapped') return
    expect(result.auth?.clientToken.reveal()).toBe('hvs.CAESIclienttoken')
    expect(JSON.stringify(result.auth)).not.toContain('hvs.')
    expect(result.auth).toMatchObject({ accessor: 'acc1', metadata: { pod_name: 'web' } })
  })
})

describe('revokeSelf', () => {
  it('resolves undefined on 204 and a description otherwise', async () => {
    const ok = await vault((response) => response.writeHead(204).end())
    const options = { vaultAddr: ok, transport, timeoutMs: 5_000 }
    expect(await revokeSelf(new Secret('hvs.x'), options)).toBeUndefined()
    const denied = await vault(vaultError(403, ['permission denied']))
    expect(await revokeSelf(new Secret('hvs.x'), { ...options, vaultAddr: denied })).toBe(
      'Vault revoke-self answered 403: permission denied',
    )
  })
})
