/**
 * @module
 * Vault configured the way an operator following docs/vault-setup.md would: the pods' policies
 * (the operator's own business, written with the admin token), then the controller's real
 * `setup-vault` command as a process (`services/controller/dist/setup/cli.js`, what
 * `pnpm setup-vault` runs after a build) with the admin token in a file: the token role
 * `pod-tokens` (orphan, allowed `web` and `db-*`, no `token_period`), the controller's policy, and
 * the Kubernetes auth role the controller logs in with (its service account
 * `vault-system/vault-controller`, audience `vault`; Vault reviews the JWT against kube-dev with a
 * reviewer service account's token). The `token` variant adds what an operator without
 * Kubernetes auth would do: an orphan periodic token from the controller's policy, for
 * `VAULT_TOKEN_FILE`. The controller never sees the admin token.
 */
import { execFile } from 'node:child_process'
import { repoRoot } from '../paths.ts'
import type { OutputCapture } from './output-capture.ts'
import type { RunDir } from './run-dir.ts'
import type { VaultAdmin } from './vault-admin.ts'

/** The built setup command, as an operator runs it. */
export const SETUP_VAULT_CLI = `${repoRoot}services/controller/dist/setup/cli.js`

export const POD_TOKEN_ROLE = 'pod-tokens'
export const CONTROLLER_POLICY_NAME = 'vault-controller'
export const CONTROLLER_AUTH_ROLE = 'vault-controller'
/** The audience of the controller's own service-account token (bound in the auth role). */
export const CONTROLLER_JWT_AUDIENCE = 'vault'

/** Policies pods may be granted (the allow-list names them) and one they may not. */
export const POD_POLICIES = {
  web: 'path "secret/data/web/*" { capabilities = ["read"] }',
  'db-read': 'path "database/creds/readonly" { capabilities = ["read"] }',
  admin: 'path "sys/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }',
} as const

/** How the controller authenticates to Vault. */
export type ControllerVaultAuth = 'kubernetes' | 'token'

export interface VaultSetup {
  role: string
  auth: ControllerVaultAuth
  /** The controller's policy as setup-vault wrote it. */
  policyName: string
  /** `token` variant only: the controller's token (write it to its token file, never log it). */
  controllerToken?: string
  controllerAccessor?: string
}

export interface VaultSetupOptions {
  auth: ControllerVaultAuth
  /** The operator's admin (root) token: given to setup-vault in a file, mode 0600. */
  adminToken: string
  runDir: RunDir
  output: OutputCapture
  /** Kubernetes auth: the API server Vault sends TokenReviews to, and the reviewer's JWT. */
  kubernetesHost?: string
  tokenReviewerJwt?: string
  controllerNamespace: string
  controllerServiceAccount: string
}

export async function setUpVaultForController(
  vault: VaultAdmin,
  options: VaultSetupOptions,
): Promise<VaultSetup> {
  for (const [name, hcl] of Object.entries(POD_POLICIES)) await vault.writePolicy(name, hcl)
  const adminTokenFile = options.runDir.writeFile('vault-admin-token', options.adminToken)
  const args = [
    '--vault-addr',
    vault.addr,
    '--admin-token-file',
    adminTokenFile,
    '--role',
    POD_TOKEN_ROLE,
    '--allowed-policies',
    'web',
    '--allowed-policies-glob',
    'db-*',
    '--controller-policy',
    CONTROLLER_POLICY_NAME,
  ]
  if (options.auth === 'kubernetes') {
    if (options.kubernetesHost === undefined || options.tokenReviewerJwt === undefined) {
      throw new Error('Kubernetes auth needs the API server address and a reviewer JWT')
    }
    const reviewerFile = options.runDir.writeFile('vault-token-reviewer.jwt', options.tokenReviewerJwt)
    args.push(
      '--auth',
      'kubernetes',
      '--auth-role',
      CONTROLLER_AUTH_ROLE,
      '--kubernetes-host',
      options.kubernetesHost,
      '--token-reviewer-jwt-file',
      reviewerFile,
      '--disable-local-ca-jwt',
      '--controller-namespace',
      options.controllerNamespace,
      '--controller-service-account',
      options.controllerServiceAccount,
      '--audience',
      CONTROLLER_JWT_AUDIENCE,
    )
  }
  await runSetupVaultCli(args, options.output)
  const setup: VaultSetup = { role: POD_TOKEN_ROLE, auth: options.auth, policyName: CONTROLLER_POLICY_NAME }
  if (options.auth === 'kubernetes') return setup
  const { token, accessor } = await vault.createToken({
    policies: [CONTROLLER_POLICY_NAME],
    no_parent: true,
    period: '24h',
    display_name: 'vault-controller',
  })
  return { ...setup, controllerToken: token, controllerAccessor: accessor }
}

/** `node services/controller/dist/setup/cli.js …`; its output joins the suite's capture. */
function runSetupVaultCli(args: readonly string[], output: OutputCapture): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [SETUP_VAULT_CLI, ...args],
      // Only what a shell would have: no VAULT_TOKEN from the test's environment.
      { env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        for (const line of stdout.split('\n').filter(Boolean)) output.record('setup-vault', 'stdout', line)
        for (const line of stderr.split('\n').filter(Boolean)) output.record('setup-vault', 'stderr', line)
        if (error === null) resolve()
        else reject(new Error(`setup-vault failed (${error.code ?? error.signal}):\n${stderr}${stdout}`))
      },
    )
  })
}
