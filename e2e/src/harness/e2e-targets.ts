/**
 * @module
 * What the suites run against, read once from the environment: by default the testkit servers
 * (vault-dev, kube-dev) started per suite; with `E2E_VAULT_ADDR` and `E2E_VAULT_TOKEN`, a real
 * Vault (docs/e2e.md). Cases that need a testkit-only hook (sealing without the key, fault
 * injection) are skipped against a real Vault, and say so in their name.
 */

export interface E2eTargets {
  /** A real Vault: its address and an operator token (root, or one with the rights in docs/e2e.md). */
  vault?: { addr: string; token: string }
  /** True when Vault is vault-dev, so its `/__testkit/` hooks exist. */
  testkitVault: boolean
}

export function readE2eTargets(env: Readonly<Record<string, string | undefined>>): E2eTargets {
  const addr = env.E2E_VAULT_ADDR
  const token = env.E2E_VAULT_TOKEN
  if ((addr === undefined || addr === '') !== (token === undefined || token === '')) {
    throw new Error('set both E2E_VAULT_ADDR and E2E_VAULT_TOKEN, or neither')
  }
  if (addr === undefined || addr === '' || token === undefined) return { testkitVault: true }
  return { vault: { addr, token }, testkitVault: false }
}

export const e2eTargets: E2eTargets = readE2eTargets(process.env)

/** The reason shown for a case skipped against a real Vault. */
export const NEEDS_VAULT_DEV = '(needs vault-dev test hooks: skipped against a real Vault)'
