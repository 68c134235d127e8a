/**
 * @module
 * `pnpm vault-dev`: vault-dev as a separate process. Prints exactly one JSON line on stdout
 * when ready, `{"addr": "...", "rootToken": "..."}`; everything else goes to stderr.
 * Flags: see packages/testkit/docs/vault-dev.md.
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { startVaultDev } from '../vault/vault-dev.ts'

const USAGE = `usage: vault-dev [--port N] [--host ADDR] [--root-token T] [--unseal-key K]
                 [--read-latency-ms N] [--write-latency-ms N] [--latency-jitter-ms N] [--log]`

function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(
      `vault-dev: --${name} must be a non-negative number, got ${JSON.stringify(text)}\n${USAGE}\n`,
    )
    process.exit(2)
  }
  return value
}

let parsed: ReturnType<typeof parseArgs<{ options: Record<string, { type: 'string' | 'boolean' }> }>>
try {
  parsed = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'root-token': { type: 'string' },
      'unseal-key': { type: 'string' },
      'read-latency-ms': { type: 'string' },
      'write-latency-ms': { type: 'string' },
      'latency-jitter-ms': { type: 'string' },
      log: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  })
} catch (error) {
  process.stderr.write(`vault-dev: ${(error as Error).message}\n${USAGE}\n`)
  process.exit(2)
}
const values = parsed.values as Record<string, string | boolean | undefined>
if (values.help) {
  process.stderr.write(`${USAGE}\n`)
  process.exit(0)
}
const text = (name: string): string | undefined => {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

process.stderr.write(
  'vault-dev: WARNING: this is a TEST server with an unauthenticated control API under /__testkit/. ' +
    'It must never hold real secrets.\n',
)

const vault = await startVaultDev({
  port: number('port', text('port'), 0),
  host: text('host') ?? '127.0.0.1',
  rootToken: text('root-token') ?? `hvs.${randomBytes(18).toString('base64url')}`,
  ...(text('unseal-key') !== undefined ? { unsealKey: text('unseal-key') as string } : {}),
  latency: {
    readMs: number('read-latency-ms', text('read-latency-ms'), 0),
    writeMs: number('write-latency-ms', text('write-latency-ms'), 0),
    jitterMs: number('latency-jitter-ms', text('latency-jitter-ms'), 0),
  },
  ...(values.log ? { log: (line: string) => process.stderr.write(`vault-dev: ${line}\n`) } : {}),
})
process.stderr.write(`vault-dev: listening on ${vault.addr}\n`)
process.stdout.write(`${JSON.stringify({ addr: vault.addr, rootToken: vault.rootToken })}\n`)

let closing = false
function shutdown(): void {
  if (closing) process.exit(1)
  closing = true
  vault.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
