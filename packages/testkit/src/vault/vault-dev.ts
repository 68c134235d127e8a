/**
 * @module
 * vault-dev: an in-memory HTTP server that answers like a HashiCorp Vault OSS dev server for
 * everything specs/vault-http-api.md describes, so the controller and vault-init run their
 * real Vault clients against it. In process for unit tests (`startVaultDev()`), or as a
 * separate process through `pnpm vault-dev` (src/bin/vault-dev.ts).
 *
 * @example
 * const vault = await startVaultDev({ rootToken: 'root' })
 * await fetch(`${vault.addr}/v1/sys/health`)
 * await vault.close()
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { type AdjustableClock, offsetClock } from '../clock.ts'
import { FaultInjector, RequestStats } from '../faults.ts'
import { faultErrorBody, RequestPipeline, type VaultAnswer } from './request-pipeline.ts'
import type { Mount } from './route.ts'
import { sysMount } from './sys-routes.ts'
import { handleTestControl } from './test-control.ts'
import { tokenMount } from './token-routes.ts'
import { VaultState } from './vault-state.ts'

/** Per-request delays that model a real Vault's storage cost (API requests only). */
export interface LatencyModel {
  /** Added to GET and HEAD requests. */
  readMs?: number
  /** Added to every other request. */
  writeMs?: number
  /** A uniformly random extra delay in [0, jitterMs). */
  jitterMs?: number
}

export interface VaultDevOptions {
  /** 0 (default): any free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Default `root`, as the conformance fixtures use (the CLI picks a random one instead). */
  rootToken?: string
  /** Default: 32 random bytes, base64. */
  unsealKey?: string
  clock?: AdjustableClock
  latency?: LatencyModel
  /** One line per request (method, path, status, duration, caller's accessor); never tokens. */
  log?: (line: string) => void
}

export interface VaultDev {
  /** `http://127.0.0.1:<port>` */
  addr: string
  rootToken: string
  unsealKey: string
  clock: AdjustableClock
  faults: FaultInjector
  stats: RequestStats
  close(): Promise<void>
}

const MAX_BODY_BYTES = 32 * 1024 * 1024
const SWEEP_INTERVAL_MS = 5_000

/** Tokens must never reach a log line, not even inside a path. */
function redactPath(path: string): string {
  return path.replace(/hvs\.[A-Za-z0-9_-]+/g, 'hvs.<redacted>')
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
    })
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

function send(
  response: ServerResponse,
  answer: { status: number; body: string | undefined },
  contentType: string,
): void {
  const headers: Record<string, string | number> = { 'Cache-Control': 'no-store' }
  if (answer.body !== undefined) {
    headers['Content-Type'] = contentType
    headers['Content-Length'] = Buffer.byteLength(answer.body)
  }
  response.writeHead(answer.status, headers)
  response.end(answer.body)
}

function latencyFor(method: string, model: LatencyModel | undefined): number {
  if (!model) return 0
  const base = method === 'GET' || method === 'HEAD' ? (model.readMs ?? 0) : (model.writeMs ?? 0)
  const jitter = model.jitterMs ? Math.random() * model.jitterMs : 0
  return base + jitter
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

export async function startVaultDev(options: VaultDevOptions = {}): Promise<VaultDev> {
  const clock = options.clock ?? offsetClock()
  const rootToken = options.rootToken ?? 'root'
  const unsealKey = options.unsealKey ?? randomBytes(32).toString('base64')
  const state = new VaultState({ clock, rootToken, unsealKey })
  const faults = new FaultInjector()
  const stats = new RequestStats()
  const sys = sysMount(state)
  const token = tokenMount(state)
  const mounts = (): readonly Mount[] => [sys, token, ...state.authMounts.values()]
  const pipeline = new RequestPipeline(state, mounts)
  const log = options.log

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const startedMs = Date.now()
    const method = request.method ?? 'GET'
    const url = new URL(request.url ?? '/', 'http://vault-dev')
    const body = await readBody(request)

    if (url.pathname.startsWith('/__testkit/')) {
      const answer = handleTestControl(
        { state, faults, stats },
        method,
        url.pathname,
        body ?? Buffer.alloc(0),
      )
      send(response, answer, 'application/json')
      return
    }
    if (!url.pathname.startsWith('/v1/')) {
      send(response, { status: 404, body: '404 page not found\n' }, 'text/plain; charset=utf-8')
      return
    }
    const vaultPath = safeDecode(url.pathname.slice('/v1/'.length))
    stats.record(method, pipeline.routeLabel(vaultPath))

    const fault = faults.match(method, url.pathname)
    if (fault) {
      if (fault.latencyMs > 0) await delay(fault.latencyMs)
      if (fault.drop) {
        request.socket.destroy()
        return
      }
      if (fault.status !== undefined) {
        const faultBody =
          fault.body === undefined ? faultErrorBody(fault.status) : `${JSON.stringify(fault.body)}\n`
        send(response, { status: fault.status, body: faultBody }, 'application/json')
        return
      }
    }
    const latencyMs = latencyFor(method, options.latency)
    if (latencyMs > 0) await delay(latencyMs)

    let answer: VaultAnswer
    if (body === undefined) {
      answer = { status: 413, body: `${JSON.stringify({ errors: ['http: request body too large'] })}\n` }
    } else {
      answer = await pipeline.serve({
        method,
        vaultPath,
        query: url.searchParams,
        headers: request.headers,
        body,
        remoteAddress: request.socket.remoteAddress ?? '',
      })
    }
    send(response, answer, 'application/json')
    log?.(
      `${method} /v1/${redactPath(vaultPath)} ${answer.status} ${Date.now() - startedMs}ms accessor=${answer.accessor ?? '-'}`,
    )
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log?.(`internal error: ${(error as Error).stack ?? String(error)}`)
      if (!response.headersSent) {
        send(
          response,
          { status: 500, body: `${JSON.stringify({ errors: ['internal error'] })}\n` },
          'application/json',
        )
      } else response.destroy()
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const sweep = setInterval(() => state.tokens.sweepExpired(), SWEEP_INTERVAL_MS)
  sweep.unref()
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address

  return {
    addr: `http://${host}:${address.port}`,
    rootToken,
    unsealKey,
    clock,
    faults,
    stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(sweep)
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
