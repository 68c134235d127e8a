/**
 * @module
 * vault-init's configuration, read once from the environment and validated as a whole: every
 * bad variable is reported at once, by name, so one failed pod start shows everything to fix.
 * Values are never echoed back (an operator may paste a token into the wrong variable).
 *
 * The original init container's variables keep their names (`POD_NAME`, `POD_NAMESPACE`,
 * `VAULT_ADDR`, `VAULT_CONTROLLER_ADDR`), but the two addresses are now required: the original
 * defaults were plain-HTTP short names, and a security component should not guess where to send
 * the pod's identity token.
 *
 * The sidecar mode reads its own, smaller set (`parseSidecarConfig`): it only talks to Vault.
 */
import { isIP } from 'node:net'
import {
  DEFAULT_CALLBACK_PORT,
  DEFAULT_OUTPUT_DIR,
  DEFAULT_OUTPUT_FILE_MODE,
  DNS_1123_LABEL_MAX_LENGTH,
  DNS_1123_LABEL_PATTERN,
  DNS_1123_SUBDOMAIN_MAX_LENGTH,
  DNS_1123_SUBDOMAIN_PATTERN,
} from '@vault-controller/protocol'
import { parseDurationMs } from './duration.ts'
import { type LogLevel, logLevels } from './logger.ts'

/** Where the chart mounts the projected token whose audience is the controller's. */
export const DEFAULT_SA_TOKEN_FILE = '/var/run/secrets/vaultproject.io/identity/token'
export const DEFAULT_DEADLINE_MS = 5 * 60_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000
export const DEFAULT_LISTEN_ADDRESS = '0.0.0.0'

export interface VaultInitConfig {
  podName: string
  podNamespace: string
  /** Vault's base URL, without a trailing slash. */
  vaultAddr: string
  /** The controller's base URL, without a trailing slash. */
  controllerAddr: string
  saTokenFile: string
  callbackPort: number
  listenAddress: string
  outputDir: string
  fileMode: number
  deadlineMs: number
  /** Limit on one `POST /v1/token` attempt (the controller answers only after delivery). */
  requestTimeoutMs: number
  vaultCaFile?: string
  controllerCaFile?: string
  logLevel: LogLevel
}

/** A configuration, or every problem with the environment at once. */
export type ParsedConfig<T> = { ok: true; config: T; warnings: string[] } | { ok: false; errors: string[] }

export type ConfigResult = ParsedConfig<VaultInitConfig>

/** Help rows both modes share. */
const vaultCaHelp = ['VAULT_CACERT', '(system CAs)', 'PEM file of CAs trusted for Vault'] as const
const logLevelHelp = ['VAULT_INIT_LOG_LEVEL', 'info', 'debug, info, warn or error'] as const

/** Every variable vault-init reads, with its default and meaning (for `--help` and the docs). */
export const environmentHelp: ReadonlyArray<readonly [string, string, string]> = [
  ['POD_NAME', 'required', 'the pod’s name (downward API metadata.name)'],
  ['POD_NAMESPACE', 'required', 'the pod’s namespace (downward API metadata.namespace)'],
  ['VAULT_ADDR', 'required', 'Vault’s URL, for the unwrap (https:// outside loopback)'],
  ['VAULT_CONTROLLER_ADDR', 'required', 'the controller’s URL (https:// outside loopback)'],
  ['VAULT_INIT_SA_TOKEN_FILE', DEFAULT_SA_TOKEN_FILE, 'projected service-account token, re-read per attempt'],
  ['VAULT_INIT_CALLBACK_PORT', String(DEFAULT_CALLBACK_PORT), 'HTTPS callback port'],
  ['VAULT_INIT_LISTEN_ADDRESS', `POD_IP, else ${DEFAULT_LISTEN_ADDRESS}`, 'callback listen address (an IP)'],
  ['POD_IP', '(unset)', 'the pod’s IP (downward API status.podIP); listen address if the above is unset'],
  ['VAULT_INIT_OUTPUT_DIR', DEFAULT_OUTPUT_DIR, 'where token and secret.json are written'],
  ['VAULT_INIT_FILE_MODE', '0600', 'octal mode of both files; group/world-writable refused'],
  ['VAULT_INIT_DEADLINE', '5m', 'give up after this long (Vault duration: 300, 90s, 5m)'],
  ['VAULT_INIT_REQUEST_TIMEOUT', '60s', 'limit on one request to the controller'],
  vaultCaHelp,
  ['VAULT_CONTROLLER_CACERT', '(system CAs)', 'PEM file of CAs trusted for the controller'],
  logLevelHelp,
]

type Env = Readonly<Record<string, string | undefined>>

/** The variable readers both modes share; each records what is wrong in `errors`. */
function envReader(env: Env, errors: string[], warnings: string[]) {
  const value = (name: string): string | undefined => {
    const raw = env[name]
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim()
  }
  const required = (name: string): string => {
    const raw = value(name)
    if (raw === undefined) errors.push(`${name}: required`)
    return raw ?? ''
  }
  const url = (name: string): string => {
    const raw = required(name)
    if (raw === '') return ''
    let parsed: URL
    try {
      parsed = new URL(raw)
    } catch {
      errors.push(`${name}: must be an absolute http(s) URL`)
      return ''
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      errors.push(`${name}: must be an http:// or https:// URL`)
    } else if (
      parsed.username !== '' ||
      parsed.password !== '' ||
      parsed.search !== '' ||
      parsed.hash !== ''
    ) {
      errors.push(`${name}: must not carry credentials, a query or a fragment`)
    } else if (parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) {
      warnings.push(
        `${name} uses plain http:// to ${parsed.hostname}: tokens cross the network unencrypted; use https://`,
      )
    }
    return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '')
  }
  const outputDir = (): string => {
    const dir = value('VAULT_INIT_OUTPUT_DIR') ?? DEFAULT_OUTPUT_DIR
    if (!dir.startsWith('/')) errors.push('VAULT_INIT_OUTPUT_DIR: must be an absolute path')
    return dir
  }
  const logLevel = (): LogLevel => {
    const levelText = (value('VAULT_INIT_LOG_LEVEL') ?? 'info').toLowerCase()
    const level = logLevels.find((candidate) => candidate === levelText)
    if (level === undefined) errors.push(`VAULT_INIT_LOG_LEVEL: must be one of ${logLevels.join(', ')}`)
    return level ?? 'info'
  }
  return { value, required, url, outputDir, logLevel }
}

/** Reads and validates the whole configuration; never throws. */
export function parseConfig(env: Env): ConfigResult {
  const errors: string[] = []
  const warnings: string[] = []
  const { value, required, url, ...read } = envReader(env, errors, warnings)

  const podName = required('POD_NAME')
  if (podName !== '' && !isDns1123(podName, DNS_1123_SUBDOMAIN_PATTERN, DNS_1123_SUBDOMAIN_MAX_LENGTH)) {
    errors.push('POD_NAME: must be a Kubernetes pod name (DNS-1123 subdomain)')
  }
  const podNamespace = required('POD_NAMESPACE')
  if (podNamespace !== '' && !isDns1123(podNamespace, DNS_1123_LABEL_PATTERN, DNS_1123_LABEL_MAX_LENGTH)) {
    errors.push('POD_NAMESPACE: must be a Kubernetes namespace name (DNS-1123 label)')
  }

  const vaultAddr = url('VAULT_ADDR')
  const controllerAddr = url('VAULT_CONTROLLER_ADDR')

  const saTokenFile = value('VAULT_INIT_SA_TOKEN_FILE') ?? DEFAULT_SA_TOKEN_FILE

  let callbackPort = DEFAULT_CALLBACK_PORT
  const portText = value('VAULT_INIT_CALLBACK_PORT')
  if (portText !== undefined) {
    callbackPort = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
    if (!(callbackPort >= 1 && callbackPort <= 65_535)) {
      errors.push('VAULT_INIT_CALLBACK_PORT: must be an integer port, 1-65535')
    }
  }

  const listenAddress = value('VAULT_INIT_LISTEN_ADDRESS') ?? value('POD_IP') ?? DEFAULT_LISTEN_ADDRESS
  if (isIP(listenAddress) === 0) {
    const name = value('VAULT_INIT_LISTEN_ADDRESS') !== undefined ? 'VAULT_INIT_LISTEN_ADDRESS' : 'POD_IP'
    errors.push(`${name}: must be an IPv4 or IPv6 address`)
  }

  const outputDir = read.outputDir()

  let fileMode = DEFAULT_OUTPUT_FILE_MODE
  const modeText = value('VAULT_INIT_FILE_MODE')
  if (modeText !== undefined) {
    const match = /^(?:0o?)?([0-7]{3})$/i.exec(modeText)
    if (match?.[1] === undefined) {
      errors.push('VAULT_INIT_FILE_MODE: must be an octal mode such as 0600 or 0640')
    } else {
      fileMode = Number.parseInt(match[1], 8)
      if ((fileMode & 0o022) !== 0)
        errors.push('VAULT_INIT_FILE_MODE: group- or world-writable modes are refused')
      else if ((fileMode & 0o400) === 0) errors.push('VAULT_INIT_FILE_MODE: the owner must be able to read')
      if ((fileMode & 0o004) !== 0) warnings.push('VAULT_INIT_FILE_MODE makes the token world-readable')
    }
  }

  const duration = (name: string, fallbackMs: number): number => {
    const text = value(name)
    if (text === undefined) return fallbackMs
    const parsed = parseDurationMs(text)
    if (!parsed.ok) {
      errors.push(`${name}: ${parsed.error}`)
      return fallbackMs
    }
    return parsed.ms
  }
  const deadlineMs = duration('VAULT_INIT_DEADLINE', DEFAULT_DEADLINE_MS)
  const requestTimeoutMs = duration('VAULT_INIT_REQUEST_TIMEOUT', DEFAULT_REQUEST_TIMEOUT_MS)

  const vaultCaFile = value('VAULT_CACERT')
  const controllerCaFile = value('VAULT_CONTROLLER_CACERT')

  const logLevel = read.logLevel()

  return settle(errors, warnings, {
    podName,
    podNamespace,
    vaultAddr,
    controllerAddr,
    saTokenFile,
    callbackPort,
    listenAddress,
    outputDir,
    fileMode,
    deadlineMs,
    requestTimeoutMs,
    ...(vaultCaFile === undefined ? {} : { vaultCaFile }),
    ...(controllerCaFile === undefined ? {} : { controllerCaFile }),
    logLevel,
  })
}

/** The sidecar's configuration (`vault-init sidecar`): it only talks to Vault. */
export interface SidecarConfig {
  /** Vault's base URL, without a trailing slash. */
  vaultAddr: string
  /** Where the init container wrote `token` and `secret.json`. */
  outputDir: string
  /** When set (downward API), `secret.json` must name this pod. */
  pod?: { namespace: string; name: string }
  vaultCaFile?: string
  logLevel: LogLevel
}

export type SidecarConfigResult = ParsedConfig<SidecarConfig>

/** The variables the sidecar reads (for `--help` and the docs). */
export const sidecarEnvironmentHelp: ReadonlyArray<readonly [string, string, string]> = [
  ['VAULT_ADDR', 'required', 'Vault’s URL, for renew-self (https:// outside loopback)'],
  ['VAULT_INIT_OUTPUT_DIR', DEFAULT_OUTPUT_DIR, 'where the init container wrote token and secret.json'],
  ['POD_NAME', '(unset)', 'when set with POD_NAMESPACE, secret.json must name this pod'],
  ['POD_NAMESPACE', '(unset)', 'see POD_NAME'],
  vaultCaHelp,
  logLevelHelp,
]

/** Reads and validates the sidecar's configuration; never throws. */
export function parseSidecarConfig(env: Env): SidecarConfigResult {
  const errors: string[] = []
  const warnings: string[] = []
  const { value, url, ...read } = envReader(env, errors, warnings)
  const vaultAddr = url('VAULT_ADDR')
  const outputDir = read.outputDir()
  const name = value('POD_NAME')
  const namespace = value('POD_NAMESPACE')
  if ((name === undefined) !== (namespace === undefined)) {
    errors.push('POD_NAME and POD_NAMESPACE: set both or neither')
  }
  const vaultCaFile = value('VAULT_CACERT')
  const logLevel = read.logLevel()
  return settle(errors, warnings, {
    vaultAddr,
    outputDir,
    ...(name === undefined || namespace === undefined ? {} : { pod: { namespace, name } }),
    ...(vaultCaFile === undefined ? {} : { vaultCaFile }),
    logLevel,
  })
}

/** The configuration, unless a variable was wrong: then only the errors. */
function settle<T>(errors: string[], warnings: string[], config: T): ParsedConfig<T> {
  return errors.length > 0 ? { ok: false, errors } : { ok: true, warnings, config }
}

function isDns1123(text: string, pattern: string, maxLength: number): boolean {
  return text.length <= maxLength && new RegExp(pattern).test(text)
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
