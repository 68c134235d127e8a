/**
 * @module
 * Vault configured the way an operator following docs/configuration.md would: the pods' policies,
 * an orphan token role with an allowed list and no `token_period` (rules with `ttl` set a period
 * per token), and the controller's own policy — `update`+`sudo` on exactly the role's create path,
 * `update` on lookup/revoke by accessor, nothing else (the `default` policy covers its own token).
 * The controller gets a token from that policy, never root.
 */
import type { VaultAdmin } from './vault-admin.ts'

export const POD_TOKEN_ROLE = 'pod-tokens'

/** Policies pods may be granted (the allow-list names them) and one they may not. */
export const POD_POLICIES = {
  web: 'path "secret/data/web/*" { capabilities = ["read"] }',
  'db-read': 'path "database/creds/readonly" { capabilities = ["read"] }',
  admin: 'path "sys/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }',
} as const

export const CONTROLLER_POLICY_NAME = 'vault-controller'

export function controllerPolicyHcl(role: string): string {
  return [
    `path "auth/token/create/${role}" { capabilities = ["update", "sudo"] }`,
    'path "auth/token/lookup-accessor" { capabilities = ["update"] }',
    'path "auth/token/revoke-accessor" { capabilities = ["update"] }',
    '',
  ].join('\n')
}

export interface VaultSetup {
  role: string
  /** The controller's own token (write it to the controller's token file, never log it). */
  controllerToken: string
  controllerAccessor: string
}

export async function setUpVaultForController(vault: VaultAdmin, role = POD_TOKEN_ROLE): Promise<VaultSetup> {
  for (const [name, hcl] of Object.entries(POD_POLICIES)) await vault.writePolicy(name, hcl)
  await vault.writeTokenRole(role, {
    orphan: true,
    renewable: true,
    allowed_policies: ['web'],
    allowed_policies_glob: ['db-*'],
  })
  await vault.writePolicy(CONTROLLER_POLICY_NAME, controllerPolicyHcl(role))
  const { token, accessor } = await vault.createToken({
    policies: [CONTROLLER_POLICY_NAME],
    no_parent: true,
    period: '24h',
    display_name: 'vault-controller',
  })
  return { role, controllerToken: token, controllerAccessor: accessor }
}
