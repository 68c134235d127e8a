/**
 * @module
 * The bench's CI smoke: `bench --quick` (what `pnpm bench -- --quick` runs, built) completes,
 * writes the JSON report with the fields docs/performance.md promises, and its burst is clean —
 * no failures and exactly one live token per pod. Small numbers: well under a minute.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { artifacts } from '../paths.ts'
import { runNodeScript } from '../processes.ts'

const dir = mkdtempSync(join(tmpdir(), 'vault-controller-bench-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function runQuickBench(out: string) {
  return runNodeScript(artifacts.bench, ['--quick', '--out', out], 55_000)
}

const MODE_FIELDS = [
  'p50Ms',
  'p90Ms',
  'p99Ms',
  'throughputPerSec',
  'cpuMsPerIssuance',
  'peakRssMb',
  'vaultCallsPerIssuance',
  'apiCallsPerIssuance',
] as const

describe('bench --quick', () => {
  it('measures the three modes and a clean burst, and writes the JSON report', {
    timeout: 60_000,
  }, async () => {
    const out = join(dir, 'bench.json')
    const { code, stdout, stderr } = await runQuickBench(out)
    expect(stderr).not.toContain('bench failed')
    expect(code).toBe(0)
    expect(stdout).toMatch(/p50 \/ p90 \/ p99 ms/)
    const report = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>
    for (const mode of ['controller', 'floor', 'naive']) {
      const figures = report[mode] as Record<string, unknown>
      for (const field of MODE_FIELDS) expect(typeof figures[field], `${mode}.${field}`).toBe('number')
      expect(figures.failures, `${mode} failures`).toBe(0)
    }
    // Each mode mints exactly once per issuance through the role; the floor makes no API call.
    expect(report.floor?.apiCallsPerIssuance).toBe(0)
    expect(report.controller?.vaultCallsPerIssuance).toBeGreaterThanOrEqual(1)
    expect(report.naive?.apiCallsPerIssuance).toBeGreaterThan(
      report.controller?.apiCallsPerIssuance as number,
    )
    const burst = report.burst as Record<string, number>
    expect(burst.failures).toBe(0)
    expect(burst.liveTokens).toBe(burst.pods)
    expect(burst.podsWithToken).toBe(burst.pods)
    expect(burst.seconds).toBeGreaterThan(0)
    expect(report.machine?.cpus).toBeGreaterThan(0)
    expect(report.settings?.quick).toBe(true)
    // Tokens never reach the output: only accessors and numbers.
    for (const output of [stdout, stderr, readFileSync(out, 'utf8')]) {
      expect(output).not.toMatch(/hvs\.[A-Za-z0-9_-]{20,}/)
      expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/)
    }
  })
})
