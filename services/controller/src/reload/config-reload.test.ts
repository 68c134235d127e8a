import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '@vault-controller/testkit'
import Fastify from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMetrics } from '../metrics/metrics.ts'
import { AllowListSource, sha256Hex } from './allow-list-source.ts'
import { runConfigReloadWith } from './config-reload.ts'

const ONE_RULE = `rules:
  - name: shop-web
    namespaces: ["shop"]
    serviceAccounts: ["web"]
    policies: ["web"]
    ttl: { default: 1h, max: 24h }
`

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'config-reload-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('runConfigReloadWith', () => {
  it('watches while the app runs, feeds the metrics, and stops when the app closes', async () => {
    const file = join(dir, 'allow-list.yaml')
    writeFileSync(file, '')
    const source = new AllowListSource(file, '')
    const metrics = createMetrics({ processMetrics: false })
    const app = Fastify({ logger: false })
    runConfigReloadWith(app, {
      intervalMs: 60_000,
      allowList: source,
      hooks: {
        onReload: (kind, outcome) => metrics.countConfigReload(kind, outcome),
        trackAllowList: (read) => metrics.trackAllowList(read),
      },
    })
    await app.ready()

    writeFileSync(file, ONE_RULE)
    await waitFor(() => source.status().generation === 2, { description: 'the reload' })
    writeFileSync(file, 'rules: [')
    const text = await waitFor(
      async () => {
        const exposition = await metrics.registry.metrics()
        return exposition.includes('outcome="rejected"') && exposition
      },
      { description: 'the rejected reload in the metrics' },
    )
    expect(text).toContain('vault_controller_config_reloads_total{file="allow-list",outcome="applied"} 1')
    expect(text).toContain('vault_controller_config_reloads_total{file="allow-list",outcome="rejected"} 1')
    expect(text).toContain(`vault_controller_allow_list_generation{sha256="${sha256Hex(ONE_RULE)}"} 2`)

    await app.close()
    // Closed: the source can be watched again (it would refuse while a watch is running).
    expect(() => source.watch({ intervalMs: 60_000, log: app.log })).not.toThrow()
    source.close()
  })

  it('refuses to reload TLS on a plain HTTP server', () => {
    const app = Fastify({ logger: false })
    expect(() =>
      runConfigReloadWith(app, {
        intervalMs: 1000,
        allowList: new AllowListSource(join(dir, 'a.yaml'), ''),
        tls: { certFile: 'c', keyFile: 'k', cert: '', key: '' },
      }),
    ).toThrow(/needs an HTTPS server/)
  })
})
