/**
 * @module
 * `setup-vault`: configures a Vault for vault-controller as an operator would (token roles, the
 * controller's policy, its auth method), from an address and an admin token. See
 * docs/vault-setup.md, which also gives the equivalent `vault` CLI commands.
 *
 * @example
 * VAULT_TOKEN=… pnpm setup-vault --vault-addr https://vault:8200 --role pod-tokens \
 *   --allowed-policies-glob 'app-*' --auth kubernetes --kubernetes-host https://kubernetes.default.svc \
 *   --controller-namespace vault-controller --controller-service-account vault-controller
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DurationSyntaxError, parseVaultDurationSeconds } from '../policy/index.ts'
import { Secret } from '../secret.ts'
import { controllerPolicyHcl } from './controller-policy.ts'
import {
  type SetupAuth,
  type SetupResult,
  type SetupVaultOptions,
  setupVault,
  validateSetupOptions,
} from './setup-vault.ts'

const USAGE = `usage: setup-vault --vault-addr URL [--admin-token-file FILE] [options]

Configures Vault for vault-controller (idempotent): token role(s), the controller's policy,
and the auth method the controller logs in with. The admin token comes from --admin-token-file
or the VAULT_TOKEN environment variable; it is never printed.

Token roles
  --role NAME                     per-token role: the controller sends each pod's period (sudo on
                                  its create path only)
  --fixed-role NAME=PERIOD        a role with a fixed token_period, for fixedTtl rules (no sudo);
                                  repeatable
  --allowed-policies LIST         comma-separated; repeatable
  --allowed-policies-glob GLOB    e.g. 'app-*'; repeatable
  --disallowed-policies LIST      root is always added; repeatable
Controller policy
  --controller-policy NAME        default vault-controller
  --max-wrapping-ttl DURATION     ceiling on the create paths (makes wrapping mandatory); default
                                  5m; 0: none
Auth method of the controller
  --auth kubernetes|approle|none  default none
  --auth-mount PATH               default kubernetes / approle
  --auth-role NAME                default vault-controller
  --token-ttl DURATION            default 1h
  --token-max-ttl DURATION        default 24h
  --kubernetes-host URL           written to the mount's config (absent: keep the existing config)
  --kubernetes-ca-file FILE       PEM of the API server's CA
  --token-reviewer-jwt-file FILE  a JWT allowed to create TokenReviews
  --disable-local-ca-jwt          Vault runs outside the cluster
  --controller-namespace NS       the controller's namespace (kubernetes)
  --controller-service-account SA the controller's service account (kubernetes)
  --audience AUD                  bind the role to this audience of the controller's JWT
  --approle-role-id-file FILE     write the role_id here (approle)
  --approle-secret-id-file FILE   issue a secret_id and write it here, mode 0600 (approle)
Other
  --vault-addr URL                default $VAULT_ADDR
  --ca-file FILE                  PEM of Vault's CA; default $VAULT_CACERT
  --dry-run                       print the Vault calls, change nothing
  --print-policy                  print the controller's policy (HCL) and exit
  --help`

const OPTIONS = {
  'vault-addr': { type: 'string' },
  'admin-token-file': { type: 'string' },
  'ca-file': { type: 'string' },
  role: { type: 'string' },
  'fixed-role': { type: 'string', multiple: true },
  'allowed-policies': { type: 'string', multiple: true },
  'allowed-policies-glob': { type: 'string', multiple: true },
  'disallowed-policies': { type: 'string', multiple: true },
  'controller-policy': { type: 'string' },
  'max-wrapping-ttl': { type: 'string' },
  auth: { type: 'string' },
  'auth-mount': { type: 'string' },
  'auth-role': { type: 'string' },
  'token-ttl': { type: 'string' },
  'token-max-ttl': { type: 'string' },
  'kubernetes-host': { type: 'string' },
  'kubernetes-ca-file': { type: 'string' },
  'token-reviewer-jwt-file': { type: 'string' },
  'disable-local-ca-jwt': { type: 'boolean' },
  'controller-namespace': { type: 'string' },
  'controller-service-account': { type: 'string' },
  audience: { type: 'string' },
  'approle-role-id-file': { type: 'string' },
  'approle-secret-id-file': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'print-policy': { type: 'boolean' },
  help: { type: 'boolean' },
} as const

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

function commaList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean)
}

function seconds(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  if (text.trim() === '0') return 0
  try {
    return parseVaultDurationSeconds(text)
  } catch (error) {
    if (error instanceof DurationSyntaxError) throw new UsageError(`--${option}: ${error.message}`)
    throw error
  }
}

function readFile(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(
      `--${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
}

export interface ParsedCommand {
  options: SetupVaultOptions
  printPolicy: boolean
  roleIdFile?: string
  secretIdFile?: string
}

/** The command line (and environment) as setup options; throws UsageError. */
export function parseCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommand {
  let values: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; args: string[]; strict: true }>
  >['values']
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (values.help) throw new UsageError('')
  const vaultAddr = values['vault-addr'] ?? env.VAULT_ADDR
  const printPolicy = values['print-policy'] === true
  const dryRun = values['dry-run'] === true
  if (vaultAddr === undefined && !printPolicy && !dryRun)
    throw new UsageError('--vault-addr (or VAULT_ADDR) is required')

  const fixedRoles = (values['fixed-role'] ?? []).map((spec) => {
    const [name, period] = spec.split('=', 2)
    if (name === undefined || name === '' || period === undefined) {
      throw new UsageError(`--fixed-role ${spec}: expected NAME=PERIOD, e.g. pod-tokens-24h=24h`)
    }
    return { name: name.trim(), periodSeconds: seconds('fixed-role', period, 0) }
  })

  let adminToken: Secret | undefined
  const tokenFile = values['admin-token-file']
  if (tokenFile !== undefined) adminToken = new Secret(readFile('admin-token-file', tokenFile).trim())
  else if (env.VAULT_TOKEN !== undefined && env.VAULT_TOKEN !== '') adminToken = new Secret(env.VAULT_TOKEN)

  const caFile = values['ca-file'] ?? env.VAULT_CACERT
  const method = values.auth ?? 'none'
  let auth: SetupAuth
  const tokenTtlSeconds = seconds('token-ttl', values['token-ttl'], 3600)
  const tokenMaxTtlSeconds = seconds('token-max-ttl', values['token-max-ttl'], 86_400)
  if (method === 'kubernetes') {
    const caPath = values['kubernetes-ca-file']
    const reviewerPath = values['token-reviewer-jwt-file']
    auth = {
      method,
      namespace: values['controller-namespace'] ?? '',
      serviceAccount: values['controller-service-account'] ?? '',
      tokenTtlSeconds,
      tokenMaxTtlSeconds,
      ...(values['auth-mount'] === undefined ? {} : { mount: values['auth-mount'] }),
      ...(values['auth-role'] === undefined ? {} : { role: values['auth-role'] }),
      ...(values['kubernetes-host'] === undefined ? {} : { kubernetesHost: values['kubernetes-host'] }),
      ...(caPath === undefined ? {} : { kubernetesCaPem: readFile('kubernetes-ca-file', caPath) }),
      ...(reviewerPath === undefined
        ? {}
        : { tokenReviewerJwt: new Secret(readFile('token-reviewer-jwt-file', reviewerPath).trim()) }),
      ...(values['disable-local-ca-jwt'] === true ? { disableLocalCaJwt: true } : {}),
      ...(values.audience === undefined ? {} : { audience: values.audience }),
    }
  } else if (method === 'approle') {
    auth = {
      method,
      tokenTtlSeconds,
      tokenMaxTtlSeconds,
      issueSecretId: values['approle-secret-id-file'] !== undefined,
      ...(values['auth-mount'] === undefined ? {} : { mount: values['auth-mount'] }),
      ...(values['auth-role'] === undefined ? {} : { role: values['auth-role'] }),
    }
  } else if (method === 'none') {
    auth = { method }
  } else {
    throw new UsageError(`--auth must be kubernetes, approle or none, not ${method}`)
  }

  const options: SetupVaultOptions = {
    vaultAddr: vaultAddr ?? 'http://vault.invalid:8200',
    allowedPolicies: commaList(values['allowed-policies']),
    allowedPoliciesGlob: commaList(values['allowed-policies-glob']),
    disallowedPolicies: commaList(values['disallowed-policies']),
    fixedRoles,
    maxWrappingTtlSeconds: seconds('max-wrapping-ttl', values['max-wrapping-ttl'], 300),
    auth,
    dryRun,
    ...(values.role === undefined ? {} : { role: values.role }),
    ...(values['controller-policy'] === undefined ? {} : { controllerPolicy: values['controller-policy'] }),
    ...(adminToken === undefined ? {} : { adminToken }),
    ...(caFile === undefined ? {} : { caPem: readFile('ca-file', caFile) }),
  }
  if (!printPolicy) {
    const problems = validateSetupOptions(options)
    if (problems.length > 0) throw new UsageError(problems.join('\n'))
  }
  return {
    options,
    printPolicy,
    ...(values['approle-role-id-file'] === undefined ? {} : { roleIdFile: values['approle-role-id-file'] }),
    ...(values['approle-secret-id-file'] === undefined
      ? {}
      : { secretIdFile: values['approle-secret-id-file'] }),
  }
}

/** Human-readable report of what was (or would be) done; never a credential. */
export function formatSteps(result: SetupResult, dryRun: boolean): string {
  return result.steps
    .map((step) => {
      const mark = step.done ? '✓' : dryRun ? 'would' : '-'
      const body = step.body === undefined ? '' : `\n      ${JSON.stringify(step.body)}`
      return `  ${mark} ${step.method} /v1/${step.path}  (${step.description})${body}`
    })
    .join('\n')
}

export async function runSetupCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: (text: string) => void,
): Promise<void> {
  const command = parseCommand(argv, env)
  if (command.printPolicy) {
    const fixed = command.options.fixedRoles ?? []
    out(
      controllerPolicyHcl({
        perTokenRoles: command.options.role === undefined ? [] : [command.options.role],
        fixedPeriodRoles: fixed.map((role) => role.name),
        maxWrappingTtlSeconds: command.options.maxWrappingTtlSeconds ?? 300,
      }),
    )
    return
  }
  const dryRun = command.options.dryRun === true
  const result = await setupVault(command.options)
  out(`${dryRun ? 'setup-vault (dry run): these calls would be made' : 'setup-vault: done'}\n`)
  out(`${formatSteps(result, dryRun)}\n`)
  if (result.approle !== undefined) {
    if (command.roleIdFile !== undefined) {
      writeFileSync(command.roleIdFile, `${result.approle.roleId}\n`, { mode: 0o600 })
      out(`  role_id written to ${command.roleIdFile}\n`)
    } else {
      out(`  role_id: ${result.approle.roleId}\n`)
    }
    if (result.approle.secretId !== undefined && command.secretIdFile !== undefined) {
      writeFileSync(command.secretIdFile, `${result.approle.secretId.reveal()}\n`, { mode: 0o600 })
      out(`  secret_id written to ${command.secretIdFile} (mode 0600)\n`)
    }
  }
}

async function main(): Promise<void> {
  try {
    await runSetupCommand(process.argv.slice(2), process.env, (text) => process.stdout.write(text))
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        error.message === '' ? `${USAGE}\n` : `setup-vault: ${error.message}\n\n${USAGE}\n`,
      )
      process.exitCode = error.message === '' ? 0 : 2
      return
    }
    process.stderr.write(`${(error as Error).message}\n`)
    process.exitCode = 1
  }
}

if (import.meta.main) await main()
