/**
 * @module
 * One run of the init container: the bundle (`packages/vault-init/dist/vault-init.mjs`, what the
 * image ships) as a process with the pod's environment (downward API, projected token file, its
 * pod IP as the callback address, its own output directory). Only the variables a pod would have
 * are passed, plus PATH; its output goes to the suite's OutputCapture.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { artifacts } from '../paths.ts'
import type { OutputCapture } from './output-capture.ts'

export interface VaultInitResult {
  /** Exit code (null when killed by a signal). */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  durationMs: number
}

export interface VaultInitRun {
  /** Resolves when the process has exited. */
  readonly done: Promise<VaultInitResult>
  /** The stderr lines so far (JSON logs). */
  stderrLines(): string[]
  /** SIGTERM (the kubelet stopping the pod). */
  kill(): void
}

export interface VaultInitOptions {
  env: Record<string, string>
  output: OutputCapture
  /** Label in the capture, e.g. `vault-init ns/pod`. */
  source: string
  /** Killed (SIGKILL) after this long: every run is bounded. Default 30 s. */
  killAfterMs?: number
}

export function startVaultInit(options: VaultInitOptions): VaultInitRun {
  const started = Date.now()
  const child = spawn(process.execPath, [artifacts.vaultInit], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  const stderr: string[] = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout.push(line)
    options.output.record(options.source, 'stdout', line)
  })
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line)
    options.output.record(options.source, 'stderr', line)
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000)
  const done = new Promise<VaultInitResult>((resolve, reject) => {
    child.once('error', reject)
    // 'close' (not 'exit'): every line of output has been read by then.
    child.once('close', (code, signal) => {
      clearTimeout(killer)
      resolve({
        code,
        signal,
        stdout: stdout.join('\n'),
        stderr: stderr.join('\n'),
        durationMs: Date.now() - started,
      })
    })
  })
  return { done, stderrLines: () => [...stderr], kill: () => child.kill('SIGTERM') }
}
