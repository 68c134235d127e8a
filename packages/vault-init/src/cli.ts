#!/usr/bin/env node
/**
 * @module
 * The `vault-init` command (the bundle's entry): `--help`, `--version`, or a run configured from
 * the environment, in one of two modes:
 * - `init` (default): get the pod's token and write the files. SIGTERM and SIGINT end the run
 *   with 143/130, never 0: a pod must not start without its token.
 * - `sidecar` (`vault-init sidecar` or `VAULT_INIT_MODE=sidecar`): keep that token renewed.
 *   SIGTERM and SIGINT are its normal end and exit 0 (a native sidecar is stopped this way when
 *   the pod stops or a Job's containers finish).
 * It is the only place that reads `process.env`, handles signals and exits.
 */
import { environmentHelp, parseConfig, parseSidecarConfig, sidecarEnvironmentHelp } from './config.ts'
import { exitCodeHelp, exitCodes, sidecarExitCodeHelp } from './exit-codes.ts'
import { jsonLogger, type Logger } from './logger.ts'
import { runRenewalSidecar } from './run-renewal-sidecar.ts'
import { runVaultInit } from './run-vault-init.ts'
import { VAULT_INIT_VERSION } from './version.ts'

const modes = ['init', 'sidecar'] as const
type Mode = (typeof modes)[number]

export function helpText(): string {
  const table = (rows: ReadonlyArray<readonly [string, string, string]>) => {
    const width = Math.max(...rows.map(([name]) => name.length))
    return rows.map(([name, fallback, meaning]) => `  ${name.padEnd(width)}  ${meaning} [${fallback}]`)
  }
  const codes = (rows: ReadonlyArray<readonly [number, string]>) =>
    rows.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`)
  return [
    `vault-init ${VAULT_INIT_VERSION}: the pod's init container for vault-controller.`,
    "Asks the controller for this pod's Vault token, receives it on a pinned HTTPS callback,",
    'unwraps it and writes <output dir>/token and <output dir>/secret.json.',
    '',
    'Usage: vault-init [init | sidecar | --help | --version]   (configured by environment variables)',
    '  init      (default) get the token and write the files, then exit',
    '  sidecar   keep that token alive: renew-self at about half its period, rewrite secret.json;',
    '            for a native sidecar (init container with restartPolicy: Always)',
    '  The mode can also be set with VAULT_INIT_MODE=init|sidecar.',
    '',
    'Environment (init):',
    ...table(environmentHelp),
    '',
    'Exit codes (init):',
    ...codes(exitCodeHelp),
    '',
    'Environment (sidecar):',
    ...table(sidecarEnvironmentHelp),
    '',
    'Exit codes (sidecar):',
    ...codes(sidecarExitCodeHelp),
    '',
  ].join('\n')
}

/** The mode from the arguments and `VAULT_INIT_MODE`, or an error line. */
function chooseMode(argv: readonly string[], envMode: string | undefined): Mode | string {
  if (argv.length > 1) return `unexpected argument ${JSON.stringify(argv[1]).slice(0, 40)}; see --help`
  const fromArg = argv[0]
  if (fromArg !== undefined && !modes.includes(fromArg as Mode)) {
    return `unknown argument ${JSON.stringify(fromArg).slice(0, 40)}; see --help`
  }
  const fromEnv = envMode?.trim().toLowerCase() || undefined
  if (fromEnv !== undefined && !modes.includes(fromEnv as Mode)) {
    return 'VAULT_INIT_MODE: must be init or sidecar'
  }
  if (fromArg !== undefined && fromEnv !== undefined && fromArg !== fromEnv) {
    return `the argument says ${fromArg} but VAULT_INIT_MODE says ${fromEnv}`
  }
  return (fromArg ?? fromEnv ?? 'init') as Mode
}

/** First signal: abort; second: exit at once with `secondExit`. */
function onSignals(stop: AbortController, secondExit: (signal: NodeJS.Signals) => number): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(secondExit(signal))
    stop.abort(signal)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
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
  const mode = chooseMode(argv, process.env.VAULT_INIT_MODE)
  if (mode !== 'init' && mode !== 'sidecar') {
    process.stderr.write(`vault-init: ${mode}\n`)
    return exitCodes.CONFIG
  }
  return mode === 'sidecar' ? sidecar() : init()
}

async function init(): Promise<number> {
  const parsed = parseConfig(process.env)
  if (!parsed.ok) return badEnvironment(parsed.errors)
  const logger = startLogger(parsed.config.logLevel, parsed.warnings)
  const stop = new AbortController()
  onSignals(stop, (signal) => (signal === 'SIGINT' ? exitCodes.SIGINT : exitCodes.SIGTERM))
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

async function sidecar(): Promise<number> {
  const parsed = parseSidecarConfig(process.env)
  if (!parsed.ok) return badEnvironment(parsed.errors)
  const logger = startLogger(parsed.config.logLevel, parsed.warnings)
  const stop = new AbortController()
  onSignals(stop, () => exitCodes.OK)
  logger.info('starting', {
    version: VAULT_INIT_VERSION,
    mode: 'sidecar',
    vault: parsed.config.vaultAddr,
    outputDir: parsed.config.outputDir,
  })
  const result = await runRenewalSidecar(parsed.config, { logger, signal: stop.signal })
  if (result.exitCode === exitCodes.OK) logger.info(result.message)
  else process.stderr.write(`vault-init: ${result.code}: ${result.message}\n`)
  return result.exitCode
}

function badEnvironment(errors: readonly string[]): number {
  process.stderr.write(
    `vault-init: CONFIG_INVALID: bad environment:\n${errors.map((e) => `  ${e}\n`).join('')}`,
  )
  return exitCodes.CONFIG
}

function startLogger(level: Parameters<typeof jsonLogger>[0]['level'], warnings: readonly string[]): Logger {
  const logger = jsonLogger({ level })
  for (const warning of warnings) logger.warn(`WARNING: ${warning}`)
  return logger
}

process.exitCode = await main(process.argv.slice(2))
