/**
 * @module
 * The controller's own Vault policy, as HCL: DESIGN §5 invariant 8 written down. The controller
 * may mint through its token roles, look up and revoke by accessor, and (through Vault's
 * `default` policy) renew and look up itself — nothing else. No root, and `sudo` only on the
 * create path of a per-token role, because Vault wants sudo to set a per-token `period` even
 * through a role (specs/vault-http-api.md §3.3 step 12, §4.6). Roles with a fixed `token_period`
 * need no sudo at all.
 *
 * `max_wrapping_ttl` on the create paths makes response wrapping mandatory: even by mistake, the
 * controller's token cannot mint a token it would receive in clear.
 */

export interface ControllerPolicyOptions {
  /** Roles the controller sends a per-pod `period` to: `update` + `sudo` on their create path. */
  perTokenRoles: readonly string[]
  /** Roles with their own `token_period`: `update` only. */
  fixedPeriodRoles: readonly string[]
  /** Wrapping TTL ceiling on the create paths; 0: no ceiling (wrapping then not enforced). */
  maxWrappingTtlSeconds: number
}

function createPathBlock(
  role: string,
  capabilities: readonly string[],
  maxWrappingTtlSeconds: number,
): string {
  const list = capabilities.map((capability) => `"${capability}"`).join(', ')
  const lines = [`path "auth/token/create/${role}" {`, `  capabilities = [${list}]`]
  if (maxWrappingTtlSeconds > 0) lines.push(`  max_wrapping_ttl = "${maxWrappingTtlSeconds}s"`)
  lines.push('}')
  return lines.join('\n')
}

/** The HCL text of the controller's policy. */
export function controllerPolicyHcl(options: ControllerPolicyOptions): string {
  const roleNames = [...options.perTokenRoles, ...options.fixedPeriodRoles]
  if (roleNames.length === 0) throw new Error('the controller policy needs at least one token role')
  for (const role of roleNames) {
    if (!/^\w([\w.-]*\w)?$/.test(role)) throw new Error(`invalid token role name ${JSON.stringify(role)}`)
  }
  const blocks = [
    [
      '# vault-controller: mint through its token roles, look up and revoke by accessor.',
      '# Renew-self and lookup-self come from the default policy. No root; sudo only where a',
      '# per-pod period is sent (Vault requires it to set `period`, even through a role).',
    ].join('\n'),
    ...options.perTokenRoles.map((role) =>
      createPathBlock(role, ['update', 'sudo'], options.maxWrappingTtlSeconds),
    ),
    ...options.fixedPeriodRoles.map((role) =>
      createPathBlock(role, ['update'], options.maxWrappingTtlSeconds),
    ),
    'path "auth/token/lookup-accessor" {\n  capabilities = ["update"]\n}',
    'path "auth/token/revoke-accessor" {\n  capabilities = ["update"]\n}',
  ]
  return `${blocks.join('\n\n')}\n`
}
