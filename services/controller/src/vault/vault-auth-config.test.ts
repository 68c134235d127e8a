/** `VAULT_AUTH_METHOD` and its settings: each method's requirements, named when missing. */
import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE, loadConfig } from '../config.ts'

const base = {
  VAULT_ADDR: 'https://vault.example:8200',
  VAULT_TOKEN_ROLE: 'pod-tokens',
  ALLOW_LIST_FILE: '/etc/vault-controller/allow-list.yaml',
}

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('the configuration was accepted')
}

describe('the controller’s Vault auth settings', () => {
  it('kubernetes: the role is required; mount and JWT file have defaults', () => {
    expect(problemsOf({ ...base, VAULT_AUTH_METHOD: 'kubernetes' })).toEqual([
      'VAULT_AUTH_ROLE: required when VAULT_AUTH_METHOD is kubernetes',
    ])
    expect(
      loadConfig({ ...base, VAULT_AUTH_METHOD: 'kubernetes', VAULT_AUTH_ROLE: 'vault-controller' }).vault
        .auth,
    ).toEqual({
      method: 'kubernetes',
      mount: 'kubernetes',
      role: 'vault-controller',
      jwtFile: DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE,
    })
    expect(
      loadConfig({
        ...base,
        VAULT_AUTH_METHOD: 'kubernetes',
        VAULT_AUTH_ROLE: 'r',
        VAULT_AUTH_MOUNT: 'clusters/prod',
        VAULT_AUTH_TOKEN_FILE: '/var/run/secrets/tokens/vault',
      }).vault.auth,
    ).toEqual({
      method: 'kubernetes',
      mount: 'clusters/prod',
      role: 'r',
      jwtFile: '/var/run/secrets/tokens/vault',
    })
  })

  it('approle: both credential files are required; the mount defaults to approle', () => {
    expect(problemsOf({ ...base, VAULT_AUTH_METHOD: 'approle' })).toEqual([
      'VAULT_APPROLE_ROLE_ID_FILE: required when VAULT_AUTH_METHOD is approle',
      'VAULT_APPROLE_SECRET_ID_FILE: required when VAULT_AUTH_METHOD is approle',
    ])
    expect(
      loadConfig({
        ...base,
        VAULT_AUTH_METHOD: 'approle',
        VAULT_APPROLE_ROLE_ID_FILE: '/etc/approle/role-id',
        VAULT_APPROLE_SECRET_ID_FILE: '/etc/approle/secret-id',
      }).vault.auth,
    ).toEqual({
      method: 'approle',
      mount: 'approle',
      roleIdFile: '/etc/approle/role-id',
      secretIdFile: '/etc/approle/secret-id',
    })
  })

  it('refuses an unknown method and a malformed mount, by name', () => {
    const problems = problemsOf({ ...base, VAULT_AUTH_METHOD: 'ldap', VAULT_AUTH_MOUNT: '/kubernetes/' })
    expect(problems).toContain('VAULT_AUTH_METHOD: must be one of token, kubernetes, approle')
    expect(problems.some((problem) => problem.startsWith('VAULT_AUTH_MOUNT: '))).toBe(true)
  })
})
