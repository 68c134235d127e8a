/**
 * @module
 * The controller's configuration: one schema, validated once at start. Settings come from the
 * environment and, optionally, from a YAML or JSON file named by `CONTROLLER_CONFIG_FILE` whose
 * top-level keys are the same names; the environment wins over the file. Every bad setting is
 * listed at once, each message naming the setting, and nothing else in the controller reads
 * `process.env`: the rest of the code gets the typed {@link Config}.
 *
 * @see docs/configuration.md for every setting.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { DEFAULT_AUDIENCE, DEFAULT_WRAP_TTL_SECONDS, LEGACY_CALLBACK_PORT } from '@vault-controller/protocol'
import addFormats from 'ajv-formats'
import envSchema from 'env-schema'
import { type Static, Type } from 'typebox'
import { parse as parseYaml } from 'yaml'
import { DurationSyntaxError, parseVaultDurationSeconds } from './policy/index.ts'
import type { VaultAuthSettings } from './vault/vault-login.ts'

/** Names the optional configuration file; not itself a setting of the file. */
export const CONFIG_FILE_VARIABLE = 'CONTROLLER_CONFIG_FILE'

function oneOf<const T extends readonly string[]>(values: T, options: { default: T[number] }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** Where the kubelet mounts the pod's service-account token (Kubernetes auth's JWT). */
export const DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token'

/** A Vault duration (`"60s"`, `"5m"`, `"1h"`; a bare number is seconds). */
const Duration = (defaultValue: string) => Type.String({ minLength: 1, default: defaultValue })
const Path = Type.String({ minLength: 1 })

export const IDENTITY_MODES = ['jwks', 'token-review'] as const
export const DELIVERY_MODES = ['callback', 'response-body'] as const
export const VAULT_AUTH_METHODS = ['token', 'kubernetes', 'approle'] as const
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Every setting, as named in the environment. */
export const ConfigSchema = Type.Object({
  LISTEN_HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  LISTEN_PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 8443 }),
  TLS_CERT_FILE: Type.Optional(Path),
  TLS_KEY_FILE: Type.Optional(Path),
  LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'info' }),
  CONTROLLER_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 253, pattern: '^[\\x21-\\x7e]+$' })),

  VAULT_ADDR: Type.String({ format: 'uri', pattern: '^https?://' }),
  VAULT_CACERT: Type.Optional(Path),
  VAULT_AUTH_METHOD: oneOf(VAULT_AUTH_METHODS, { default: 'token' }),
  VAULT_TOKEN_FILE: Type.Optional(Path),
  // --- the controller's own Vault identity (vault/vault-token-source.ts) ---
  VAULT_AUTH_MOUNT: Type.Optional(Type.String({ minLength: 1, pattern: '^[\\w.-]+(/[\\w.-]+)*$' })),
  VAULT_AUTH_ROLE: Type.Optional(Type.String({ minLength: 1 })),
  VAULT_AUTH_TOKEN_FILE: Type.String({ minLength: 1, default: DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE }),
  VAULT_APPROLE_ROLE_ID_FILE: Type.Optional(Path),
  VAULT_APPROLE_SECRET_ID_FILE: Type.Optional(Path),
  // --- end of the controller's own Vault identity ---
  VAULT_TOKEN_ROLE: Type.String({ minLength: 1, maxLength: 128, pattern: '^\\w([\\w.-]*\\w)?$' }),
  VAULT_WRAP_TTL: Duration(`${DEFAULT_WRAP_TTL_SECONDS}s`),
  VAULT_MAX_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  VAULT_REQUEST_TIMEOUT: Duration('10s'),

  KUBECONFIG: Type.Optional(Path),
  IDENTITY_MODE: oneOf(IDENTITY_MODES, { default: 'jwks' }),
  TOKEN_AUDIENCE: Type.String({ minLength: 1, default: DEFAULT_AUDIENCE }),
  OIDC_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWKS_URL: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://' })),

  ALLOW_LIST_FILE: Path,
  // How often the allow-list and TLS files are re-read, besides file-system events (reload/).
  CONFIG_RELOAD_INTERVAL: Duration('10s'),
  DELIVERY_MODE: oneOf(DELIVERY_MODES, { default: 'callback' }),
  REQUEST_DEADLINE: Duration('30s'),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 1200 }),
  RATE_LIMIT_WINDOW: Duration('1m'),
  MAX_CONCURRENT_ISSUANCES: Type.Integer({ minimum: 1, maximum: 100_000, default: 256 }),
  SHUTDOWN_DELAY: Duration('5s'),
  AUDIT_LOG_FILE: Type.Optional(Path),
  // --- revocation (revocation/) ---
  REVOCATION_GIVE_UP_AFTER: Duration('1h'),
  // --- end of revocation ---
  // --- legacy protocol (legacy/, docs/migration.md) ---
  LEGACY_PROTOCOL: oneOf(['enabled', 'disabled'] as const, { default: 'disabled' }),
  LEGACY_CALLBACK_PORT: Type.Integer({ minimum: 1, maximum: 65_535, default: LEGACY_CALLBACK_PORT }),
  LEGACY_CALLBACK_TIMEOUT: Duration('10s'),
  LEGACY_CHECK_CALLER_IP: oneOf(['enabled', 'disabled'] as const, { default: 'enabled' }),
  // --- end of legacy protocol ---
})
type RawConfig = Static<typeof ConfigSchema>

export type IdentityMode = (typeof IDENTITY_MODES)[number]
export type DeliveryMode = (typeof DELIVERY_MODES)[number]
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Config {
  listen: { host: string; port: number; tls?: { certFile: string; keyFile: string } }
  logLevel: LogLevel
  /** This replica's name, written into issuance records (the pod name in a cluster). */
  controllerId: string
  vault: {
    addr: string
    caCertFile?: string
    /** How the controller obtains its own Vault token (see vault/vault-login.ts). */
    auth: VaultAuthSettings
    tokenRole: string
    wrapTtlSeconds: number
    maxConcurrency: number
    requestTimeoutMs: number
  }
  /** A kubeconfig path; absent: in-cluster configuration. */
  kube: { kubeconfig?: string }
  identity: { mode: IdentityMode; audience: string; issuer?: string; jwksUrl?: string }
  allowListFile: string
  /** The allow-list and TLS files are polled this often (and watched for events). */
  reload: { intervalMs: number }
  delivery: { mode: DeliveryMode; connectTimeoutMs: number; totalTimeoutMs: number }
  limits: {
    requestDeadlineMs: number
    rateLimit: { max: number; windowMs: number }
    /** Issuances in progress at once on this replica; more get `429 VC_RATE_LIMITED` at once. */
    maxConcurrentIssuances: number
  }
  shutdownDelayMs: number
  /** Where audit lines go; absent: stdout (each line carries `"audit":1`). */
  auditLogFile?: string
  /** How long a pod's revocation is retried before its finalizer is removed anyway. */
  revocation: { giveUpAfterMs: number }
  /** The original, unauthenticated protocol (`POST /token`), for migrations; off by default. */
  legacy: { enabled: boolean; callbackPort: number; callbackTimeoutMs: number; checkCallerIp: boolean }
}

/** The configuration was refused: `problems` has one line per bad setting, each naming it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.problems = problems
  }
}

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

/** `/VAULT_ADDR` + `format` → `VAULT_ADDR: must match format "uri"`; a missing key names itself. */
function describeAjvErrors(errors: readonly AjvError[]): string[] {
  return errors.map((error) => {
    const key =
      error.keyword === 'required' ? String(error.params.missingProperty) : error.instancePath.slice(1)
    if (error.keyword === 'required') return `${key}: required`
    if (error.keyword === 'enum') {
      return `${key}: must be one of ${(error.params.allowedValues as string[]).join(', ')}`
    }
    return `${key}: ${error.message ?? 'invalid'}`
  })
}

function readConfigFile(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let text: string
  try {
    text = readFile(path)
  } catch (error) {
    throw new ConfigError([`${CONFIG_FILE_VARIABLE}: cannot read ${path}: ${(error as Error).message}`])
  }
  let content: unknown
  try {
    content = parseYaml(text)
  } catch (error) {
    throw new ConfigError([
      `${CONFIG_FILE_VARIABLE}: ${path} is not valid YAML or JSON: ${(error as Error).message}`,
    ])
  }
  if (content === null || content === undefined) return {}
  if (typeof content !== 'object' || Array.isArray(content)) {
    throw new ConfigError([`${CONFIG_FILE_VARIABLE}: ${path} must hold a mapping of setting names to values`])
  }
  const known = new Set(Object.keys(ConfigSchema.properties))
  const unknown = Object.keys(content).filter((key) => !known.has(key))
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((key) => `${CONFIG_FILE_VARIABLE}: ${path}: unknown setting ${key}`))
  }
  // Values are validated with the environment's coercion rules, so the file may spell numbers either way.
  return Object.fromEntries(Object.entries(content).map(([key, value]) => [key, String(value)]))
}

export interface LoadConfigOptions {
  /** Reads the configuration file; default `readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string
}

/**
 * Validates the settings in `env` (and the file it names) and returns the typed configuration.
 * @throws ConfigError listing every bad setting.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): Config {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'))
  const filePath = env[CONFIG_FILE_VARIABLE]
  const fromFile = filePath === undefined || filePath === '' ? {} : readConfigFile(filePath, readFile)
  const fromEnv = Object.fromEntries(
    Object.keys(ConfigSchema.properties)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  )

  let raw: RawConfig
  try {
    raw = envSchema<RawConfig>({
      schema: structuredClone(ConfigSchema),
      env: false,
      data: { ...fromFile, ...fromEnv },
      ajv: {
        customOptions(ajv) {
          addFormats.default(ajv as unknown as Parameters<typeof addFormats.default>[0])
          return ajv
        },
      },
    })
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors
    if (errors === undefined) throw error
    throw new ConfigError(describeAjvErrors(errors))
  }
  return interpret(raw)
}

/** What the schema cannot say: durations, settings that need each other. */
function interpret(raw: RawConfig): Config {
  const problems: string[] = []
  const seconds = (key: keyof RawConfig, text: string): number => {
    try {
      return parseVaultDurationSeconds(text)
    } catch (error) {
      if (!(error instanceof DurationSyntaxError)) throw error
      problems.push(`${key}: ${error.message}; expected a duration such as "30s", "5m" or "1h"`)
      return 1
    }
  }
  const wrapTtlSeconds = seconds('VAULT_WRAP_TTL', raw.VAULT_WRAP_TTL)
  const requestDeadlineMs = seconds('REQUEST_DEADLINE', raw.REQUEST_DEADLINE) * 1000
  const vaultRequestTimeoutMs = seconds('VAULT_REQUEST_TIMEOUT', raw.VAULT_REQUEST_TIMEOUT) * 1000
  const rateLimitWindowMs = seconds('RATE_LIMIT_WINDOW', raw.RATE_LIMIT_WINDOW) * 1000
  const shutdownDelayMs = seconds('SHUTDOWN_DELAY', raw.SHUTDOWN_DELAY) * 1000
  const revocationGiveUpAfterMs = seconds('REVOCATION_GIVE_UP_AFTER', raw.REVOCATION_GIVE_UP_AFTER) * 1000
  const reloadIntervalMs = seconds('CONFIG_RELOAD_INTERVAL', raw.CONFIG_RELOAD_INTERVAL) * 1000
  const legacyCallbackTimeoutMs = seconds('LEGACY_CALLBACK_TIMEOUT', raw.LEGACY_CALLBACK_TIMEOUT) * 1000

  if ((raw.TLS_CERT_FILE === undefined) !== (raw.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE, TLS_KEY_FILE: set both or neither')
  }
  const auth = vaultAuthOf(raw, problems)
  if (vaultRequestTimeoutMs >= requestDeadlineMs) {
    problems.push('VAULT_REQUEST_TIMEOUT: must be shorter than REQUEST_DEADLINE')
  }
  if (problems.length > 0) throw new ConfigError(problems)

  // The callback must be over well within the wrap TTL (the wrapping token must not be left
  // usable for long) and within the request deadline (the init container waits for the outcome).
  const totalTimeoutMs = Math.max(1000, Math.min(wrapTtlSeconds * 500, requestDeadlineMs / 2))
  const connectTimeoutMs = Math.min(5000, Math.max(250, Math.floor(totalTimeoutMs / 3)))

  const config: Config = {
    listen: { host: raw.LISTEN_HOST, port: raw.LISTEN_PORT },
    logLevel: raw.LOG_LEVEL,
    controllerId: raw.CONTROLLER_ID ?? hostname(),
    vault: {
      addr: raw.VAULT_ADDR,
      auth,
      tokenRole: raw.VAULT_TOKEN_ROLE,
      wrapTtlSeconds,
      maxConcurrency: raw.VAULT_MAX_CONCURRENCY,
      requestTimeoutMs: vaultRequestTimeoutMs,
    },
    kube: {},
    identity: { mode: raw.IDENTITY_MODE, audience: raw.TOKEN_AUDIENCE },
    allowListFile: raw.ALLOW_LIST_FILE,
    reload: { intervalMs: reloadIntervalMs },
    delivery: { mode: raw.DELIVERY_MODE, connectTimeoutMs, totalTimeoutMs },
    limits: {
      requestDeadlineMs,
      rateLimit: { max: raw.RATE_LIMIT_MAX, windowMs: rateLimitWindowMs },
      maxConcurrentIssuances: raw.MAX_CONCURRENT_ISSUANCES,
    },
    shutdownDelayMs,
    revocation: { giveUpAfterMs: revocationGiveUpAfterMs },
    legacy: {
      enabled: raw.LEGACY_PROTOCOL === 'enabled',
      callbackPort: raw.LEGACY_CALLBACK_PORT,
      callbackTimeoutMs: legacyCallbackTimeoutMs,
      checkCallerIp: raw.LEGACY_CHECK_CALLER_IP === 'enabled',
    },
  }
  if (raw.TLS_CERT_FILE !== undefined && raw.TLS_KEY_FILE !== undefined) {
    config.listen.tls = { certFile: raw.TLS_CERT_FILE, keyFile: raw.TLS_KEY_FILE }
  }
  if (raw.VAULT_CACERT !== undefined) config.vault.caCertFile = raw.VAULT_CACERT
  if (raw.KUBECONFIG !== undefined) config.kube.kubeconfig = raw.KUBECONFIG
  if (raw.OIDC_ISSUER !== undefined) config.identity.issuer = raw.OIDC_ISSUER
  if (raw.JWKS_URL !== undefined) config.identity.jwksUrl = raw.JWKS_URL
  if (raw.AUDIT_LOG_FILE !== undefined) config.auditLogFile = raw.AUDIT_LOG_FILE
  return config
}

/** The controller's own Vault identity: each method's required settings, named when missing. */
function vaultAuthOf(raw: RawConfig, problems: string[]): VaultAuthSettings {
  const method = raw.VAULT_AUTH_METHOD
  const requiredFor = (setting: keyof RawConfig, value: string | undefined): string => {
    if (value === undefined) problems.push(`${setting}: required when VAULT_AUTH_METHOD is ${method}`)
    return value ?? ''
  }
  switch (method) {
    case 'token':
      return { method, tokenFile: requiredFor('VAULT_TOKEN_FILE', raw.VAULT_TOKEN_FILE) }
    case 'kubernetes':
      return {
        method,
        mount: raw.VAULT_AUTH_MOUNT ?? 'kubernetes',
        role: requiredFor('VAULT_AUTH_ROLE', raw.VAULT_AUTH_ROLE),
        jwtFile: raw.VAULT_AUTH_TOKEN_FILE,
      }
    case 'approle':
      return {
        method,
        mount: raw.VAULT_AUTH_MOUNT ?? 'approle',
        roleIdFile: requiredFor('VAULT_APPROLE_ROLE_ID_FILE', raw.VAULT_APPROLE_ROLE_ID_FILE),
        secretIdFile: requiredFor('VAULT_APPROLE_SECRET_ID_FILE', raw.VAULT_APPROLE_SECRET_ID_FILE),
      }
  }
}

/** Reads a file a setting names; a failure names the setting. */
export function readSettingFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError([
      `${setting}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    ])
  }
}
