/**
 * @module
 * From a run's raw measurements to the report the issue asks for: per mode `p50Ms`, `p90Ms`,
 * `p99Ms` (latency phase, until the issuer's answer), `throughputPerSec` (saturation phase),
 * `cpuMsPerIssuance`, `peakRssMb`, `vaultCallsPerIssuance` and `apiCallsPerIssuance` (counted by
 * the servers over both phases), each also as a ratio to the floor; the burst; the machine and
 * the settings. Printed as a table and written as JSON.
 */
import { cpus, release, totalmem } from 'node:os'
import { type BenchRun, type CallCounts, type ModeMeasurement, POD_VAULT_ROUTE } from './bench-run.ts'
import type { BenchMode, BenchSettings } from './bench-settings.ts'
import type { IssueResult } from './worker-messages.ts'

export interface ModeReport {
  p50Ms: number
  p90Ms: number
  p99Ms: number
  throughputPerSec: number
  cpuMsPerIssuance: number
  peakRssMb: number
  vaultCallsPerIssuance: number
  apiCallsPerIssuance: number
  /** Until the pod held its unwrapped token (before the issuer's answer). */
  heldP50Ms: number
  heldP99Ms: number
  issued: number
  failures: number
  /** This mode's figure divided by the floor's (throughput: floor's divided by this one's is not used). */
  ratioToFloor?: { p50: number; p90: number; p99: number; throughput: number; cpuMsPerIssuance: number }
  vaultCallsByRoute: CallCounts
  apiCallsByRoute: CallCounts
}

export interface BurstReport {
  pods: number
  failures: number
  liveTokens: number
  seconds: number
  /** Pods with exactly one live token (distinct pod UIDs among the live tokens). */
  podsWithToken: number
  /** Requests the pods made in all (retries after `Retry-After` included). */
  attempts: number
  p50Ms: number
  p99Ms: number
  peakRssMb: number
  vaultCallsPerIssuance: number
  apiCallsPerIssuance: number
}

export interface BenchReport {
  controller?: ModeReport
  floor?: ModeReport
  naive?: ModeReport
  burst?: BurstReport
  machine: { cpus: number; cpuModel: string; memoryMb: number; kernel: string; node: string }
  settings: BenchSettings
}

/** The `q` quantile (0..1) of `values`, nearest rank; 0 when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits))

function sumCounts(...counts: CallCounts[]): CallCounts {
  const sum: CallCounts = {}
  for (const count of counts) {
    for (const [route, n] of Object.entries(count)) sum[route] = (sum[route] ?? 0) + n
  }
  return sum
}

function total(counts: CallCounts, exclude?: RegExp): number {
  return Object.entries(counts).reduce((sum, [route, n]) => (exclude?.test(route) ? sum : sum + n), 0)
}

function issuerVaultCalls(counts: CallCounts): CallCounts {
  return Object.fromEntries(Object.entries(counts).filter(([route]) => !POD_VAULT_ROUTE.test(route)))
}

function modeReport(measurement: ModeMeasurement): ModeReport {
  const { latency, saturation } = measurement
  const ok = (results: IssueResult[]) => results.filter((result) => result.ok)
  const latencyOk = ok(latency.results)
  const saturationOk = ok(saturation.results)
  const issued = latencyOk.length + saturationOk.length
  const vaultCalls = issuerVaultCalls(sumCounts(latency.vaultCalls, saturation.vaultCalls))
  const apiCalls = sumCounts(latency.apiCalls, saturation.apiCalls)
  const perIssuance = (value: number) => (issued === 0 ? 0 : value / issued)
  return {
    p50Ms: round(
      quantile(
        latencyOk.map((r) => r.totalMs),
        0.5,
      ),
    ),
    p90Ms: round(
      quantile(
        latencyOk.map((r) => r.totalMs),
        0.9,
      ),
    ),
    p99Ms: round(
      quantile(
        latencyOk.map((r) => r.totalMs),
        0.99,
      ),
    ),
    throughputPerSec: round(
      saturation.wallMs === 0 ? 0 : (saturationOk.length * 1000) / saturation.wallMs,
      1,
    ),
    cpuMsPerIssuance: round(perIssuance(latency.cpuMs + saturation.cpuMs), 3),
    peakRssMb: round(measurement.peakRssMb, 1),
    vaultCallsPerIssuance: round(perIssuance(total(vaultCalls)), 3),
    apiCallsPerIssuance: round(perIssuance(total(apiCalls)), 3),
    heldP50Ms: round(
      quantile(
        latencyOk.map((r) => r.heldMs),
        0.5,
      ),
    ),
    heldP99Ms: round(
      quantile(
        latencyOk.map((r) => r.heldMs),
        0.99,
      ),
    ),
    issued,
    failures: latency.results.length + saturation.results.length - issued,
    vaultCallsByRoute: vaultCalls,
    apiCallsByRoute: apiCalls,
  }
}

export function buildReport(run: BenchRun, settings: BenchSettings): BenchReport {
  const reports: Partial<Record<BenchMode, ModeReport>> = {}
  for (const measurement of run.modes) reports[measurement.mode] = modeReport(measurement)
  const floor = reports.floor
  if (floor !== undefined) {
    for (const mode of ['controller', 'naive'] as const) {
      const report = reports[mode]
      if (report === undefined) continue
      const ratio = (a: number, b: number) => (b === 0 ? 0 : round(a / b))
      report.ratioToFloor = {
        p50: ratio(report.p50Ms, floor.p50Ms),
        p90: ratio(report.p90Ms, floor.p90Ms),
        p99: ratio(report.p99Ms, floor.p99Ms),
        throughput: ratio(report.throughputPerSec, floor.throughputPerSec),
        cpuMsPerIssuance: ratio(report.cpuMsPerIssuance, floor.cpuMsPerIssuance),
      }
    }
  }
  const cpu = cpus()
  return {
    ...reports,
    ...(run.burst === undefined ? {} : { burst: burstReport(run.burst) }),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      memoryMb: Math.round(totalmem() / 2 ** 20),
      kernel: release(),
      node: process.version,
    },
    settings,
  }
}

function burstReport(burst: NonNullable<BenchRun['burst']>): BurstReport {
  const ok = burst.results.filter((result) => result.ok)
  const perIssuance = (value: number) => (ok.length === 0 ? 0 : round(value / ok.length, 3))
  return {
    pods: burst.pods,
    failures: burst.pods - ok.length,
    liveTokens: burst.liveTokens,
    seconds: round(Math.max(0, ...ok.map((result) => result.totalMs)) / 1000, 2),
    podsWithToken: burst.podsWithToken,
    attempts: burst.results.reduce((sum, result) => sum + result.attempts, 0),
    p50Ms: round(
      quantile(
        ok.map((r) => r.totalMs),
        0.5,
      ),
    ),
    p99Ms: round(
      quantile(
        ok.map((r) => r.totalMs),
        0.99,
      ),
    ),
    peakRssMb: round(burst.peakRssMb, 1),
    vaultCallsPerIssuance: perIssuance(total(issuerVaultCalls(burst.vaultCalls))),
    apiCallsPerIssuance: perIssuance(total(burst.apiCalls)),
  }
}

/** The report as a plain-text table. */
export function formatReport(report: BenchReport): string {
  const modes = (['floor', 'controller', 'naive'] as const).filter((mode) => report[mode] !== undefined)
  const rows: [string, (r: ModeReport) => string][] = [
    ['p50 / p90 / p99 ms', (r) => `${r.p50Ms} / ${r.p90Ms} / ${r.p99Ms}`],
    ['token held p50 / p99 ms', (r) => `${r.heldP50Ms} / ${r.heldP99Ms}`],
    ['p50 × floor', (r) => (r.ratioToFloor === undefined ? '1' : String(r.ratioToFloor.p50))],
    ['throughput /s', (r) => String(r.throughputPerSec)],
    ['throughput × floor', (r) => (r.ratioToFloor === undefined ? '1' : String(r.ratioToFloor.throughput))],
    ['CPU ms / issuance', (r) => String(r.cpuMsPerIssuance)],
    ['peak RSS MB', (r) => String(r.peakRssMb)],
    ['Vault calls / issuance', (r) => String(r.vaultCallsPerIssuance)],
    ['API calls / issuance', (r) => String(r.apiCallsPerIssuance)],
    ['issued / failed', (r) => `${r.issued} / ${r.failures}`],
  ]
  const width = 26
  const cells = rows.map(([, cell]) => modes.map((mode) => cell(report[mode] as ModeReport)))
  // Each column as wide as its widest cell, plus a gap, so long figures never run together.
  const columns = modes.map(
    (mode, index) => Math.max(mode.length, ...cells.map((row) => row[index]?.length ?? 0)) + 3,
  )
  const lines = [
    `${''.padEnd(width)}${modes.map((mode, index) => mode.padEnd(columns[index] ?? 0)).join('')}`,
    ...rows.map(
      ([label], rowIndex) =>
        `${label.padEnd(width)}${(cells[rowIndex] ?? []).map((text, index) => text.padEnd(columns[index] ?? 0)).join('')}`,
    ),
  ]
  const { burst, settings, machine } = report
  if (burst !== undefined) {
    lines.push(
      '',
      `burst: ${burst.pods} pods at once → last token after ${burst.seconds} s, ${burst.failures} failures, ` +
        `${burst.liveTokens} live tokens (${burst.podsWithToken} pods), ${burst.attempts} requests, ` +
        `p50 ${burst.p50Ms} ms, p99 ${burst.p99Ms} ms, controller peak RSS ${burst.peakRssMb} MB, ` +
        `${burst.vaultCallsPerIssuance} Vault / ${burst.apiCallsPerIssuance} API calls per issuance`,
    )
  }
  lines.push(
    '',
    `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryMb} MB, Linux ${machine.kernel}, Node ${machine.node}`,
    `settings: ${settings.rate}/s for ${settings.durationSeconds} s, saturation ${settings.pods} pods × ` +
      `${settings.concurrency} in flight, burst ${settings.burst}, ${settings.workers} workers, vault-dev ` +
      `write ${settings.vaultWriteLatencyMs} ms / read ${settings.vaultReadLatencyMs} ms + jitter ${settings.vaultLatencyJitterMs} ms`,
  )
  return lines.join('\n')
}
