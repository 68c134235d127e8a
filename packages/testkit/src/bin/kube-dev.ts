/**
 * @module
 * `pnpm kube-dev`: runs kube-dev as its own process. Prints exactly one JSON line on stdout when
 * ready — `{"server","token","issuer"}` — and logs everything else to stderr. Stops on SIGINT or
 * SIGTERM. Flags: see `--help` and docs/kube-dev.md.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { type KubeDevOptions, readSigningKeyPem, startKubeDev } from '../kube/kube-dev.ts'

const usage = `usage: kube-dev [--port N] [--host ADDR] [--admin-token TOKEN] [--issuer URL]
                [--signing-key PEM_FILE] [--tls] [--tls-cert PATH]
  --port         listen port, 0 = any free port (default 0)
  --host         listen address (default 127.0.0.1)
  --admin-token  fixed cluster-admin bearer token (default: random)
  --issuer       service-account issuer (default https://kubernetes.default.svc.cluster.local)
  --signing-key  PEM private key (RSA or EC) for service-account tokens (default: a fresh RSA-2048 key)
  --tls          serve HTTPS with a self-signed certificate
  --tls-cert     write that certificate (the cluster CA) to PATH; implies --tls`

function fail(message: string): never {
  process.stderr.write(`kube-dev: ${message}\n${usage}\n`)
  process.exit(2)
}

let values: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'admin-token': { type: 'string' },
      issuer: { type: 'string' },
      'signing-key': { type: 'string' },
      tls: { type: 'boolean' },
      'tls-cert': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values
}
try {
  values = parse()
} catch (error) {
  fail((error as Error).message)
}
if (values.help) {
  process.stderr.write(`${usage}\n`)
  process.exit(0)
}

const options: KubeDevOptions = {}
if (values.port !== undefined) {
  const port = Number(values.port)
  if (!/^\d+$/.test(values.port) || port > 65535)
    fail(`--port must be an integer 0..65535, got ${values.port}`)
  options.port = port
}
if (values.host !== undefined) options.host = values.host
if (values['admin-token'] !== undefined) {
  if (values['admin-token'] === '') fail('--admin-token must not be empty')
  options.adminToken = values['admin-token']
}
if (values.issuer !== undefined) options.issuer = values.issuer
if (values['signing-key'] !== undefined) {
  try {
    options.signingKey = { privateKeyPem: readSigningKeyPem(values['signing-key']) }
  } catch (error) {
    fail(`cannot read --signing-key ${values['signing-key']}: ${(error as Error).message}`)
  }
}
if (values['tls-cert'] !== undefined) options.tls = { certPath: values['tls-cert'] }
else if (values.tls) options.tls = true

let kube: Awaited<ReturnType<typeof startKubeDev>>
try {
  kube = await startKubeDev(options)
} catch (error) {
  process.stderr.write(`kube-dev: failed to start: ${(error as Error).message}\n`)
  process.exit(1)
}
writeFileSync(1, `${JSON.stringify({ server: kube.server, token: kube.token, issuer: kube.issuer })}\n`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1)
    stopping = true
    process.stderr.write(`kube-dev: ${signal}, shutting down\n`)
    kube.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
