import { describe, expect, it } from 'vitest'
import { DEFAULT_SA_TOKEN_FILE, parseConfig, parseSidecarConfig } from './config.ts'
import { parseDurationMs } from './duration.ts'

const minimal = {
  POD_NAME: 'web-1',
  POD_NAMESPACE: 'payments',
  VAULT_ADDR: 'https://vault.vault.svc:8200',
  VAULT_CONTROLLER_ADDR: 'https://vault-controller.vault.svc/',
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const result = parseConfig(minimal)
    expect(result).toEqual({
      ok: true,
      warnings: [],
      config: {
        podName: 'web-1',
        podNamespace: 'payments',
        vaultAddr: 'https://vault.vault.svc:8200',
        controllerAddr: 'https://vault-controller.vault.svc',
        saTokenFile: DEFAULT_SA_TOKEN_FILE,
        callbackPort: 9443,
        listenAddress: '0.0.0.0',
        outputDir: '/var/run/secrets/vaultproject.io',
        fileMode: 0o600,
        deadlineMs: 300_000,
        requestTimeoutMs: 60_000,
        logLevel: 'info',
      },
    })
  })

  it('reports every bad variable at once, by name, without echoing values', () => {
    const result = parseConfig({
      POD_NAMESPACE: 'Not_A_Namespace',
      VAULT_ADDR: 'ftp://vault',
      VAULT_CONTROLLER_ADDR: 'hvs.secretlooking',
      VAULT_INIT_CALLBACK_PORT: '70000',
      VAULT_INIT_LISTEN_ADDRESS: 'localhost',
      VAULT_INIT_OUTPUT_DIR: 'relative/dir',
      VAULT_INIT_FILE_MODE: '0666',
      VAULT_INIT_DEADLINE: '10',
      VAULT_INIT_REQUEST_TIMEOUT: '-5s',
      VAULT_INIT_LOG_LEVEL: 'loud',
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toEqual([
      'POD_NAME: required',
      'POD_NAMESPACE: must be a Kubernetes namespace name (DNS-1123 label)',
      'VAULT_ADDR: must be an http:// or https:// URL',
      'VAULT_CONTROLLER_ADDR: must be an absolute http(s) URL',
      'VAULT_INIT_CALLBACK_PORT: must be an integer port, 1-65535',
      'VAULT_INIT_LISTEN_ADDRESS: must be an IPv4 or IPv6 address',
      'VAULT_INIT_OUTPUT_DIR: must be an absolute path',
      'VAULT_INIT_FILE_MODE: group- or world-writable modes are refused',
      'VAULT_INIT_REQUEST_TIMEOUT: not a duration (use whole seconds or units: 500ms, 90s, 5m, 1h30m, 2d)',
      'VAULT_INIT_LOG_LEVEL: must be one of debug, info, warn, error',
    ])
    expect(result.errors.join()).not.toContain('hvs.')
  })

  it.each([
    ['0640', 0o640],
    ['600', 0o600],
    ['0o400', 0o400],
  ])('accepts file mode %s', (text, mode) => {
    const result = parseConfig({ ...minimal, VAULT_INIT_FILE_MODE: text })
    expect(result.ok && result.config.fileMode).toBe(mode)
  })

  it.each(['0620', '0602', '0200', '1600', '0x180', 'rw-------', '0800'])('refuses file mode %s', (text) => {
    const result = parseConfig({ ...minimal, VAULT_INIT_FILE_MODE: text })
    expect(result.ok).toBe(false)
    expect(!result.ok && result.errors[0]).toMatch(/^VAULT_INIT_FILE_MODE: /)
  })

  it('warns loudly about plain http outside loopback, not on loopback', () => {
    const remote = parseConfig({ ...minimal, VAULT_CONTROLLER_ADDR: 'http://vault-controller' })
    expect(remote.ok && remote.warnings).toEqual([
      'VAULT_CONTROLLER_ADDR uses plain http:// to vault-controller: tokens cross the network unencrypted; use https://',
    ])
    const loopback = parseConfig({ ...minimal, VAULT_ADDR: 'http://127.0.0.1:8200' })
    expect(loopback.ok && loopback.warnings).toEqual([])
  })

  it('listens on POD_IP unless VAULT_INIT_LISTEN_ADDRESS says otherwise', () => {
    const fromPodIp = parseConfig({ ...minimal, POD_IP: '127.0.0.42' })
    expect(fromPodIp.ok && fromPodIp.config.listenAddress).toBe('127.0.0.42')
    const explicit = parseConfig({ ...minimal, POD_IP: '10.0.0.1', VAULT_INIT_LISTEN_ADDRESS: '::' })
    expect(explicit.ok && explicit.config.listenAddress).toBe('::')
  })
})

describe('parseDurationMs', () => {
  it.each([
    ['300', 300_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['500ms', 500],
    ['1.5s', 1500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toEqual({ ok: true, ms })
  })

  it.each(['', '0', '0s', '-5s', '5 m', '5x', '1.5', 's', '5m-1s'])('refuses %j', (text) => {
    expect(parseDurationMs(text).ok).toBe(false)
  })
})

describe('parseSidecarConfig', () => {
  it('needs only VAULT_ADDR and ignores the init mode’s variables', () => {
    expect(parseSidecarConfig({ ...minimal, VAULT_CONTROLLER_ADDR: 'not a url' })).toEqual({
      ok: true,
      warnings: [],
      config: {
        vaultAddr: 'https://vault.vault.svc:8200',
        outputDir: '/var/run/secrets/vaultproject.io',
        pod: { namespace: 'payments', name: 'web-1' },
        logLevel: 'info',
      },
    })
    expect(
      parseSidecarConfig({ VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_CACERT: '/ca.pem' }),
    ).toMatchObject({
      ok: true,
      config: { vaultCaFile: '/ca.pem' },
    })
  })

  it('names every bad variable', () => {
    expect(
      parseSidecarConfig({
        POD_NAME: 'web-1',
        VAULT_INIT_OUTPUT_DIR: 'relative',
        VAULT_INIT_LOG_LEVEL: 'loud',
      }),
    ).toEqual({
      ok: false,
      errors: [
        'VAULT_ADDR: required',
        'VAULT_INIT_OUTPUT_DIR: must be an absolute path',
        'POD_NAME and POD_NAMESPACE: set both or neither',
        'VAULT_INIT_LOG_LEVEL: must be one of debug, info, warn, error',
      ],
    })
  })
})
