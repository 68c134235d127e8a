/**
 * @module
 * vault-init's log: one JSON object per line on stderr, levels from `VAULT_INIT_LOG_LEVEL`.
 * Hand-written rather than pino: an init container logs a dozen lines, and pino's worker-thread
 * transports do not survive bundling into one file without a plugin.
 *
 * Tokens are never passed to the logger (callers log accessors); as a second layer every line
 * is scrubbed of anything shaped like a Vault token or a JWT before it is written.
 */

export const logLevels = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof logLevels)[number]

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

const VAULT_TOKEN_SHAPE = /\bhv[sbr]\.[A-Za-z0-9_-]+/g
const JWT_SHAPE = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g

/** Replaces anything shaped like a Vault token or a JWT. */
export function scrubTokens(text: string): string {
  return text.replace(VAULT_TOKEN_SHAPE, '[REDACTED]').replace(JWT_SHAPE, '[REDACTED]')
}

export interface JsonLoggerOptions {
  level: LogLevel
  /** Receives each finished line, newline included. Default: stderr. */
  write?: (line: string) => void
  now?: () => number
}

/** A logger writing JSON lines; `level` and below are dropped. */
export function jsonLogger(options: JsonLoggerOptions): Logger {
  const { write = (line) => process.stderr.write(line), now = Date.now } = options
  const threshold = logLevels.indexOf(options.level)
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (logLevels.indexOf(level) < threshold) return
    const record = { time: new Date(now()).toISOString(), level, name: 'vault-init', msg, ...fields }
    write(`${scrubTokens(JSON.stringify(record, errorReplacer))}\n`)
  }
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  }
}

/** Errors serialise as name, message and code only: never stacks of objects that may hold headers. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    return { name: value.name, message: value.message, ...(typeof code === 'string' ? { code } : {}) }
  }
  return value
}

/** A logger that drops everything (library default). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
