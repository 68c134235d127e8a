import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import {
  certificateSha256,
  DELIVER_PATH,
  errorBody,
  type TokenRequest,
  type WrapInfo,
  wrapInfoFromVault,
} from '@vault-controller/protocol'
import { fakeClock, startVaultDev, type VaultDev } from '@vault-controller/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { VaultInitConfig } from './config.ts'
import { jsonLogger } from './logger.ts'
import { runVaultInit, type VaultInitDeps } from './run-vault-init.ts'

const POD = { namespace: 'payments', name: 'web-7d9f5c-x2x4q', uid: '0b6c3a8e-4f1d-4c39-9a51-2f4b9d1e7c01' }

function fakeServiceAccountToken(podUid: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'RS256', kid: 'k1' })}.${part({ sub: 'system:serviceaccount:payments:web', 'kubernetes.io': { namespace: POD.namespace, pod: { name: POD.name, uid: podUid } } })}.c2lnbmF0dXJl`
}

type Delivered = { status: number; body: Record<string, unknown> }

/** POSTs a delivery the way the controller does: TLS pinned to certSha256, nothing else trusted. */
function deliverPinned(port: number, certSha256: string, body: unknown): Promise<Delivered> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1',
      port,
      path: DELIVER_PATH,
      method: 'POST',
      rejectUnauthorized: false,
      agent: false,
      headers: { 'content-type': 'application/json' },
    })
    req.on('socket', (socket) =>
      socket.once('secureConnect', () => {
        const raw = (socket as TLSSocket).getPeerCertificate().raw
        if (certificateSha256(raw) !== certSha256) req.destroy(new Error('certificate pin mismatch'))
        else req.end(JSON.stringify(body))
      }),
    )
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      )
    })
    req.on('error', reject)
  })
}

let vault: VaultDev
beforeAll(async () => {
  vault = await startVaultDev()
})
afterAll(async () => {
  await vault.close()
})

async function vaultCall(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${vault.addr}/v1/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': vault.rootToken, 'content-type': 'application/json', ...headers },
    body: body === undefined ? null : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) }
}

/** Mints a wrapped orphan token whose metadata names `meta`, as the controller does. */
async function mintWrapped(
  meta: Record<string, string> = { namespace: POD.namespace, pod_name: POD.name, pod_uid: POD.uid },
) {
  const minted = await vaultCall(
    'auth/token/create-orphan',
    { policies: ['default'], meta, ttl: '1h' },
    { 'x-vault-wrap-ttl': '60s' },
  )
  const parsed = wrapInfoFromVault(minted.json.wrap_info)
  if (!parsed.ok) throw new Error(parsed.errors.join('; '))
  return parsed.value
}

type ControllerStep = (
  request: TokenRequest,
  answer: (status: number, body: unknown, headers?: Record<string, string>) => void,
) => Promise<void> | void

/** Plays the controller: checks the bearer token, then runs the next scripted step. */
class FakeController {
  readonly server: Server
  readonly requests: TokenRequest[] = []
  readonly bearers: string[] = []
  readonly steps: ControllerStep[]
  constructor(steps: ControllerStep[]) {
    this.steps = steps
    this.server = createServer((req, res) => void this.#handle(req, res))
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }
  async close() {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }
  async #handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
    }
    const auth = req.headers.authorization ?? ''
    if (!auth.startsWith('Bearer ') || req.url !== '/v1/token') {
      return answer(401, errorBody('VC_IDENTITY_MISSING', 'no bearer token', 'req-x'))
    }
    this.bearers.push(auth.slice('Bearer '.length))
    const request = JSON.parse(Buffer.concat(chunks).toString()) as TokenRequest
    this.requests.push(request)
    const step = this.steps[Math.min(this.requests.length - 1, this.steps.length - 1)]
    await step?.(request, answer)
  }
}

/** The controller's normal path: mint, push to the pinned callback, answer delivered. */
const deliverByCallback =
  (meta?: Record<string, string>, seen?: Delivered[]): ControllerStep =>
  async (request, answer) => {
    const wrapInfo = await mintWrapped(meta)
    const outcome = await deliverPinned(request.callback.port, request.callback.certSha256, {
      requestId: 'req-1',
      wrapInfo,
    })
    seen?.push(outcome)
    if (outcome.status === 200) {
      answer(200, {
        status: 'delivered',
        requestId: 'req-1',
        wrappingAccessor: wrapInfo.accessor,
        tokenAccessor: wrapInfo.wrappedAccessor,
        policies: ['default'],
        ttlSeconds: 3600,
      })
    } else {
      answer(502, errorBody('VC_CALLBACK_FAILED', 'delivery failed', 'req-1'), { 'retry-after': '0' })
    }
  }

let dir: string
let controller: FakeController | undefined
let logLines: string[]
let saTokenFile: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-init-run-'))
  saTokenFile = join(dir, 'sa-token')
  await writeFile(saTokenFile, fakeServiceAccountToken(POD.uid))
  logLines = []
})
afterEach(async () => {
  await controller?.close()
  controller = undefined
  await rm(dir, { recursive: true, force: true })
})

async function setup(steps: ControllerStep[]): Promise<VaultInitConfig> {
  controller = new FakeController(steps)
  const controllerAddr = await controller.listen()
  const outputDir = join(dir, 'out')
  await import('node:fs/promises').then((fs) => fs.mkdir(outputDir))
  return {
    podName: POD.name,
    podNamespace: POD.namespace,
    vaultAddr: vault.addr,
    controllerAddr,
    saTokenFile,
    callbackPort: 0,
    listenAddress: '127.0.0.1',
    outputDir,
    fileMode: 0o600,
    deadlineMs: 15_000,
    requestTimeoutMs: 10_000,
    logLevel: 'debug',
  }
}

function deps(extra: VaultInitDeps = {}): VaultInitDeps {
  return {
    logger: jsonLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    answerGraceMs: 2_000,
    ...extra,
  }
}

async function lookupAccessor(accessor: string) {
  return vaultCall('auth/token/lookup-accessor', { accessor })
}

function expectNoSecretsLogged(...secrets: string[]) {
  const all = logLines.join('')
  for (const secret of secrets) expect(all).not.toContain(secret)
  expect(all).not.toMatch(/hvs\.[A-Za-z0-9]/)
  expect(all).not.toContain(fakeServiceAccountToken(POD.uid))
}

describe('runVaultInit against vault-dev and a fake controller', () => {
  it('writes token and secret.json (0600) and exits 0 on the callback path', async () => {
    const seen: Delivered[] = []
    const config = await setup([deliverByCallback(undefined, seen)])
    const result = await runVaultInit(config, deps())
    expect(result).toMatchObject({ exitCode: 0, code: 'OK', message: 'token written' })
    expect(seen[0]?.status).toBe(200)
    expect(controller?.bearers[0]).toBe(fakeServiceAccountToken(POD.uid))
    expect(controller?.requests[0]).toMatchObject({ namespace: POD.namespace, name: POD.name })
    const token = await readFile(join(config.outputDir, 'token'), 'utf8')
    const secretText = await readFile(join(config.outputDir, 'secret.json'), 'utf8')
    expect(secretText.endsWith('}\n')).toBe(true)
    const secret = JSON.parse(secretText)
    expect(token).toBe(secret.auth.client_token)
    expect(token).toMatch(/^hvs\./)
    expect(secret.auth.metadata).toMatchObject({
      namespace: POD.namespace,
      pod_name: POD.name,
      pod_uid: POD.uid,
    })
    expect(seen[0]?.body).toEqual({
      status: 'accepted',
      requestId: 'req-1',
      tokenAccessor: secret.auth.accessor,
    })
    for (const name of ['token', 'secret.json']) {
      expect((await stat(join(config.outputDir, name))).mode & 0o777).toBe(0o600)
    }
    expect(await readdir(config.outputDir)).toEqual(['secret.json', 'token'])
    expectNoSecretsLogged(token)

    // An init container restart finds its own files and asks nobody.
    const again = await runVaultInit(config, deps())
    expect(again).toMatchObject({ exitCode: 0, message: 'token files already present for this pod' })
    expect(controller?.requests).toHaveLength(1)
  })

  it('fails closed with exit 4 when the wrapping token was already unwrapped', async () => {
    let wrapInfo: WrapInfo | undefined
    const seen: Delivered[] = []
    const config = await setup([
      async (request, answer) => {
        wrapInfo = await mintWrapped()
        expect((await vaultCall('sys/wrapping/unwrap', { token: wrapInfo.token })).status).toBe(200) // the interceptor
        seen.push(
          await deliverPinned(request.callback.port, request.callback.certSha256, {
            requestId: 'req-2',
            wrapInfo,
          }),
        )
        answer(502, errorBody('VC_CALLBACK_FAILED', 'delivery failed', 'req-2'))
      },
    ])
    const result = await runVaultInit(config, deps())
    expect(result.exitCode).toBe(4)
    expect(result.code).toBe('VI_WRAPPING_TOKEN_REJECTED')
    expect(result.report).toContain('SECURITY')
    expect(result.report).toContain(wrapInfo?.accessor)
    expect(result.report).toContain('possible interception')
    // The refusal reached the controller before vault-init stopped listening.
    await vi.waitFor(() =>
      expect(seen[0]).toMatchObject({
        status: 422,
        body: { error: { code: 'VI_WRAPPING_TOKEN_REJECTED', retryable: false } },
      }),
    )
    expect(await readdir(config.outputDir)).toEqual([])
    expectNoSecretsLogged(wrapInfo?.token ?? 'x')
  })

  it('revokes and refuses a token minted for another pod, then takes the right one', async () => {
    const seen: Delivered[] = []
    const config = await setup([
      deliverByCallback({ namespace: POD.namespace, pod_name: 'someone-else', pod_uid: POD.uid }, seen),
      deliverByCallback(undefined, seen),
    ])
    const result = await runVaultInit(config, deps({ sleep: async () => {} }))
    expect(result.exitCode).toBe(0)
    expect(seen.map((s) => s.status)).toEqual([422, 200])
    expect(seen[0]?.body).toMatchObject({ error: { code: 'VI_UNEXPECTED_TOKEN' } })
    const logged = logLines.map((line) => JSON.parse(line))
    const refused = logged.find((l) => l.msg.includes('not for this pod'))
    expect(refused).toMatchObject({ level: 'error', mismatched: ['pod_name'], revoked: true })
    expect((await lookupAccessor(refused.tokenAccessor)).status).toBe(400) // revoked in Vault
    const secret = JSON.parse(await readFile(join(config.outputDir, 'secret.json'), 'utf8'))
    expect(secret.auth.metadata.pod_name).toBe(POD.name)
  })

  it('exits 2 with the controller message on a permanent refusal', async () => {
    const config = await setup([
      (_request, answer) =>
        answer(403, errorBody('VC_POLICY_NOT_ALLOWED', 'policy db is not allowed', 'req-3')),
    ])
    const result = await runVaultInit(config, deps())
    expect(result).toMatchObject({
      exitCode: 2,
      code: 'VC_POLICY_NOT_ALLOWED',
      message: 'policy db is not allowed',
    })
    expect(controller?.requests).toHaveLength(1)
  })

  it('retries a retryable answer after its Retry-After, then succeeds', async () => {
    const sleeps: number[] = []
    const config = await setup([
      (_request, answer) =>
        answer(503, errorBody('VC_VAULT_UNAVAILABLE', 'vault down', 'req-4'), { 'retry-after': '7' }),
      deliverByCallback(),
    ])
    const result = await runVaultInit(config, deps({ sleep: async (ms) => void sleeps.push(ms) }))
    expect(result.exitCode).toBe(0)
    expect(sleeps).toEqual([7000])
    expect(controller?.requests).toHaveLength(2)
  })

  it('exits 3 with the last error when the deadline passes', async () => {
    const clock = fakeClock(1_000_000)
    const sleeps: number[] = []
    const config = await setup([
      (_request, answer) =>
        answer(429, errorBody('VC_RATE_LIMITED', 'slow down', 'req-5'), { 'retry-after': '20' }),
    ])
    const result = await runVaultInit(
      { ...config, deadlineMs: 60_000 },
      deps({
        clock,
        sleep: async (ms) => {
          sleeps.push(ms)
          clock.advance(ms)
        },
      }),
    )
    expect(result.exitCode).toBe(3)
    expect(result.message).toContain('VC_RATE_LIMITED: slow down')
    expect(sleeps).toEqual([20_000, 20_000, 20_000])
    expect(controller?.requests).toHaveLength(3)
  })

  it('unwraps a token delivered in the response body', async () => {
    const config = await setup([
      async (_request, answer) => {
        const wrapInfo = await mintWrapped()
        answer(200, {
          status: 'wrapped',
          requestId: 'req-6',
          wrapInfo,
          policies: ['default'],
          ttlSeconds: 3600,
        })
      },
    ])
    const result = await runVaultInit(config, deps())
    expect(result).toMatchObject({ exitCode: 0, message: 'token written' })
    const secret = JSON.parse(await readFile(join(config.outputDir, 'secret.json'), 'utf8'))
    expect(await readFile(join(config.outputDir, 'token'), 'utf8')).toBe(secret.auth.client_token)
    expectNoSecretsLogged(secret.auth.client_token)
  })

  it('exits 143 on SIGTERM, never 0, and writes nothing', async () => {
    const stop = new AbortController()
    const config = await setup([() => stop.abort('SIGTERM')]) // the controller holds the request
    const result = await runVaultInit(config, deps({ signal: stop.signal }))
    expect(result).toMatchObject({ exitCode: 143, code: 'INTERRUPTED' })
    expect(await readdir(config.outputDir)).toEqual([])
  })

  it('removes a delivered token the controller then revoked, and asks again', async () => {
    // The controller's callback timed out while vault-init was unwrapping: it revoked the token it
    // minted and answered with an error. The written token is dead: it must not be left for the app.
    const seen: Delivered[] = []
    let firstAccessor: string | undefined
    const config = await setup([
      async (request, answer) => {
        const wrapInfo = await mintWrapped()
        firstAccessor = wrapInfo.wrappedAccessor
        seen.push(
          await deliverPinned(request.callback.port, request.callback.certSha256, {
            requestId: 'req-6',
            wrapInfo,
          }),
        )
        expect(
          (await vaultCall('auth/token/revoke-accessor', { accessor: wrapInfo.wrappedAccessor })).status,
        ).toBe(204)
        answer(502, errorBody('VC_CALLBACK_FAILED', 'the callback timed out; token revoked', 'req-6'), {
          'retry-after': '0',
        })
      },
      deliverByCallback(undefined, seen),
    ])
    const result = await runVaultInit(config, deps({ sleep: async () => {} }))
    expect(result).toMatchObject({ exitCode: 0, message: 'token written' })
    expect(seen.map((s) => s.status)).toEqual([200, 200])
    expect(controller?.requests).toHaveLength(2)
    const secret = JSON.parse(await readFile(join(config.outputDir, 'secret.json'), 'utf8'))
    expect(secret.auth.accessor).not.toBe(firstAccessor)
    expect((await lookupAccessor(secret.auth.accessor)).status).toBe(200)
    expect(logLines.some((line) => line.includes('files removed, asking again'))).toBe(true)
  })

  it('keeps a delivered token that is alive when the controller answers with an error afterwards', async () => {
    const config = await setup([
      async (request, answer) => {
        const wrapInfo = await mintWrapped()
        await deliverPinned(request.callback.port, request.callback.certSha256, {
          requestId: 'req-7',
          wrapInfo,
        })
        answer(500, errorBody('VC_INTERNAL', 'something broke after the delivery', 'req-7'))
      },
    ])
    const result = await runVaultInit(config, deps())
    expect(result).toMatchObject({
      exitCode: 0,
      message: 'token written; the controller answered with an error afterwards',
    })
    expect(controller?.requests).toHaveLength(1)
    expect(await readdir(config.outputDir)).toEqual(['secret.json', 'token'])
  })

  it('on restart, replaces files whose token Vault refuses (revoked after a failed delivery)', async () => {
    const config = await setup([deliverByCallback()])
    const first = await runVaultInit(config, deps())
    expect(first.exitCode).toBe(0)
    const old = JSON.parse(await readFile(join(config.outputDir, 'secret.json'), 'utf8'))
    expect((await vaultCall('auth/token/revoke-accessor', { accessor: old.auth.accessor })).status).toBe(204)

    const again = await runVaultInit(config, deps())
    expect(again).toMatchObject({ exitCode: 0, message: 'token written' })
    expect(controller?.requests).toHaveLength(2)
    const fresh = JSON.parse(await readFile(join(config.outputDir, 'secret.json'), 'utf8'))
    expect(fresh.auth.accessor).not.toBe(old.auth.accessor)
    expect((await lookupAccessor(fresh.auth.accessor)).status).toBe(200)
  })

  it('refuses with exit 5 to overwrite token files of another pod', async () => {
    const config = await setup([deliverByCallback()])
    await writeFile(
      join(config.outputDir, 'secret.json'),
      JSON.stringify({
        auth: { client_token: 'x', metadata: { namespace: POD.namespace, pod_name: 'other' } },
      }),
    )
    const result = await runVaultInit(config, deps())
    expect(result.exitCode).toBe(5)
    expect(controller?.requests).toHaveLength(0)
  })
})
