#!/usr/bin/env node
/**
 * @module
 * The `vault-init` command (the bundle's entry): `--help`, `--version`, or a run configured from
 * the environment. It is the only place that reads `process.env`, handles signals and exits.
 * SIGTERM and SIGINT end the run with 143/130, never 0: a pod must not start without its token.
 */
import { environmentHelp, parseConfig } from './config.ts'
import { exitCodeHelp, exitCodes } from './exit-codes.ts'
import { jsonLogger } from './logger.ts'
import { runVaultInit } from './run-vault-init.ts'
import { VAULT_INIT_VERSION } from './version.ts'

export function helpText(): string {
  const width = Math.max(...environmentHelp.map(([name]) => name.length))
  return [
    `vault-init ${VAULT_INIT_VERSION}: the pod's init container for vault-controller.`,
    "Asks the controller for this pod's Vault token, receives it on a pinned HTTPS callback,",
    'unwraps it and writes <output dir>/token and <output dir>/secret.json.',
    '',
    'Usage: vault-init [--help | --version]   (configured by environment variables)',
    '',
    'Environment:',
    ...environmentHelp.map(
      ([name, fallback, meaning]) => `  ${name.padEnd(width)}  ${meaning} [${fallback}]`,
    ),
    '',
    'Exit codes:',
    ...exitCodeHelp.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`),
    '',
  ].join('\n')
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText())
    return exitCodes.OK
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${VAULT_INIT_VERSION}\n`)
    return exitCodes.OK
  }
  if (argv.length > 0) {
    process.stderr.write(`vault-init: unknown argument ${JSON.stringify(argv[0]).slice(0, 40)}; see --help\n`)
    return exitCodes.CONFIG
  }
  const parsed = parseConfig(process.env)
  if (!parsed.ok) {
    process.stderr.write(
      `vault-init: CONFIG_INVALID: bad environment:\n${parsed.errors.map((e) => `  ${e}\n`).join('')}`,
    )
    return exitCodes.CONFIG
  }
  const logger = jsonLogger({ level: parsed.config.logLevel })
  for (const warning of parsed.warnings) logger.warn(`WARNING: ${warning}`)
  const stop = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(signal === 'SIGINT' ? exitCodes.SIGINT : exitCodes.SIGTERM)
    stop.abort(signal)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  logger.info('starting', {
    version: VAULT_INIT_VERSION,
    namespace: parsed.config.podNamespace,
    pod: parsed.config.podName,
    controller: parsed.config.controllerAddr,
    vault: parsed.config.vaultAddr,
    outputDir: parsed.config.outputDir,
  })
  const result = await runVaultInit(parsed.config, { logger, signal: stop.signal })
  if (result.report !== undefined) process.stderr.write(result.report)
  if (result.exitCode === exitCodes.OK) logger.info(result.message)
  else process.stderr.write(`vault-init: ${result.code}: ${result.message}\n`)
  return result.exitCode
}

process.exitCode = await main(process.argv.slice(2))
