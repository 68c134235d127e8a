/**
 * @module
 * The fixture of spec §12.1 for kube-dev's conformance tests, over raw HTTP: a fresh server with
 * admin token `A`, namespace `ns1` (service accounts `default` and `sa`), node `worker-2`, pod
 * `p1` with its pod and host IPs, and identity `T_ctrl`. Also a `fetch` wrapper that fails on a
 * 2xx JSON answer without Content-Type (case 26) and a watch reader that collects event lines.
 */
import { type KubeDev, startKubeDev } from './kube-dev.ts'

export const adminToken = 'A'
export const controllerToken = 'T_ctrl'
export const controllerUser = 'system:serviceaccount:vault-system:ctrl'

export const p1Body = {
  metadata: { name: 'p1', labels: { app: 'x' }, annotations: { 'vaultproject.io/policies': 'web' } },
  spec: {
    serviceAccountName: 'sa',
    nodeName: 'worker-2',
    initContainers: [{ name: 'vault-init', image: 'vi:1' }],
    containers: [{ name: 'app', image: 'busybox:1' }],
  },
}

export const p2Body = { metadata: { name: 'p2' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }

export interface ApiResult {
  status: number
  headers: Headers
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  json: any
}

export interface RequestOptions {
  body?: unknown
  /** Content-Type; default application/json when there is a body. */
  contentType?: string
  /** Bearer token; `null` sends no Authorization header. Default `A`. */
  token?: string | null
  headers?: Record<string, string>
}

export interface Fixture {
  kube: KubeDev
  /** p1's uid (U1). */
  podUid: string
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResult>
  mergePatch(path: string, body: unknown, token?: string): Promise<ApiResult>
  watch(path: string): Promise<WatchReader>
  control(method: string, path: string, body?: unknown): Promise<ApiResult>
  close(): Promise<void>
}

export interface WatchEvent {
  type: string
  // biome-ignore lint/suspicious/noExplicitAny: events are read field by field
  object: any
}

export interface WatchReader {
  status: number
  headers: Headers
  events: WatchEvent[]
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close(): void
}

export async function startFixture(): Promise<Fixture> {
  const kube = await startKubeDev({ adminToken, log: () => {} })
  const watches: WatchReader[] = []
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<ApiResult> => {
    const headers: Record<string, string> = { ...options.headers }
    const token = options.token === undefined ? adminToken : options.token
    if (token !== null) headers.authorization = `Bearer ${token}`
    let body: string | undefined
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
      headers['content-type'] = options.contentType ?? 'application/json'
    }
    const response = await fetch(`${kube.server}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    })
    const text = await response.text()
    if (response.ok && text !== '' && response.headers.get('content-type') === null) {
      throw new Error(
        `case 26: ${method} ${path} answered ${response.status} with a body but no Content-Type`,
      )
    }
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  }
  const control = (method: string, path: string, body?: unknown) =>
    request(method, `/__testkit${path}`, body === undefined ? { token: null } : { token: null, body })

  const fixture: Fixture = {
    kube,
    podUid: '',
    request,
    control,
    mergePatch: (path, body, token) =>
      request('PATCH', path, {
        body,
        contentType: 'application/merge-patch+json',
        ...(token === undefined ? {} : { token }),
      }),
    async watch(path) {
      const controller = new AbortController()
      const response = await fetch(`${kube.server}${path}`, {
        headers: { authorization: `Bearer ${adminToken}` },
        signal: controller.signal,
      })
      const events: WatchEvent[] = []
      const ended = (async () => {
        if (response.body === null) return
        const decoder = new TextDecoder()
        let buffered = ''
        try {
          for await (const chunk of response.body) {
            buffered += decoder.decode(chunk as Uint8Array, { stream: true })
            let newline = buffered.indexOf('\n')
            while (newline >= 0) {
              const line = buffered.slice(0, newline)
              buffered = buffered.slice(newline + 1)
              if (line.trim() !== '') events.push(JSON.parse(line) as WatchEvent)
              newline = buffered.indexOf('\n')
            }
          }
        } catch {
          // aborted by close()
        }
      })()
      const reader: WatchReader = {
        status: response.status,
        headers: response.headers,
        events,
        ended,
        close: () => controller.abort(),
      }
      watches.push(reader)
      return reader
    },
    async close() {
      for (const watch of watches) watch.close()
      await kube.close()
    },
  }

  await kube.createNamespace('ns1')
  await kube.createServiceAccount('ns1', 'sa')
  kube.addIdentity({ token: controllerToken, username: controllerUser })
  await control('POST', '/nodes', { name: 'worker-2', uid: 'node-uid-worker-2' })
  const created = await request('POST', '/api/v1/namespaces/ns1/pods', { body: p1Body })
  if (created.status !== 201)
    throw new Error(`fixture: creating p1 answered ${created.status} ${created.text}`)
  fixture.podUid = created.json.metadata.uid
  const patched = await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p1/status', {
    status: { podIP: '10.244.1.7', hostIP: '10.0.0.12' },
  })
  if (patched.status !== 200)
    throw new Error(`fixture: patching p1 status answered ${patched.status} ${patched.text}`)
  return fixture
}
