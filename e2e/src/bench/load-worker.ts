/**
 * @module
 * A load-generator worker: a child process that plays many pods at once. For each pod it holds a
 * callback listener on the pod's own loopback address (`<pod IP>:9443`, TLS, pinned by the
 * certificate hash the request names) and, when told, makes the pod's issuance happen:
 *
 * - `controller`: `POST /v1/token` to the controller with the pod's projected token, retrying
 *   retryable refusals after `Retry-After` as vault-init does, until the pod's deadline;
 * - `floor`: no controller at all — the worker itself mints the wrapped token through the token
 *   role (the same request body the controller sends, with a token of the controller's policy)
 *   and pushes it to the pod's listener with the controller's own pinned delivery code. This is
 *   the least any broker can cost.
 *
 * The listener does what vault-init does with a delivery, minus the files: it unwraps the token
 * in Vault, checks it is the announced one and names this pod, and answers 200 with its accessor
 * (a second delivery gets 409 `VI_ALREADY_DELIVERED`). Tokens stay in memory and are never
 * written, logged or sent to the parent. Cheapness: one TLS server (one certificate for the run,
 * so all pods share a pin) fed by one plain listening socket per pod address.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer, Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { createServer as createNetServer, type Server as NetServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import { deliverByCallback, Secret } from '@vault-controller/controller'
import {
  DEFAULT_CALLBACK_PORT,
  DELIVER_PATH,
  type DeliveryErrorCode,
  type ErrorCode,
  errorBody,
  isRetryable,
  JSON_CONTENT_TYPE,
  parseDeliverRequest,
  TOKEN_PATH,
  wrapInfoFromVault,
} from '@vault-controller/protocol'
import type { BenchPod, IssueMode, IssueResult, ParentMessage, WorkerMessage } from './worker-messages.ts'

type InitMessage = Extract<ParentMessage, { t: 'init' }>

interface PodState {
  pod: BenchPod
  listener: NetServer
  /** When the listener accepted the pod's token (performance.now()). */
  heldAt: number | undefined
}

/** Sockets to the controller and to Vault per worker: many pods share them (keep-alive). */
const MAX_SOCKETS = 512
const MAX_BODY_BYTES = 16_384

const pods = new Map<number, PodState>()
const byIp = new Map<string, PodState>()
let config: InitMessage | undefined
let pendingResults: IssueResult[] = []
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS })
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS })
let tlsServer: ReturnType<typeof createHttpsServer> | undefined

function send(message: WorkerMessage): void {
  process.send?.(message)
}

function settings(): InitMessage {
  if (config === undefined) throw new Error('worker not initialised')
  return config
}

/** One JSON request (HTTP or HTTPS by the URL), answered as status + parsed body. */
function requestJson(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<{ status: number; headers: IncomingMessage['headers']; body: unknown }> {
  const target = new URL(url)
  const https = target.protocol === 'https:'
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)(
      target,
      {
        method: options.method,
        agent: https ? httpsAgent : httpAgent,
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(options.body) }),
        },
        timeout: options.timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.once('error', reject)
        response.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown = text
          try {
            body = text === '' ? undefined : JSON.parse(text)
          } catch {
            // Kept as text.
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body })
        })
      },
    )
    request.once('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)))
    request.once('error', reject)
    request.end(options.body)
  })
}

// ── the pod side: callback listeners ─────────────────────────────────────────────────────────

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) })
  response.end(text)
}

function refuse(response: ServerResponse, status: number, code: DeliveryErrorCode, message: string): void {
  answer(response, status, errorBody(code, message, 'bench-listener'))
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** vault-init's handling of a delivery, without the files: unwrap, check, hold. */
async function onDelivery(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const state = byIp.get(request.socket.localAddress ?? '')
  if (request.method !== 'POST' || request.url !== DELIVER_PATH || state === undefined) {
    refuse(response, 404, 'VI_ROUTE_NOT_FOUND', 'no such route')
    return
  }
  const text = await readBody(request)
  if (text === undefined) {
    refuse(response, 413, 'VI_BODY_TOO_LARGE', 'body too large')
    return
  }
  let parsed: ReturnType<typeof parseDeliverRequest>
  try {
    parsed = parseDeliverRequest(JSON.parse(text))
  } catch {
    refuse(response, 400, 'VI_BAD_REQUEST', 'body is not JSON')
    return
  }
  if (!parsed.ok) {
    refuse(response, 400, 'VI_BAD_REQUEST', parsed.errors.join('; '))
    return
  }
  if (state.heldAt !== undefined) {
    refuse(response, 409, 'VI_ALREADY_DELIVERED', 'this pod already holds its token')
    return
  }
  const { wrapInfo, requestId } = parsed.value
  const unwrapped = await requestJson(`${settings().vaultAddr}/v1/sys/wrapping/unwrap`, {
    method: 'POST',
    headers: { 'x-vault-token': wrapInfo.token },
    timeoutMs: 15_000,
  })
  const auth = (
    unwrapped.body as { auth?: { accessor?: unknown; metadata?: Record<string, unknown> } } | undefined
  )?.auth
  if (unwrapped.status !== 200 || auth === undefined) {
    refuse(response, 400, 'VI_WRAPPING_TOKEN_REJECTED', `Vault answered the unwrap with ${unwrapped.status}`)
    return
  }
  if (auth.accessor !== wrapInfo.wrappedAccessor || auth.metadata?.pod_uid !== state.pod.uid) {
    refuse(response, 400, 'VI_UNEXPECTED_TOKEN', 'the token is not the announced one for this pod')
    return
  }
  state.heldAt = performance.now()
  answer(response, 200, { status: 'accepted', requestId, tokenAccessor: auth.accessor })
}

async function listen(list: BenchPod[]): Promise<number> {
  let failed = 0
  await Promise.all(
    list.map(
      (pod) =>
        new Promise<void>((resolve) => {
          const listener = createNetServer((socket) => tlsServer?.emit('connection', socket))
          listener.once('error', () => {
            failed++
            resolve()
          })
          listener.listen({ host: pod.ip, port: DEFAULT_CALLBACK_PORT, exclusive: true }, () => {
            const state: PodState = { pod, listener, heldAt: undefined }
            pods.set(pod.id, state)
            byIp.set(pod.ip, state)
            resolve()
          })
        }),
    ),
  )
  return failed
}

function forget(ids: number[]): void {
  for (const id of ids) {
    const state = pods.get(id)
    if (state === undefined) continue
    state.listener.close()
    pods.delete(id)
    byIp.delete(state.pod.ip)
  }
}

// ── the issuer side ──────────────────────────────────────────────────────────────────────────

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** vault-init's loop: ask, and after a retryable refusal wait `Retry-After` and ask again. */
async function askController(state: PodState, controllerUrl: string, started: number): Promise<IssueResult> {
  const { pod } = state
  const deadline = started + settings().deadlineMs
  const body = JSON.stringify({
    namespace: pod.namespace,
    name: pod.name,
    callback: { port: DEFAULT_CALLBACK_PORT, certSha256: settings().certSha256 },
  })
  let attempts = 0
  let lastError = 'no answer'
  while (performance.now() < deadline) {
    attempts++
    try {
      const reply = await requestJson(`${controllerUrl}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${pod.jwt}`, accept: JSON_CONTENT_TYPE },
        body,
        timeoutMs: Math.max(1, deadline - performance.now()),
      })
      if (reply.status === 200 && (reply.body as { status?: unknown }).status === 'delivered') {
        return result(
          state,
          started,
          attempts,
          state.heldAt === undefined ? 'delivered, never received' : undefined,
        )
      }
      const code = (reply.body as { error?: { code?: string } } | undefined)?.error?.code
      lastError = code ?? `HTTP ${reply.status}`
      const retryable = code === undefined ? reply.status >= 500 : isRetryable(code as ErrorCode)
      if (!retryable) break
      const retryAfterSeconds = Number(reply.headers['retry-after'] ?? '1') || 1
      await sleep(retryAfterSeconds * 1000 * (0.75 + Math.random() / 2))
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
      await sleep(500)
    }
  }
  return result(state, started, attempts, lastError)
}

/** The floor: mint through the role and deliver, pinned, with no controller in between. */
async function floorIssue(state: PodState, started: number): Promise<IssueResult> {
  const { pod } = state
  const { vaultAddr, floorVaultToken, tokenRole, wrapTtlSeconds, periodSeconds, certSha256 } = settings()
  try {
    const created = await requestJson(`${vaultAddr}/v1/auth/token/create/${tokenRole}`, {
      method: 'POST',
      headers: { 'x-vault-token': floorVaultToken, 'x-vault-wrap-ttl': `${wrapTtlSeconds}s` },
      body: JSON.stringify({
        policies: ['web'],
        meta: {
          namespace: pod.namespace,
          pod_name: pod.name,
          pod_uid: pod.uid,
          pod_ip: pod.ip,
          host_ip: pod.hostIp,
          service_account: pod.serviceAccount,
          node_name: pod.nodeName,
        },
        display_name: `${pod.namespace}-${pod.name}`,
        renewable: true,
        period: `${periodSeconds}s`,
      }),
      timeoutMs: settings().deadlineMs,
    })
    const wrapInfo = wrapInfoFromVault((created.body as { wrap_info?: unknown } | undefined)?.wrap_info)
    if (!wrapInfo.ok)
      return result(state, started, 1, `Vault answered ${created.status} without a wrapped token`)
    const { token, ...announced } = wrapInfo.value
    await deliverByCallback({
      target: { podIp: pod.ip, port: DEFAULT_CALLBACK_PORT, certSha256 },
      requestId: `floor-${pod.id}`,
      wrapInfo: announced,
      wrappingToken: new Secret(token),
      connectTimeoutMs: 5_000,
      totalTimeoutMs: 15_000,
    })
    return result(state, started, 1, undefined)
  } catch (error) {
    return result(state, started, 1, error instanceof Error ? error.message : String(error))
  }
}

function result(state: PodState, started: number, attempts: number, error: string | undefined): IssueResult {
  const now = performance.now()
  return {
    id: state.pod.id,
    ok: error === undefined,
    totalMs: now - started,
    heldMs: state.heldAt === undefined ? -1 : state.heldAt - started,
    attempts,
    ...(error === undefined ? {} : { error }),
  }
}

function report(outcome: IssueResult): void {
  pendingResults.push(outcome)
  // Results go to the parent in batches, every 20 ms at most.
  if (pendingResults.length === 1) setTimeout(flushResults, 20)
}

function flushResults(): void {
  const results = pendingResults
  pendingResults = []
  send({ t: 'results', results })
}

function issue(mode: IssueMode, controllerUrl: string, ids: number[]): void {
  for (const id of ids) {
    const state = pods.get(id)
    const started = performance.now()
    if (state === undefined) {
      report({ id, ok: false, totalMs: 0, heldMs: -1, attempts: 0, error: 'no listener for this pod' })
      continue
    }
    const run = mode === 'floor' ? floorIssue(state, started) : askController(state, controllerUrl, started)
    void run.then(report)
  }
}

process.on('message', (message: ParentMessage) => {
  switch (message.t) {
    case 'init':
      config = message
      tlsServer = createHttpsServer(
        { cert: message.certPem, key: message.keyPem, minVersion: 'TLSv1.2' },
        (request, response) => {
          onDelivery(request, response).catch(() => {
            if (!response.headersSent) refuse(response, 500, 'VI_INTERNAL', 'internal error')
          })
        },
      )
      send({ t: 'ready' })
      return
    case 'listen':
      void listen(message.pods).then((failed) => send({ t: 'listening', failed }))
      return
    case 'forget':
      forget(message.ids)
      send({ t: 'forgotten' })
      return
    case 'issue':
      issue(message.mode, message.controllerUrl, message.ids)
      return
    case 'usage': {
      const usage = process.resourceUsage()
      send({
        t: 'usage',
        cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
        peakRssMb: usage.maxRSS / 1024,
      })
      return
    }
  }
})
process.on('disconnect', () => process.exit(0))
