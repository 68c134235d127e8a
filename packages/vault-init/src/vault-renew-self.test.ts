import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpTransport } from './http-transport.ts'
import { Secret } from './secret.ts'
import { LEASE_NOT_RENEWABLE, renewSelf } from './vault-renew-self.ts'

const TOKEN = 'hvs.CAESIpodtokenvalue'
const transport = createHttpTransport()
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A stand-in Vault: records each request (path, token header, body) and answers with `answer`. */
async function vault(answer: (response: ServerResponse) => void) {
  const seen: { url: string | undefined; token: unknown; body: string }[] = []
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      seen.push({
        url: request.url,
        token: request.headers['x-vault-token'],
        body: Buffer.concat(chunks).toString(),
      })
      answer(response)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { addr: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (response: ServerResponse) =>
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))

const call = (vaultAddr: string) =>
  renewSelf(new Secret(TOKEN), { vaultAddr, transport, timeoutMs: 5_000, nowMs: 0 })

describe('renewSelf', () => {
  it('POSTs renew-self as the token with no body, and returns the new lease with Vault’s whole answer', async () => {
    const answer = {
      request_id: 'r2',
      lease_duration: 0,
      auth: { client_token: TOKEN, lease_duration: 3600 },
    }
    const { addr, seen } = await vault(json(200, answer))
    expect(await call(addr)).toEqual({
      kind: 'renewed',
      body: answer,
      auth: answer.auth,
      leaseDurationSeconds: 3600,
    })
    expect(seen).toEqual([{ url: '/v1/auth/token/renew-self', token: TOKEN, body: '' }])
  })

  it.each([
    [403, ['permission denied'], 'denied'],
    [403, ['bad token'], 'denied'],
    [400, [LEASE_NOT_RENEWABLE], 'not-renewable'],
    [400, ['something else'], 'retry'],
    [500, ['internal error'], 'retry'],
    [503, ['Vault is sealed'], 'retry'],
  ])('sorts %d %j as %s', async (status, errors, kind) => {
    const { addr } = await vault(json(status, { errors }))
    const result = await call(addr)
    expect(result.kind).toBe(kind)
    expect(JSON.stringify(result)).not.toContain(TOKEN)
    if (result.kind !== 'renewed') expect(result.reason).toContain(`answered ${status}: ${errors[0]}`)
  })

  it('retries a 200 without an auth block, honours Retry-After, and retries network errors', async () => {
    expect((await call((await vault(json(200, { auth: null }))).addr)).kind).toBe('retry')
    expect(await call((await vault(json(429, { errors: [] }, { 'retry-after': '7' }))).addr)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 7000,
    })
    const closed = await vault(json(200, {}))
    const server = servers.pop() as Server
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    expect(await call(closed.addr)).toMatchObject({
      kind: 'retry',
      reason: expect.stringContaining('ECONNREFUSED'),
    })
  })
})
