/**
 * @module
 * The fixtures of spec §13.1 on a fresh in-process vault-dev, and a raw-HTTP helper for the
 * conformance tests (fetch only, so what is asserted is exactly what is on the wire).
 * Also usable by other suites that want a vault-dev prepared the same way.
 */
import { startVaultDev, type VaultDev, type VaultDevOptions } from './vault-dev.ts'

export interface WireResponse {
  status: number
  headers: Headers
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: conformance tests navigate arbitrary JSON bodies.
  json: any
}

export interface RequestOptions {
  token?: string
  body?: unknown
  /** Sent as is (for malformed JSON). */
  rawBody?: string
  headers?: Record<string, string>
}

export type VaultCall = (method: string, path: string, options?: RequestOptions) => Promise<WireResponse>

/** A fetch-based caller for `addr`; `path` is relative to `/v1/` unless it starts with `/`. */
export function vaultCaller(addr: string): VaultCall {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers['X-Vault-Token'] = options.token
    let body: string | undefined
    if (options.rawBody !== undefined) body = options.rawBody
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['Content-Type'] = 'application/json'
    }
    const url = path.startsWith('/') ? `${addr}${path}` : `${addr}/v1/${path}`
    const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) })
    const text = await response.text()
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  }
}

export interface ConformanceVault {
  vault: VaultDev
  call: VaultCall
  /** The root token `R`. */
  R: string
  /** `["broker","default","p1","p2"]`, a child of R. */
  B: string
  /** `["ctl","default"]`, an orphan. */
  C: string
  close(): Promise<void>
}

const SECRET_READ = 'path "secret/*" { capabilities = ["read"] }'

const FIXTURE_POLICIES: Record<string, string> = {
  p1: SECRET_READ,
  p2: SECRET_READ,
  p3: SECRET_READ,
  web: SECRET_READ,
  db: SECRET_READ,
  'team-blue': SECRET_READ,
  'team-admin': SECRET_READ,
  broker: `
path "auth/token/create-orphan" { capabilities = ["create", "update"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
`,
  creator: 'path "auth/token/create" { capabilities = ["update"] }',
  ctl: `
path "auth/token/create/pod-*" { capabilities = ["update"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
`,
}

const FIXTURE_ROLES: Record<string, unknown> = {
  'pod-tokens': {
    allowed_policies: ['web', 'db'],
    allowed_policies_glob: ['team-*'],
    disallowed_policies_glob: ['*-admin'],
    orphan: true,
    token_period: '1h',
  },
  'pod-child': { allowed_policies: 'web' },
  'pod-limited': { allowed_policies: 'web', token_num_uses: 3, renewable: false },
  'pod-capped': { allowed_policies: 'web', token_explicit_max_ttl: '2h' },
  other: { allowed_policies: 'web', orphan: true },
}

function expectStatus(response: WireResponse, status: number, what: string): void {
  if (response.status !== status) {
    throw new Error(`fixture ${what}: expected ${status}, got ${response.status} ${response.text}`)
  }
}

/** A fresh vault-dev (root token `root`) with the spec §13.1 fixtures. */
export async function startConformanceVault(options: VaultDevOptions = {}): Promise<ConformanceVault> {
  const vault = await startVaultDev({ rootToken: 'root', ...options })
  const call = vaultCaller(vault.addr)
  const R = vault.rootToken
  try {
    for (const [name, policy] of Object.entries(FIXTURE_POLICIES)) {
      expectStatus(
        await call('PUT', `sys/policy/${name}`, { token: R, body: { policy } }),
        204,
        `policy ${name}`,
      )
    }
    const b = await call('POST', 'auth/token/create', {
      token: R,
      body: { policies: ['broker', 'p1', 'p2'] },
    })
    expectStatus(b, 200, 'token B')
    const c = await call('POST', 'auth/token/create-orphan', { token: R, body: { policies: ['ctl'] } })
    expectStatus(c, 200, 'token C')
    for (const [name, role] of Object.entries(FIXTURE_ROLES)) {
      expectStatus(
        await call('POST', `auth/token/roles/${name}`, { token: R, body: role }),
        204,
        `role ${name}`,
      )
    }
    return {
      vault,
      call,
      R,
      B: b.json.auth.client_token,
      C: c.json.auth.client_token,
      close: () => vault.close(),
    }
  } catch (error) {
    await vault.close()
    throw error
  }
}

/** The go-multierror rendering of one message. */
export function wrapped(message: string): string {
  return `1 error occurred:\n\t* ${message}\n\n`
}
