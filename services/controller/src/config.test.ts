import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.ts'

const minimal = {
  VAULT_ADDR: 'https://vault.example:8200',
  VAULT_TOKEN_FILE: '/var/run/secrets/vault/token',
  VAULT_TOKEN_ROLE: 'pod-tokens',
  ALLOW_LIST_FILE: '/etc/vault-controller/allow-list.yaml',
}

function problemsOf(env: Record<string, string>, readFile?: (path: string) => string): readonly string[] {
  try {
    loadConfig(env, readFile === undefined ? {} : { readFile })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('the configuration was accepted')
}

describe('loadConfig', () => {
  it('fills in the defaults of a minimal configuration', () => {
    const config = loadConfig({ ...minimal, CONTROLLER_ID: 'vault-controller-0' })
    expect(config).toEqual({
      listen: { host: '0.0.0.0', port: 8443 },
      logLevel: 'info',
      controllerId: 'vault-controller-0',
      vault: {
        addr: 'https://vault.example:8200',
        auth: { method: 'token', tokenFile: '/var/run/secrets/vault/token' },
        tokenRole: 'pod-tokens',
        wrapTtlSeconds: 60,
        maxConcurrency: 16,
        requestTimeoutMs: 10_000,
      },
      kube: {},
      identity: { mode: 'jwks', audience: 'vault-controller' },
      allowListFile: '/etc/vault-controller/allow-list.yaml',
      reload: { intervalMs: 10_000 },
      delivery: { mode: 'callback', connectTimeoutMs: 5000, totalTimeoutMs: 15_000 },
      limits: {
        requestDeadlineMs: 30_000,
        rateLimit: { max: 1200, windowMs: 60_000 },
        maxConcurrentIssuances: 256,
      },
      shutdownDelayMs: 5000,
      revocation: { giveUpAfterMs: 3_600_000 },
      legacy: { enabled: false, callbackPort: 80, callbackTimeoutMs: 10_000, checkCallerIp: true },
    })
  })

  it('reads the legacy protocol settings (off by default)', () => {
    const config = loadConfig({
      ...minimal,
      LEGACY_PROTOCOL: 'enabled',
      LEGACY_CALLBACK_PORT: '8080',
      LEGACY_CALLBACK_TIMEOUT: '3s',
      LEGACY_CHECK_CALLER_IP: 'disabled',
    })
    expect(config.legacy).toEqual({
      enabled: true,
      callbackPort: 8080,
      callbackTimeoutMs: 3000,
      checkCallerIp: false,
    })
    expect(problemsOf({ ...minimal, LEGACY_PROTOCOL: 'yes' })[0]).toMatch(/^LEGACY_PROTOCOL: must be one of /)
    expect(problemsOf({ ...minimal, LEGACY_CALLBACK_PORT: '0' })[0]).toMatch(/^LEGACY_CALLBACK_PORT: /)
    expect(problemsOf({ ...minimal, LEGACY_CALLBACK_TIMEOUT: 'never' })[0]).toMatch(
      /^LEGACY_CALLBACK_TIMEOUT: /,
    )
  })

  it('reads the revocation give-up bound as a duration', () => {
    expect(loadConfig({ ...minimal, REVOCATION_GIVE_UP_AFTER: '10m' }).revocation.giveUpAfterMs).toBe(600_000)
    expect(problemsOf({ ...minimal, REVOCATION_GIVE_UP_AFTER: 'soon' })[0]).toMatch(
      /^REVOCATION_GIVE_UP_AFTER: /,
    )
  })

  it('keeps the callback well inside the wrap TTL', () => {
    const config = loadConfig({ ...minimal, VAULT_WRAP_TTL: '10s' })
    expect(config.delivery.totalTimeoutMs).toBe(5000)
    expect(config.delivery.connectTimeoutMs).toBeLessThanOrEqual(config.delivery.totalTimeoutMs)
  })

  it('lists every bad setting at once, each by name', () => {
    const problems = problemsOf({
      VAULT_ADDR: 'not a url',
      VAULT_TOKEN_ROLE: 'pod tokens',
      LISTEN_PORT: '70000',
      IDENTITY_MODE: 'magic',
      DELIVERY_MODE: 'carrier-pigeon',
    })
    const named = problems.map((problem) => problem.split(':')[0])
    for (const setting of [
      'VAULT_ADDR',
      'VAULT_TOKEN_ROLE',
      'LISTEN_PORT',
      'IDENTITY_MODE',
      'DELIVERY_MODE',
      'ALLOW_LIST_FILE',
    ]) {
      expect(named).toContain(setting)
    }
    expect(problems).toContain('IDENTITY_MODE: must be one of jwks, token-review')
    expect(problems).toContain('ALLOW_LIST_FILE: required')
  })

  it('checks what the schema cannot: durations and settings that go together', () => {
    const problems = problemsOf({
      ...minimal,
      VAULT_TOKEN_FILE: '',
      VAULT_WRAP_TTL: 'soon',
      TLS_CERT_FILE: '/tls/tls.crt',
      VAULT_REQUEST_TIMEOUT: '1m',
    })
    expect(problems).toEqual([
      expect.stringMatching(/^VAULT_WRAP_TTL: /),
      'TLS_CERT_FILE, TLS_KEY_FILE: set both or neither',
      'VAULT_TOKEN_FILE: required when VAULT_AUTH_METHOD is token',
      'VAULT_REQUEST_TIMEOUT: must be shorter than REQUEST_DEADLINE',
    ])
  })

  it('reads a configuration file, the environment winning over it', () => {
    const file = 'VAULT_ADDR: http://file.example:8200\nVAULT_TOKEN_ROLE: from-file\nRATE_LIMIT_MAX: 3\n'
    const config = loadConfig(
      {
        CONTROLLER_CONFIG_FILE: '/etc/vault-controller/config.yaml',
        VAULT_TOKEN_ROLE: 'from-env',
        VAULT_TOKEN_FILE: '/token',
        ALLOW_LIST_FILE: '/allow',
      },
      { readFile: () => file },
    )
    expect(config.vault.addr).toBe('http://file.example:8200')
    expect(config.vault.tokenRole).toBe('from-env')
    expect(config.limits.rateLimit.max).toBe(3)
  })

  it('refuses unknown keys in the configuration file and names the file setting', () => {
    const problems = problemsOf(
      { ...minimal, CONTROLLER_CONFIG_FILE: '/c.yaml' },
      () => 'VAULT_TOKEN: hvs.nope\n',
    )
    expect(problems).toEqual(['CONTROLLER_CONFIG_FILE: /c.yaml: unknown setting VAULT_TOKEN'])
  })

  it('ignores the environment variables that are not settings', () => {
    const config = loadConfig({ ...minimal, VAULT_TOKEN: 'hvs.should-never-be-read', HOME: '/root' })
    expect(JSON.stringify(config)).not.toContain('hvs.')
  })
})
