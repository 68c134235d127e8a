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
  /** Command-line arguments (`['sidecar']` for the renewal sidecar). Default none. */
  args?: readonly string[]
}

export function startVaultInit(options: VaultInitOptions): VaultInitRun {
  const started = Date.now()
  const child = spawn(process.execPath, [artifacts.vaultInit, ...(options.args ?? [])], {
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

export interface VaultInitSidecarOptions {
  /** The pod whose init container already wrote its files into `outputDir`. */
  pod: { namespace: string; name: string; ref: string; outputDir: string }
  vaultAddr: string
  output: OutputCapture
  /** Extra or overriding variables. */
  env?: Record<string, string>
  /** Default 60 s. */
  killAfterMs?: number
}

/** The renewal sidecar (`vault-init sidecar`) of a pod, with the variables its container would have. */
export function runVaultInitSidecar(options: VaultInitSidecarOptions): VaultInitRun {
  return startVaultInit({
    source: `vault-init sidecar ${options.pod.ref}`,
    output: options.output,
    args: ['sidecar'],
    killAfterMs: options.killAfterMs ?? 60_000,
    env: {
      POD_NAME: options.pod.name,
      POD_NAMESPACE: options.pod.namespace,
      VAULT_ADDR: options.vaultAddr,
      VAULT_INIT_OUTPUT_DIR: options.pod.outputDir,
      NO_PROXY: '127.0.0.0/8,localhost',
      ...options.env,
    },
  })
}
