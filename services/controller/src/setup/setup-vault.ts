/**
 * @module
 * `setupVault(options)`: configures a Vault for the controller the way an operator would, given an
 * admin token, and idempotently (every write sets the whole intended state, so running it again
 * converges): the token role(s) pods are minted through, the controller's own policy
 * (controller-policy.ts, DESIGN §5 invariant 8), and the auth method the controller logs in with
 * (Kubernetes auth bound to its namespace and service account, or AppRole).
 *
 * Used by the `setup-vault` command (cli.ts), the demo and e2e. It reports what it did as a list
 * of steps whose bodies are safe to print: no token, JWT or secret_id ever appears in them.
 *
 * @example
 * await setupVault({ vaultAddr, adminToken: new Secret(rootToken), role: 'pod-tokens',
 *   allowedPoliciesGlob: ['app-*'], auth: { method: 'kubernetes', kubernetesHost, namespace:
 *   'vault-controller', serviceAccount: 'vault-controller' } })
 */
import { Secret } from '../secret.ts'
import { controllerPolicyHcl } from './controller-policy.ts'
import { createVaultAdmin, type VaultAdmin } from './vault-admin.ts'

export type SetupAuth =
  | { method: 'none' }
  | {
      method: 'kubernetes'
      /** Default `kubernetes`. */
      mount?: string
      /** Written to the mount's config when given; absent: an existing config is kept. */
      kubernetesHost?: string
      kubernetesCaPem?: string
      /** A reviewer JWT (else Vault uses its own, in a pod, or the login JWT itself). */
      tokenReviewerJwt?: Secret
      /** Set `disable_local_ca_jwt` (Vault outside the cluster). */
      disableLocalCaJwt?: boolean
      namespace: string
      serviceAccount: string
      /** The Kubernetes auth role the controller logs in with; default `vault-controller`. */
      role?: string
      /** Bound audience of the controller's JWT, if any. */
      audience?: string
      tokenTtlSeconds?: number
      tokenMaxTtlSeconds?: number
    }
  | {
      method: 'approle'
      /** Default `approle`. */
      mount?: string
      /** Default `vault-controller`. */
      role?: string
      tokenTtlSeconds?: number
      tokenMaxTtlSeconds?: number
      /** Issue a secret_id (returned once, as a Secret); default true. */
      issueSecretId?: boolean
      /** Default 0: the secret_id never expires. */
      secretIdTtlSeconds?: number
    }

export interface SetupVaultOptions {
  vaultAddr: string
  /** An admin token (root or a token with the setup capabilities); unused with `dryRun`. */
  adminToken?: Secret
  caPem?: string
  /** The per-token role: the controller sends each pod's period (needs sudo on its create path). */
  role?: string
  allowedPolicies?: readonly string[]
  allowedPoliciesGlob?: readonly string[]
  /** `root` is always added. */
  disallowedPolicies?: readonly string[]
  /** Roles with a fixed `token_period` (for allow-list rules with `fixedTtl`): no sudo. */
  fixedRoles?: readonly { name: string; periodSeconds: number }[]
  /** Default `vault-controller`. */
  controllerPolicy?: string
  /** Default 300 (5m); 0: no `max_wrapping_ttl` on the create paths. */
  maxWrappingTtlSeconds?: number
  auth?: SetupAuth
  /** Plan only: nothing is read or written. */
  dryRun?: boolean
}

export interface SetupStep {
  method: 'GET' | 'POST'
  path: string
  /** What was sent, with credentials and PEM replaced by placeholders. */
  body?: Record<string, unknown>
  description: string
  /** False when skipped (dry run, or nothing to do). */
  done: boolean
}

export interface SetupResult {
  steps: SetupStep[]
  policyName: string
  policyHcl: string
  /** AppRole: the controller's credentials (the secret_id only when one was issued). */
  approle?: { roleId: string; secretId?: Secret }
}

export const DEFAULT_CONTROLLER_POLICY = 'vault-controller'
export const DEFAULT_AUTH_ROLE = 'vault-controller'
const DEFAULT_TOKEN_TTL_SECONDS = 3600
const DEFAULT_TOKEN_MAX_TTL_SECONDS = 86_400

function sortedUnique(values: Iterable<string>): string[] {
  return [
    ...new Set([...values].map((value) => value.trim().toLowerCase()).filter((value) => value !== '')),
  ].sort()
}

/** Checks the options before anything is sent; every problem at once. */
export function validateSetupOptions(options: SetupVaultOptions): string[] {
  const problems: string[] = []
  const roleName = /^\w([\w.-]*\w)?$/
  const fixed = options.fixedRoles ?? []
  if (options.role === undefined && fixed.length === 0) problems.push('give a --role and/or a --fixed-role')
  for (const name of [options.role, ...fixed.map((role) => role.name)]) {
    if (name !== undefined && !roleName.test(name))
      problems.push(`invalid token role name ${JSON.stringify(name)}`)
  }
  if (options.role !== undefined && fixed.some((role) => role.name === options.role)) {
    problems.push(`role ${options.role} cannot be both per-token and fixed-period`)
  }
  for (const role of fixed) {
    if (!Number.isInteger(role.periodSeconds) || role.periodSeconds <= 0) {
      problems.push(`fixed role ${role.name}: the period must be a positive number of seconds`)
    }
  }
  const allowed = sortedUnique([...(options.allowedPolicies ?? []), ...(options.allowedPoliciesGlob ?? [])])
  // Without an allowed list Vault falls back to "subset of the parent unless sudo", and the
  // controller holds sudo on the per-token path: the role would let it mint any policy.
  if (allowed.length === 0) problems.push('give --allowed-policies and/or --allowed-policies-glob')
  if (allowed.some((policy) => policy === 'root' || policy === '*')) {
    problems.push('the allowed policies must not include root (nor the glob "*")')
  }
  const auth = options.auth ?? { method: 'none' }
  if (auth.method === 'kubernetes') {
    if (auth.namespace.trim() === '')
      problems.push('--controller-namespace is required with --auth kubernetes')
    if (auth.serviceAccount.trim() === '') {
      problems.push('--controller-service-account is required with --auth kubernetes')
    }
  }
  if (!options.dryRun && options.adminToken === undefined) problems.push('an admin token is required')
  return problems
}

/** Configures Vault for the controller (see the module doc). */
export async function setupVault(options: SetupVaultOptions): Promise<SetupResult> {
  const problems = validateSetupOptions(options)
  if (problems.length > 0) throw new Error(`setup-vault: ${problems.join('; ')}`)
  const policyName = (options.controllerPolicy ?? DEFAULT_CONTROLLER_POLICY).toLowerCase()
  const fixedRoles = options.fixedRoles ?? []
  const policyHcl = controllerPolicyHcl({
    perTokenRoles: options.role === undefined ? [] : [options.role],
    fixedPeriodRoles: fixedRoles.map((role) => role.name),
    maxWrappingTtlSeconds: options.maxWrappingTtlSeconds ?? 300,
  })

  const steps: SetupStep[] = []
  const admin: VaultAdmin | undefined = options.dryRun
    ? undefined
    : createVaultAdmin({
        addr: options.vaultAddr,
        token: options.adminToken as Secret,
        ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
      })
  const write = async (
    path: string,
    body: Record<string, unknown>,
    description: string,
    shown: Record<string, unknown> = body,
  ) => {
    steps.push({ method: 'POST', path, body: shown, description, done: admin !== undefined })
    return admin?.write(path, body)
  }
  const read = async (path: string, description: string) => {
    if (admin === undefined) return undefined
    steps.push({ method: 'GET', path, description, done: true })
    return admin.read(path)
  }

  try {
    const roleBase = {
      orphan: true,
      renewable: true,
      allowed_policies: sortedUnique(options.allowedPolicies ?? []),
      allowed_policies_glob: sortedUnique(options.allowedPoliciesGlob ?? []),
      disallowed_policies: sortedUnique([...(options.disallowedPolicies ?? []), 'root']),
    }
    if (options.role !== undefined) {
      await write(
        `auth/token/roles/${options.role}`,
        { ...roleBase, token_period: 0 },
        `token role ${options.role}: orphan, per-pod period sent by the controller (sudo on its create path)`,
      )
    }
    for (const role of fixedRoles) {
      await write(
        `auth/token/roles/${role.name}`,
        { ...roleBase, token_period: `${role.periodSeconds}s` },
        `token role ${role.name}: orphan, fixed period ${role.periodSeconds}s (no sudo)`,
      )
    }
    await write(
      `sys/policies/acl/${policyName}`,
      { policy: policyHcl },
      `policy ${policyName}: the controller's own (no root; sudo only on per-token create paths)`,
      { policy: `<${policyHcl.split('\n').length - 1} lines of HCL; --print-policy shows them>` },
    )
    const auth = options.auth ?? { method: 'none' }
    const result: SetupResult = { steps, policyName, policyHcl }
    const calls: Calls = { write, read, dryRun: admin === undefined }
    if (auth.method === 'kubernetes') await setupKubernetesAuth(auth, policyName, calls)
    if (auth.method === 'approle') {
      const approle = await setupAppRole(auth, policyName, calls)
      if (approle !== undefined) result.approle = approle
    }
    return result
  } finally {
    await admin?.close()
  }
}

interface Calls {
  write(
    path: string,
    body: Record<string, unknown>,
    description: string,
    shown?: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined>
  /** Answers `undefined` in a dry run. */
  read(path: string, description: string): Promise<Record<string, unknown> | undefined>
  dryRun: boolean
}

/** Enables the auth method at `mount` unless it is there already (of the same type). */
async function enableAuth(type: string, mount: string, calls: Calls): Promise<void> {
  const answer = await calls.read('sys/auth', 'list the enabled auth methods')
  const mounts = (answer?.data ?? answer) as Record<string, { type?: unknown }> | undefined
  const existing = mounts?.[`${mount}/`]
  if (existing !== undefined) {
    if (existing.type !== type) {
      throw new Error(
        `setup-vault: auth/${mount} is already enabled with type ${String(existing.type)}, not ${type}`,
      )
    }
    return
  }
  await calls.write(
    `sys/auth/${mount}`,
    { type },
    `enable ${type} auth at auth/${mount} (if not enabled yet)`,
  )
}

async function setupKubernetesAuth(
  auth: Extract<SetupAuth, { method: 'kubernetes' }>,
  policyName: string,
  calls: Calls,
): Promise<void> {
  const mount = auth.mount ?? 'kubernetes'
  await enableAuth('kubernetes', mount, calls)
  if (auth.kubernetesHost !== undefined) {
    const config: Record<string, unknown> = { kubernetes_host: auth.kubernetesHost }
    const shown: Record<string, unknown> = { kubernetes_host: auth.kubernetesHost }
    if (auth.kubernetesCaPem !== undefined) {
      config.kubernetes_ca_cert = auth.kubernetesCaPem
      shown.kubernetes_ca_cert = `<PEM, ${auth.kubernetesCaPem.length} bytes>`
    }
    if (auth.tokenReviewerJwt !== undefined) {
      config.token_reviewer_jwt = auth.tokenReviewerJwt.reveal()
      shown.token_reviewer_jwt = '[REDACTED]'
    }
    if (auth.disableLocalCaJwt !== undefined) {
      config.disable_local_ca_jwt = auth.disableLocalCaJwt
      shown.disable_local_ca_jwt = auth.disableLocalCaJwt
    }
    await calls.write(`auth/${mount}/config`, config, `configure Kubernetes auth at auth/${mount}`, shown)
  } else {
    const existing = await calls.read(`auth/${mount}/config`, `check auth/${mount} is configured`)
    if (existing === undefined && !calls.dryRun) {
      throw new Error(`setup-vault: auth/${mount} has no config yet: give --kubernetes-host`)
    }
  }
  const role = auth.role ?? DEFAULT_AUTH_ROLE
  const body: Record<string, unknown> = {
    bound_service_account_names: [auth.serviceAccount],
    bound_service_account_namespaces: [auth.namespace],
    token_policies: [policyName],
    token_ttl: `${auth.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS}s`,
    token_max_ttl: `${auth.tokenMaxTtlSeconds ?? DEFAULT_TOKEN_MAX_TTL_SECONDS}s`,
  }
  if (auth.audience !== undefined) body.audience = auth.audience
  await calls.write(
    `auth/${mount}/role/${role}`,
    body,
    `Kubernetes auth role ${role}: ${auth.namespace}/${auth.serviceAccount} gets policy ${policyName}`,
  )
}

async function setupAppRole(
  auth: Extract<SetupAuth, { method: 'approle' }>,
  policyName: string,
  calls: Calls,
): Promise<SetupResult['approle']> {
  const mount = auth.mount ?? 'approle'
  await enableAuth('approle', mount, calls)
  const role = auth.role ?? DEFAULT_AUTH_ROLE
  await calls.write(
    `auth/${mount}/role/${role}`,
    {
      token_policies: [policyName],
      token_ttl: `${auth.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS}s`,
      token_max_ttl: `${auth.tokenMaxTtlSeconds ?? DEFAULT_TOKEN_MAX_TTL_SECONDS}s`,
      secret_id_ttl: `${auth.secretIdTtlSeconds ?? 0}s`,
    },
    `AppRole role ${role} gets policy ${policyName}`,
  )
  const roleIdAnswer = await calls.read(`auth/${mount}/role/${role}/role-id`, `read the role_id of ${role}`)
  const roleId = (roleIdAnswer?.data as { role_id?: unknown } | undefined)?.role_id
  if (auth.issueSecretId === false) return typeof roleId === 'string' ? { roleId } : undefined
  const secretAnswer = await calls.write(
    `auth/${mount}/role/${role}/secret-id`,
    {},
    `issue a secret_id for ${role} (never printed)`,
  )
  const secretId = (secretAnswer?.data as { secret_id?: unknown } | undefined)?.secret_id
  if (typeof roleId !== 'string') return undefined
  return typeof secretId === 'string' ? { roleId, secretId: new Secret(secretId) } : { roleId }
}
