/**
 * @module
 * The controller process: read the configuration, build the app, listen, and shut down with
 * grace (readiness flips first, so endpoints drain, then in-flight requests finish). `--help`
 * lists the settings; `--version` prints the version. Nothing else lives here.
 */
import { readFileSync } from 'node:fs'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, ConfigSchema, loadConfig, readSettingFile } from './config.ts'
import { createDeps } from './create-deps.ts'
import { createMetrics } from './metrics/metrics.ts'
import { runConfigReloadWith } from './reload/config-reload.ts'
import { revocationSettingsOf, runRevocationWatcherWith } from './revocation/revocation-watcher.ts'
import type { Readiness } from './routes/health.ts'

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version

function help(): string {
  const lines = Object.entries(ConfigSchema.properties).map(([name, schema]) => {
    const { default: fallback, enum: choices } = schema as { default?: unknown; enum?: string[] }
    const required =
      fallback === undefined && ((ConfigSchema.required ?? []) as readonly string[]).includes(name)
        ? ' (required)'
        : ''
    const options = choices === undefined ? '' : ` one of ${choices.join(', ')}`
    const defaultText = fallback === undefined ? '' : ` default ${String(fallback)}`
    return `  ${name}${required}${options}${defaultText}`
  })
  return [
    `vault-controller ${VERSION}: per-pod Vault tokens for Kubernetes (protocol v1).`,
    '',
    'Settings come from the environment, or from a YAML/JSON file named by CONTROLLER_CONFIG_FILE',
    '(same names; the environment wins). See docs/configuration.md.',
    '',
    ...lines,
  ].join('\n')
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${help()}\n`)
    return
  }
  if (process.argv.includes('--version')) {
    process.stdout.write(`${VERSION}\n`)
    return
  }

  let started: { close(): Promise<void> } | undefined
  try {
    const config = loadConfig(process.env)
    const https =
      config.listen.tls === undefined
        ? undefined
        : {
            cert: readSettingFile('TLS_CERT_FILE', config.listen.tls.certFile),
            key: readSettingFile('TLS_KEY_FILE', config.listen.tls.keyFile),
          }
    const metrics = createMetrics()
    const created = createDeps(config, { metrics })
    const readiness: Readiness = { shuttingDown: false }
    const app = await buildApp(
      { ...created.deps, readiness, metrics },
      config,
      https === undefined ? {} : { https },
    )
    started = created
    // --- revocation when pods go away (revocation/) ---
    runRevocationWatcherWith(
      app,
      { kube: created.kube, vault: created.deps.vault, audit: created.deps.audit, metrics },
      revocationSettingsOf(config),
      readiness,
    )
    // --- end of revocation ---
    // --- hot reload of the allow-list and the TLS certificate (reload/) ---
    runConfigReloadWith(app, {
      intervalMs: config.reload.intervalMs,
      allowList: created.allowListSource,
      hooks: {
        onReload: (file, outcome) => metrics.countConfigReload(file, outcome),
        trackAllowList: (read) => metrics.trackAllowList(read),
      },
      ...(https === undefined || config.listen.tls === undefined
        ? {}
        : { tls: { ...config.listen.tls, ...https } }),
    })
    // --- end of hot reload ---

    closeWithGrace(
      { delay: config.shutdownDelayMs + config.limits.requestDeadlineMs + 5000 },
      async ({ err, signal }) => {
        if (err !== undefined) app.log.error({ err }, 'shutting down after an error')
        else app.log.info({ signal }, 'shutting down')
        readiness.shuttingDown = true
        // Let the endpoints controller notice /readyz before the listener goes away.
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs))
        await app.close()
        await created.close()
      },
    )
    await app.listen({ host: config.listen.host, port: config.listen.port })
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`vault-controller: ${error.message}\n`)
      process.exitCode = 1
      await started?.close()
      return
    }
    throw error
  }
}

await main()
