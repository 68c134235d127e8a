/**
 * @module
 * How the controller obtains its own Vault token, one function per auth method: a token file
 * (written by an operator or by Vault Agent; looked up to learn its TTL), Kubernetes auth (the
 * controller's own service-account JWT, re-read for every login because the kubelet rotates
 * it), or AppRole (role_id and secret_id from files). Also renew-self and lookup-self.
 *
 * Credentials never reach an error: node-vault's errors carry the request body (the JWT, the
 * secret_id) and headers, so they are replaced by a token-free summary (vault-errors.ts), and
 * file errors name the file and the errno, never a byte of the content.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { BrokerError } from '../errors.ts'
import { Secret } from '../secret.ts'
import { vaultError } from './vault-errors.ts'
import type { VaultTransport } from './vault-transport.ts'

/** The controller's Vault identity, as configured (`VAULT_AUTH_METHOD` and its settings). */
export type VaultAuthSettings =
  | { method: 'token'; tokenFile: string }
  | { method: 'kubernetes'; mount: string; role: string; jwtFile: string }
  | { method: 'approle'; mount: string; roleIdFile: string; secretIdFile: string }

/** A token and what Vault says about its lifetime. */
export interface ObtainedToken {
  token: Secret
  /** For logs (never the token). */
  accessor: string
  renewable: boolean
  /** Seconds left when Vault answered; 0: the token never expires. */
  ttlSeconds: number
  /** Token-file method: a hash of the file's content, to notice a new token. */
  fileDigest?: string
}

/** A file the settings name; the error names the setting's file, never its content. */
async function readCredentialFile(what: string, path: string): Promise<string> {
  let text: string
  try {
    text = (await readFile(path, 'utf8')).trim()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new BrokerError('VC_VAULT_ERROR', `cannot read the ${what} file ${path} (${code})`)
  }
  if (text === '') throw new BrokerError('VC_VAULT_ERROR', `the ${what} file ${path} is empty`)
  return text
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function fromAuthBlock(answer: unknown, what: string): ObtainedToken {
  const auth = (answer as { auth?: Record<string, unknown> | null } | undefined)?.auth
  const token = auth?.client_token
  if (typeof token !== 'string' || token === '') {
    throw new BrokerError('VC_VAULT_ERROR', `Vault answered ${what} without a token`)
  }
  return {
    token: new Secret(token),
    accessor: typeof auth?.accessor === 'string' ? auth.accessor : '',
    renewable: auth?.renewable === true,
    ttlSeconds: typeof auth?.lease_duration === 'number' ? auth.lease_duration : 0,
  }
}

/** `GET auth/token/lookup-self`: the token's remaining TTL and whether it renews (in `default`). */
export async function lookupSelf(transport: VaultTransport, token: Secret): Promise<ObtainedToken> {
  let answer: unknown
  try {
    answer = await transport.read('auth/token/lookup-self', { token })
  } catch (error) {
    throw vaultError(error, 'look up its own token')
  }
  const data = (answer as { data?: Record<string, unknown> | null } | undefined)?.data ?? {}
  return {
    token,
    accessor: typeof data.accessor === 'string' ? data.accessor : '',
    renewable: data.renewable === true,
    ttlSeconds: typeof data.ttl === 'number' ? data.ttl : 0,
  }
}

/** `POST auth/token/renew-self` with no increment: the token's own TTL again (its period, if periodic). */
export async function renewSelf(transport: VaultTransport, token: Secret): Promise<ObtainedToken> {
  let answer: unknown
  try {
    answer = await transport.write('auth/token/renew-self', {}, { token })
  } catch (error) {
    throw vaultError(error, 'renew its own token')
  }
  const renewed = fromAuthBlock(answer, 'renew-self')
  // Vault echoes the token presented; keep ours rather than trust the echo.
  return { ...renewed, token }
}

/** Obtains a token by the configured method. */
export async function obtainToken(
  transport: VaultTransport,
  settings: VaultAuthSettings,
): Promise<ObtainedToken> {
  switch (settings.method) {
    case 'token': {
      const text = await readCredentialFile('Vault token (VAULT_TOKEN_FILE)', settings.tokenFile)
      const looked = await lookupSelf(transport, new Secret(text))
      return { ...looked, fileDigest: digestOf(text) }
    }
    case 'kubernetes': {
      const jwt = await readCredentialFile('service-account token (VAULT_AUTH_TOKEN_FILE)', settings.jwtFile)
      return login(
        transport,
        settings.mount,
        { role: settings.role, jwt },
        `Kubernetes auth role ${settings.role}`,
      )
    }
    case 'approle': {
      const roleId = await readCredentialFile(
        'AppRole role_id (VAULT_APPROLE_ROLE_ID_FILE)',
        settings.roleIdFile,
      )
      const secretId = await readCredentialFile(
        'AppRole secret_id (VAULT_APPROLE_SECRET_ID_FILE)',
        settings.secretIdFile,
      )
      return login(transport, settings.mount, { role_id: roleId, secret_id: secretId }, 'AppRole')
    }
  }
}

async function login(
  transport: VaultTransport,
  mount: string,
  body: Record<string, string>,
  what: string,
): Promise<ObtainedToken> {
  let answer: unknown
  try {
    answer = await transport.write(`auth/${mount}/login`, body)
  } catch (error) {
    // vaultError keeps only the status and Vault's error text, never the request (it holds the JWT).
    throw vaultError(error, `log in at auth/${mount} (${what})`)
  }
  return fromAuthBlock(answer, `the login at auth/${mount}`)
}
