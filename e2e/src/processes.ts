/**
 * @module
 * Starts the real processes e2e and the demo talk to. Each server announces itself
 * with exactly one JSON line on stdout once it is ready; everything else it says goes
 * to stderr, which we keep (bounded) for failure messages.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

export interface RunningProcess<Info> {
  /** The JSON line the process printed when ready. */
  readonly info: Info
  readonly child: ChildProcess
  /** The last lines the process wrote to stderr. */
  stderrTail(): string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv
  /** Give up if no ready line arrives in time. Default 10 s. */
  readyTimeoutMs?: number
  /** Lines of stderr to keep. Default 200. */
  keepStderrLines?: number
  /** Called with every stderr line (e.g. to show logs in the demo). */
  onStderrLine?: (line: string) => void
  /** Called with every stdout line, the ready line included (logs and audit lines of the controller). */
  onStdoutLine?: (line: string) => void
  /**
   * Which stdout line announces readiness. Default: the first line, which must be JSON. With a
   * predicate, lines that are not JSON or do not match are skipped (a server that logs JSON on
   * stdout announces itself with one of its log lines).
   */
  isReadyLine?: (line: unknown) => boolean
}

/** Runs `node <script> ...args` with the Node that runs us, and waits for its ready line. */
export async function startNodeProcess<Info>(
  script: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<RunningProcess<Info>> {
  const { readyTimeoutMs = 10_000, keepStderrLines = 200, onStderrLine, onStdoutLine, isReadyLine } = options
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderrLines: string[] = []
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrLines.push(line)
    if (stderrLines.length > keepStderrLines) stderrLines.shift()
    onStderrLine?.(line)
  })
  const stderrTail = () => stderrLines.join('\n')
  const exited = once(child, 'exit')

  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  const lines = createInterface({ input: child.stdout })
  if (onStdoutLine !== undefined) lines.on('line', onStdoutLine)
  try {
    const info = await new Promise<Info>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${script} printed no ready line within ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      )
      const onLine = (line: string) => {
        let parsed: unknown
        try {
          parsed = JSON.parse(line)
        } catch (error) {
          if (isReadyLine !== undefined) return
          clearTimeout(timer)
          reject(new Error(`${script} printed a ready line that is not JSON`, { cause: error }))
          return
        }
        if (isReadyLine !== undefined && !isReadyLine(parsed)) return
        clearTimeout(timer)
        lines.off('line', onLine)
        resolve(parsed as Info)
      }
      lines.on('line', onLine)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${script} exited (${signal ?? code}) before it was ready:\n${stderrTail()}`))
      })
    })
    return { info, child, stderrTail, stop }
  } catch (error) {
    await stop(0)
    throw error
  }
}

export interface FinishedRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a built script to its exit (killed after `timeoutMs`) and returns what it printed. */
export async function runNodeScript(
  script: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<FinishedRun> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(killer)
  return { code, stdout, stderr }
}
