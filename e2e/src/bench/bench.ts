/**
 * @module
 * `pnpm bench`: how much the controller adds to what Vault itself costs (docs/performance.md).
 * Starts kube-dev, vault-dev (with a latency model), the controller and the load generator's
 * workers as processes, measures the controller, the naive controller and the floor on the same
 * servers, prints a table and, with `--out FILE`, writes the JSON report. Exits 1 when a burst
 * pod failed or the live tokens do not match the pods.
 */
import { writeFileSync } from 'node:fs'
import { buildReport, formatReport } from './bench-report.ts'
import { runBench } from './bench-run.ts'
import { parseBenchArgs } from './bench-settings.ts'

async function main(): Promise<void> {
  const settings = parseBenchArgs(process.argv.slice(2))
  const started = Date.now()
  const log = (line: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`)
  const run = await runBench(settings, log)
  const report = buildReport(run, settings)
  process.stdout.write(`${formatReport(report)}\n`)
  if (settings.out !== undefined) {
    writeFileSync(settings.out, `${JSON.stringify(report, null, 2)}\n`)
    log(`wrote ${settings.out}`)
  }
  const { burst } = report
  if (burst !== undefined && (burst.failures > 0 || burst.liveTokens !== burst.pods)) {
    process.stderr.write(
      `bench: the burst is not clean (${burst.failures} failures, ${burst.liveTokens} live tokens)\n`,
    )
    process.exitCode = 1
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
})
