/**
 * DESIGN §5 invariant 8, proved with vault-dev's ACL: the token the controller gets from the
 * setup (here through AppRole, the way it would log in) can mint through its roles, look up and
 * revoke by accessor, and manage itself — and nothing else. Also: setup is idempotent, a dry run
 * touches nothing, and the command prints no credential.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startVaultDev, type VaultDev } from '@vault-controller/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Secret } from '../secret.ts'
import { runSetupCommand } from './cli.ts'
import { controllerPolicyHcl } from './controller-policy.ts'
import { type SetupVaultOptions, setupVault } from './setup-vault.ts'

let vault: VaultDev
let dir: string

beforeEach(async () => {
  vault = await startVaultDev({ rootToken: 'root' })
  dir = mkdtempSync(join(tmpdir(), 'setup-vault-'))
})
afterEach(async () => {
  await vault.close()
  rmSync(dir, { recursive: true, force: true })
})

async function call(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${vault.addr}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) }
}

const options = (extra: Partial<SetupVaultOptions> = {}): SetupVaultOptions => ({
  vaultAddr: vault.addr,
  adminToken: new Secret(vault.rootToken),
  role: 'pod-tokens',
  allowedPoliciesGlob: ['app-*'],
  fixedRoles: [{ name: 'pod-tokens-24h', periodSeconds: 86_400 }],
  auth: { method: 'approle' },
  ...extra,
})

/** The controller's own token, obtained the way the controller obtains it. */
async function controllerToken(): Promise<string> {
  const result = await setupVault(options())
  const login = await call('', 'POST', 'auth/approle/login', {
    role_id: result.approle?.roleId,
    secret_id: result.approle?.secretId?.reveal(),
  })
  expect(login.status).toBe(200)
  expect(login.json?.auth.policies).toEqual(['default', 'vault-controller'])
  return login.json?.auth.client_token
}

const WRAP = { 'X-Vault-Wrap-TTL': '60s' }
const DENIED = '1 error occurred:\n\t* permission denied\n\n'

describe('invariant 8: the controller policy written by setup', () => {
  it('allows minting through its roles, lookup/revoke by accessor, and managing itself', async () => {
    const token = await controllerToken()

    // Per-pod period on the per-token role: needs sudo there, which it has.
    const perPod = await call(
      token,
      'POST',
      'auth/token/create/pod-tokens',
      { policies: ['app-web'], period: '600s' },
      WRAP,
    )
    expect(perPod.status).toBe(200)
    const wrapped = perPod.json?.wrap_info
    expect(wrapped.creation_path).toBe('auth/token/create/pod-tokens')
    // The fixed-period role: no period sent, the role's applies.
    const fixed = await call(
      token,
      'POST',
      'auth/token/create/pod-tokens-24h',
      { policies: ['app-batch'] },
      WRAP,
    )
    expect(fixed.status).toBe(200)

    const lookup = await call(token, 'POST', 'auth/token/lookup-accessor', {
      accessor: wrapped.wrapped_accessor,
    })
    expect(lookup.status).toBe(200)
    expect(lookup.json?.data).toMatchObject({
      policies: ['app-web', 'default'],
      orphan: true,
      role: 'pod-tokens',
    })
    expect(
      (await call(token, 'POST', 'auth/token/revoke-accessor', { accessor: wrapped.wrapped_accessor }))
        .status,
    ).toBe(204)
    expect((await call(token, 'GET', 'auth/token/lookup-self')).status).toBe(200)
    expect((await call(token, 'POST', 'auth/token/renew-self', {})).status).toBe(200)
  })

  it('denies everything else', async () => {
    const token = await controllerToken()
    expect(
      (
        await call('root', 'POST', 'auth/token/roles/someone-else', {
          allowed_policies: ['app-web'],
          orphan: true,
        })
      ).status,
    ).toBe(204)
    const victim = (await call('root', 'POST', 'auth/token/create-orphan', { policies: ['app-web'] })).json
      ?.auth

    const forbidden: Array<[string, string, unknown, Record<string, string>?]> = [
      ['POST', 'auth/token/create/someone-else', { policies: ['app-web'] }, WRAP],
      ['POST', 'auth/token/create-orphan', { policies: ['app-web'] }, WRAP],
      ['POST', 'auth/token/create', { policies: ['app-web'] }, WRAP],
      ['POST', 'auth/token/roles/pod-tokens', { allowed_policies_glob: ['*'] }],
      ['PUT', 'sys/policy/vault-controller', { policy: 'path "*" { capabilities = ["sudo"] }' }],
      ['PUT', 'sys/policies/acl/anything', { policy: 'path "*" { capabilities = ["read"] }' }],
      ['POST', 'auth/token/revoke', { token: victim.client_token }],
      ['POST', 'auth/token/revoke-orphan', { token: victim.client_token }],
      ['POST', 'auth/token/lookup', { token: victim.client_token }],
      ['POST', 'auth/token/renew-accessor', { accessor: victim.accessor }],
      ['GET', 'auth/token/accessors?list=true', undefined],
      ['POST', 'sys/auth/other', { type: 'approle' }],
      ['PUT', 'sys/seal', undefined],
      ['GET', 'sys/policy', undefined],
      // Unwrapped minting: the create paths carry max_wrapping_ttl.
      ['POST', 'auth/token/create/pod-tokens', { policies: ['app-web'] }],
    ]
    for (const [method, path, body, headers] of forbidden) {
      const answer = await call(token, method, path, body, headers)
      expect({ method, path, status: answer.status, errors: answer.json?.errors }).toEqual({
        method,
        path,
        status: 403,
        errors: [DENIED],
      })
    }

    // No sudo on the fixed-period role: no per-token period there.
    const period = await call(
      token,
      'POST',
      'auth/token/create/pod-tokens-24h',
      { policies: ['app-web'], period: '1h' },
      WRAP,
    )
    expect(period).toMatchObject({
      status: 400,
      json: { errors: ['root or sudo privileges required to create periodic token'] },
    })
    // The role is Vault's own fence: root never, and only the allowed globs.
    const rootPolicy = await call(token, 'POST', 'auth/token/create/pod-tokens', { policies: ['root'] }, WRAP)
    expect(rootPolicy.status).toBe(400)
    const outside = await call(
      token,
      'POST',
      'auth/token/create/pod-tokens',
      { policies: ['db-admin'] },
      WRAP,
    )
    expect(outside.status).toBe(400)
    expect(outside.json?.errors[0]).toContain("must be subset of the role's allowed policies")
    // The victim is untouched.
    expect((await call(victim.client_token, 'GET', 'auth/token/lookup-self')).status).toBe(200)
  })

  it('grants sudo on nothing but the per-token create path', () => {
    const hcl = controllerPolicyHcl({
      perTokenRoles: ['pod-tokens'],
      fixedPeriodRoles: ['pod-tokens-24h'],
      maxWrappingTtlSeconds: 300,
    })
    const blocks = [...hcl.matchAll(/path "([^"]+)" \{\n {2}capabilities = \[([^\]]*)\]/g)].map(
      ([, path, caps]) => [path, caps],
    )
    expect(blocks).toEqual([
      ['auth/token/create/pod-tokens', '"update", "sudo"'],
      ['auth/token/create/pod-tokens-24h', '"update"'],
      ['auth/token/lookup-accessor', '"update"'],
      ['auth/token/revoke-accessor', '"update"'],
    ])
    expect(hcl.match(/^path "/gm)).toHaveLength(4)
  })
})

describe('setupVault', () => {
  it('is idempotent and converges a drifted role', async () => {
    await setupVault(options())
    // Someone gives the per-token role a period (the controller's period would then be capped).
    expect((await call('root', 'POST', 'auth/token/roles/pod-tokens', { token_period: '1h' })).status).toBe(
      204,
    )
    await setupVault(options())
    const role = await call('root', 'GET', 'auth/token/roles/pod-tokens')
    expect(role.json?.data).toMatchObject({
      orphan: true,
      renewable: true,
      allowed_policies_glob: ['app-*'],
      disallowed_policies: ['root'],
      token_period: 0,
    })
    const fixed = await call('root', 'GET', 'auth/token/roles/pod-tokens-24h')
    expect(fixed.json?.data).toMatchObject({ token_period: 86_400, orphan: true })
    const policy = await call('root', 'GET', 'sys/policies/acl/vault-controller')
    expect(policy.json?.data.policy).toBe(
      controllerPolicyHcl({
        perTokenRoles: ['pod-tokens'],
        fixedPeriodRoles: ['pod-tokens-24h'],
        maxWrappingTtlSeconds: 300,
      }),
    )
  })

  it('enables Kubernetes auth once, keeps an existing config when no host is given, and refuses a foreign mount', async () => {
    const kubernetes = {
      method: 'kubernetes' as const,
      kubernetesHost: 'https://kubernetes.example:6443',
      disableLocalCaJwt: true,
      namespace: 'vault-controller',
      serviceAccount: 'vault-controller',
    }
    const first = await setupVault(options({ auth: kubernetes }))
    expect(first.steps.filter((step) => step.method === 'POST').map((step) => step.path)).toContain(
      'sys/auth/kubernetes',
    )
    const { kubernetesHost: _host, ...withoutHost } = kubernetes
    const second = await setupVault(options({ auth: withoutHost }))
    const posted = second.steps.filter((step) => step.method === 'POST').map((step) => step.path)
    expect(posted).not.toContain('sys/auth/kubernetes')
    expect(posted).not.toContain('auth/kubernetes/config')
    expect((await call('root', 'GET', 'auth/kubernetes/config')).json?.data.kubernetes_host).toBe(
      'https://kubernetes.example:6443',
    )
    const role = await call('root', 'GET', 'auth/kubernetes/role/vault-controller')
    expect(role.json?.data).toMatchObject({
      bound_service_account_names: ['vault-controller'],
      bound_service_account_namespaces: ['vault-controller'],
      token_policies: ['vault-controller'],
      token_ttl: 3600,
      token_max_ttl: 86_400,
    })

    await setupVault(options())
    await expect(setupVault(options({ auth: { ...kubernetes, mount: 'approle' } }))).rejects.toThrow(
      /auth\/approle is already enabled with type approle, not kubernetes/,
    )
  })

  it('refuses bad options before sending anything', async () => {
    vault.stats.reset()
    await expect(setupVault(options({ allowedPoliciesGlob: [] }))).rejects.toThrow(/--allowed-policies/)
    await expect(setupVault(options({ allowedPolicies: ['root'] }))).rejects.toThrow(/must not include root/)
    await expect(setupVault(options({ role: undefined, fixedRoles: [] } as never))).rejects.toThrow(/--role/)
    expect(vault.stats.snapshot().total).toBe(0)
  })

  it('plans without touching Vault in a dry run', async () => {
    vault.stats.reset()
    const { adminToken: _unused, ...withoutToken } = options({ dryRun: true })
    const result = await setupVault(withoutToken)
    expect(vault.stats.snapshot().total).toBe(0)
    expect(result.steps.map((step) => `${step.method} ${step.path} ${step.done}`)).toEqual([
      'POST auth/token/roles/pod-tokens false',
      'POST auth/token/roles/pod-tokens-24h false',
      'POST sys/policies/acl/vault-controller false',
      'POST sys/auth/approle false',
      'POST auth/approle/role/vault-controller false',
      'POST auth/approle/role/vault-controller/secret-id false',
    ])
  })
})

describe('setup-vault command', () => {
  it('writes the AppRole credentials to files (0600) and prints no credential', async () => {
    const roleIdFile = join(dir, 'role-id')
    const secretIdFile = join(dir, 'secret-id')
    const printed: string[] = []
    const adminToken = (await call('root', 'POST', 'auth/token/create', { policies: ['root'] })).json?.auth
      .client_token
    await runSetupCommand(
      [
        '--vault-addr',
        vault.addr,
        '--role',
        'pod-tokens',
        '--allowed-policies-glob',
        'app-*',
        '--fixed-role',
        'pod-tokens-1h=1h',
        '--auth',
        'approle',
        '--approle-role-id-file',
        roleIdFile,
        '--approle-secret-id-file',
        secretIdFile,
      ],
      { VAULT_TOKEN: adminToken },
      (text) => printed.push(text),
    )
    const secretId = readFileSync(secretIdFile, 'utf8').trim()
    expect(secretId).not.toBe('')
    expect(statSync(secretIdFile).mode & 0o777).toBe(0o600)
    const output = printed.join('')
    expect(output).toContain('✓ POST /v1/sys/policies/acl/vault-controller')
    expect(output).not.toContain(secretId)
    expect(output).not.toContain(adminToken)
    const login = await call('', 'POST', 'auth/approle/login', {
      role_id: readFileSync(roleIdFile, 'utf8').trim(),
      secret_id: secretId,
    })
    expect(login.json?.auth.policies).toEqual(['default', 'vault-controller'])
  })
})
