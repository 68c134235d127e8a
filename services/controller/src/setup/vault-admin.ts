/**
 * @module
 * The few admin calls setup makes, over plain HTTP (undici's fetch; a private CA is honoured).
 * Not node-vault: setup needs reads of "does this exist?" answered as `undefined` on 404, and
 * nothing of node-vault's token helpers. The admin token goes only in `X-Vault-Token`; errors
 * carry the method, path, status and Vault's error text, never a header or a request body.
 */
import { Agent, fetch } from 'undici'
import type { Secret } from '../secret.ts'

export class VaultAdminError extends Error {
  override readonly name = 'VaultAdminError'
  readonly status: number | undefined
  constructor(message: string, status: number | undefined) {
    super(message)
    this.status = status
  }
}

export interface VaultAdmin {
  /** GET; `undefined` on 404. */
  read(path: string): Promise<Record<string, unknown> | undefined>
  /** POST with a JSON body; the answer's JSON, or `undefined` for 204. */
  write(path: string, body: Record<string, unknown>): Promise<Record<string, unknown> | undefined>
  close(): Promise<void>
}

export function createVaultAdmin(options: {
  addr: string
  token: Secret
  caPem?: string
  timeoutMs?: number
}): VaultAdmin {
  const dispatcher = new Agent(options.caPem === undefined ? {} : { connect: { ca: options.caPem } })
  const base = options.addr.replace(/\/+$/, '')

  async function request(
    method: 'GET' | 'POST',
    path: string,
    body?: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined> {
    let response: Awaited<ReturnType<typeof fetch>>
    try {
      response = await fetch(`${base}/v1/${path}`, {
        method,
        dispatcher,
        headers: {
          'X-Vault-Token': options.token.reveal(),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      })
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code
      throw new VaultAdminError(
        `Vault: ${method} ${path}: ${typeof code === 'string' ? code : (error as Error).name}`,
        undefined,
      )
    }
    const text = await response.text()
    if (method === 'GET' && response.status === 404) return undefined
    if (response.status === 204 || text === '') {
      if (response.ok) return undefined
    }
    let json: Record<string, unknown> | undefined
    try {
      json = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>)
    } catch {
      json = undefined
    }
    if (!response.ok) {
      const errors = Array.isArray(json?.errors) ? (json.errors as unknown[]).map(String) : []
      const detail =
        errors.length > 0 ? errors.join('; ').replaceAll(/\s+/g, ' ').trim() : `HTTP ${response.status}`
      throw new VaultAdminError(
        `Vault: ${method} ${path}: HTTP ${response.status}: ${detail}`,
        response.status,
      )
    }
    return json
  }

  return {
    read: (path) => request('GET', path),
    write: (path, body) => request('POST', path, body),
    close: () => dispatcher.close(),
  }
}
