/**
 * @module
 * The original init container (`specs/legacy-protocol.md` §5), rebuilt in TypeScript so the legacy
 * suite can run it unmodified in spirit: the same environment, the same request, the same
 * listener, the same unwrap, the same file, the same loop. It stands in for the 2016 Go binary,
 * which we cannot run here; everything it does goes over real HTTP on loopback.
 *
 * What it does, in the original's order:
 * - listens on `<pod IP>:80` (every path, every method; the original listened on `:80`, all
 *   addresses — here each pod has its own loopback address), waits 300 ms, deletes
 *   `secret.json` if present, then watches its directory for file-system events;
 * - loop: `POST <VAULT_CONTROLLER_ADDR>/token?name=<POD_NAME>&namespace=<POD_NAMESPACE>` (values
 *   not URL-encoded, empty body, `Content-Type:` present but empty, no authentication); anything
 *   but 202 → log the body, sleep 5 s, again; 202 → wait up to 30 s for a file-system event, then
 *   exit 0, or ask again at once;
 * - callback: `secret.json` exists → 409; otherwise read `token` from the JSON body, unwrap as first
 *   party (`POST <VAULT_ADDR>/v1/sys/wrapping/unwrap`, `X-Vault-Token: <wrapping token>`, no body),
 *   create the file, write the whole unwrapped answer as JSON and `\n` (mode 0666 minus the
 *   umask), answer 200; any failure → 500.
 *
 * Divergences, for a bounded test only: `maxAttempts` (the original never gives up), and the
 * 5-second retry and 30-second file wait can be shortened. Every attempt is recorded.
 */
import { existsSync, type FSWatcher, mkdirSync, unlinkSync, watch, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { join } from 'node:path'

/** The original's file, in its directory (`/var/run/secrets/vaultproject.io`). */
export const ORIGINAL_SECRET_FILE = 'secret.json'

export interface OriginalInitOptions {
  /** `POD_NAME` (required). */
  podName: string
  /** `POD_NAMESPACE` (required). */
  podNamespace: string
  /** `VAULT_ADDR`. */
  vaultAddr: string
  /** `VAULT_CONTROLLER_ADDR`. */
  controllerAddr: string
  /** The pod IP to listen on. */
  listenAddress: string
  /** 80, as the original; another only where port 80 cannot be bound. */
  listenPort?: number
  /** The shared volume (the original's `/var/run/secrets/vaultproject.io`). */
  secretDir: string
  /** Harness bound: give up after this many requests (the original never does). */
  maxAttempts?: number
  /** The original's 5 s between refused requests. */
  retryIntervalMs?: number
  /** The original's 30 s wait for the file after a 202. */
  fileWaitMs?: number
  /** Where its log lines go (the original logged to stderr). */
  log?: (line: string) => void
}

/** One token request and its answer. */
export interface OriginalAttempt {
  status: number
  body: string
}

export interface OriginalInitResult {
  /** 0: a file event was seen (the original's only exit); 1: the harness bound was reached. */
  code: 0 | 1
  attempts: OriginalAttempt[]
  /** Callbacks received, with what was answered. */
  callbacks: Array<{ method: string; path: string; status: number }>
}

export interface OriginalInitRun {
  done: Promise<OriginalInitResult>
  /** SIGTERM: the original exits 0. */
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The original's token request, byte for byte what its Go client sent, from `from` (the pod's IP:
 * a pod's connections leave from its own address).
 */
export function requestOriginalToken(
  controllerAddr: string,
  podName: string,
  podNamespace: string,
  options: { from?: string } = {},
): Promise<OriginalAttempt> {
  const url = new URL(controllerAddr)
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: url.hostname,
      port: url.port === '' ? 80 : Number(url.port),
      method: 'POST',
      // Not URL-encoded, as the original built it.
      path: `/token?name=${podName}&namespace=${podNamespace}`,
      headers: { 'Content-Type': '', 'Content-Length': '0' },
      timeout: 15_000,
      ...(options.from === undefined ? {} : { localAddress: options.from }),
    })
    request.once('timeout', () => request.destroy(new Error('no answer within 15 s')))
    request.once('error', reject)
    request.once('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      )
      response.once('error', reject)
    })
    request.end()
  })
}

/** Starts the original init container; `done` settles when it exits. */
export async function startOriginalInit(options: OriginalInitOptions): Promise<OriginalInitRun> {
  if (options.podName === '' || options.podNamespace === '')
    throw new Error('POD_NAME and POD_NAMESPACE are required')
  const log = options.log ?? (() => {})
  const secretPath = join(options.secretDir, ORIGINAL_SECRET_FILE)
  const callbacks: OriginalInitResult['callbacks'] = []
  mkdirSync(options.secretDir, { recursive: true })

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      void handleCallback(Buffer.concat(chunks).toString('utf8')).then((status) => {
        callbacks.push({ method: request.method ?? '', path: request.url ?? '', status })
        response.writeHead(status).end()
      })
    })
  })

  async function handleCallback(body: string): Promise<number> {
    if (existsSync(secretPath)) return 409
    let token: string
    try {
      token = String((JSON.parse(body) as { token?: unknown }).token ?? '')
    } catch {
      log('callback: body is not JSON')
      return 500
    }
    try {
      const unwrap = await fetch(`${options.vaultAddr}/v1/sys/wrapping/unwrap`, {
        method: 'POST',
        headers: { 'X-Vault-Token': token },
      })
      if (unwrap.status !== 200) {
        log(`callback: unwrap failed with HTTP ${unwrap.status}`)
        return 500
      }
      const secret = (await unwrap.json()) as unknown
      // "create", then write: the original's file is 0666 minus the umask, written in place.
      writeFileSync(secretPath, `${JSON.stringify(secret)}\n`, { flag: 'wx', mode: 0o666 })
      return 200
    } catch (error) {
      log(`callback: ${(error as Error).message}`)
      return 500
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.listenPort ?? 80, options.listenAddress, () => resolve())
  })
  await sleep(300)
  if (existsSync(secretPath)) unlinkSync(secretPath)

  let stopped = false
  let watcher: FSWatcher | undefined
  let fileEvent: (() => void) | undefined
  let sawEvent = false
  watcher = watch(options.secretDir, () => {
    sawEvent = true
    fileEvent?.()
  })

  const close = async () => {
    watcher?.close()
    watcher = undefined
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }

  const loop = async (): Promise<OriginalInitResult> => {
    const attempts: OriginalAttempt[] = []
    const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY
    try {
      while (!stopped && attempts.length < maxAttempts) {
        let answer: OriginalAttempt
        try {
          answer = await requestOriginalToken(options.controllerAddr, options.podName, options.podNamespace, {
            from: options.listenAddress,
          })
        } catch (error) {
          attempts.push({ status: 0, body: (error as Error).message })
          log(`token request failed: ${(error as Error).message}`)
          await sleep(options.retryIntervalMs ?? 5000)
          continue
        }
        attempts.push(answer)
        if (answer.status !== 202) {
          log(`token request refused (${answer.status}): ${answer.body}`)
          if (attempts.length < maxAttempts) await sleep(options.retryIntervalMs ?? 5000)
          continue
        }
        const seen = await new Promise<boolean>((resolve) => {
          if (sawEvent) return resolve(true)
          const timer = setTimeout(() => resolve(false), options.fileWaitMs ?? 30_000)
          fileEvent = () => {
            clearTimeout(timer)
            resolve(true)
          }
        })
        fileEvent = undefined
        if (seen) return { code: 0, attempts, callbacks }
      }
      return { code: stopped ? 0 : 1, attempts, callbacks }
    } finally {
      await close()
    }
  }

  const done = loop()
  return {
    done,
    async stop() {
      stopped = true
      fileEvent?.()
      await done
    },
  }
}
