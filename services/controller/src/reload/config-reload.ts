/**
 * @module
 * Runs the hot reload of the allow-list and of the controller's TLS certificate with the app:
 * watching starts when the app is ready (`onReady`) and stops when it closes (`onClose`), so no
 * watcher or timer outlives it. Call before `ready()`/`listen()`.
 *
 * @see docs/allow-list.md (reload) and docs/configuration.md (`CONFIG_RELOAD_INTERVAL`).
 */
import type { FastifyInstance } from 'fastify'
import type { AllowListSource, AllowListStatus } from './allow-list-source.ts'
import { type SecureContextTarget, type TlsFiles, TlsReloader } from './tls-reloader.ts'

/** What metrics want to know about reloads (see metrics/metrics.ts). */
export interface ReloadHooks {
  /** A changed file was applied, or refused. */
  onReload?(file: 'allow-list' | 'tls', outcome: 'applied' | 'rejected'): void
  /** Receives the getter of the allow-list in force (hash, generation). */
  trackAllowList?(read: () => AllowListStatus): void
}

export interface ConfigReloadOptions {
  /** Poll interval (`CONFIG_RELOAD_INTERVAL`); file-system events usually come first. */
  intervalMs: number
  allowList: AllowListSource
  /** The TLS files and the PEM the server was started with; absent: plain HTTP, nothing to reload. */
  tls?: TlsFiles & { cert: string; key: string }
  hooks?: ReloadHooks
}

export interface ConfigReload {
  /** The TLS reloader, when the app serves TLS (tests, status). */
  readonly tls: TlsReloader | undefined
}

/** Watches the allow-list and, with TLS, the certificate and key, for as long as `app` runs. */
export function runConfigReloadWith(app: FastifyInstance, options: ConfigReloadOptions): ConfigReload {
  const { intervalMs, allowList, hooks = {} } = options
  const log = app.log.child({ component: 'config-reload' })
  hooks.trackAllowList?.(() => allowList.status())
  let tls: TlsReloader | undefined
  if (options.tls !== undefined) {
    const server = app.server as unknown as Partial<SecureContextTarget>
    if (typeof server.setSecureContext !== 'function') {
      throw new TypeError('TLS reload needs an HTTPS server: build the app with its certificate and key')
    }
    const { certFile, keyFile, cert, key } = options.tls
    tls = new TlsReloader({
      certFile,
      keyFile,
      initial: { cert, key },
      server: server as SecureContextTarget,
      log,
      // An invalid pair is an error once it survived a whole poll interval (cert and key written
      // one after the other are briefly a mismatched pair).
      settleMs: intervalMs,
      onReload: (outcome) => hooks.onReload?.('tls', outcome),
    })
  }
  app.addHook('onReady', async () => {
    allowList.watch({
      intervalMs,
      log,
      onReload: (outcome) => hooks.onReload?.('allow-list', outcome),
    })
    tls?.watch({ intervalMs })
  })
  app.addHook('onClose', async () => {
    allowList.close()
    tls?.close()
  })
  return { tls }
}
