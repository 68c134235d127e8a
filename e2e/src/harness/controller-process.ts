/**
 * @module
 * One controller replica as a process (`services/controller/dist/server.js`), configured through
 * its environment as an operator would (docs/configuration.md). It listens on 127.0.0.1 port 0 and
 * announces itself with Fastify's `Server listening at …` log line; like a Service's endpoints, the
 * harness sends it nothing before `/readyz` answers 200 (Vault reachable and unsealed). Its stdout (JSON logs and the
 * audit lines, `"audit":1`) and stderr go to the suite's OutputCapture.
 */

import { once } from 'node:events'
import type { AuditLine } from '@vault-controller/controller'
import { waitFor } from '@vault-controller/testkit'
import { artifacts } from '../paths.ts'
import { startNodeProcess } from '../processes.ts'
import type { OutputCapture } from './output-capture.ts'

export type { AuditLine }

export interface ControllerProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly id: string
  /** The process id (CPU time and memory are read from /proc by the bench). */
  readonly pid: number | undefined
  /** Audit lines printed so far. */
  auditLines(): AuditLine[]
  /** Audit lines about one pod. */
  auditFor(namespace: string, name: string): AuditLine[]
  /** Waits until an audit line matching `predicate` was printed, and returns it. */
  waitForAudit(predicate: (line: AuditLine) => boolean, timeoutMs?: number): Promise<AuditLine>
  stderrTail(): string
  /** The process has exited (stopped, killed or crashed). */
  readonly exited: boolean
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  stop(): Promise<void>
  /** Sends `signal` at once (SIGKILL: a crash, no shutdown of any kind); resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>
}

const LISTENING = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/

export async function startController(options: {
  id: string
  env: Record<string, string>
  output: OutputCapture
}): Promise<ControllerProcess> {
  const { id, output } = options
  const audit: AuditLine[] = []
  const source = `controller ${id}`
  const child = await startNodeProcess<{ msg: string }>(artifacts.controller, [], {
    env: { LISTEN_HOST: '127.0.0.1', LISTEN_PORT: '0', CONTROLLER_ID: id, ...options.env },
    readyTimeoutMs: 15_000,
    isReadyLine: (line) => LISTENING.test(String((line as { msg?: unknown }).msg)),
    onStdoutLine: (line) => {
      output.record(source, 'stdout', line)
      if (!line.startsWith('{"audit":')) return
      try {
        audit.push(JSON.parse(line) as AuditLine)
      } catch {
        // Not an audit line after all; it stays in the capture.
      }
    },
    onStderrLine: (line) => output.record(source, 'stderr', line),
  })
  const url = LISTENING.exec(child.info.msg)?.[1] ?? ''
  try {
    await waitFor(async () => (await fetch(new URL('/readyz', url))).status === 200, {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: `${id} to be ready`,
    })
  } catch (error) {
    await child.stop(0)
    throw new Error(`${id} never became ready:\n${child.stderrTail()}`, { cause: error })
  }

  return {
    url,
    id,
    pid: child.child.pid,
    auditLines: () => [...audit],
    auditFor: (namespace, name) =>
      audit.filter((line) => line.pod.namespace === namespace && line.pod.name === name),
    waitForAudit: (predicate, timeoutMs = 10_000) =>
      waitFor(() => audit.find(predicate), { timeoutMs, description: `an audit line from ${id}` }),
    stderrTail: () => child.stderrTail(),
    get exited() {
      return child.child.exitCode !== null || child.child.signalCode !== null
    },
    stop: () => child.stop(10_000),
    async kill(signal) {
      if (child.child.exitCode !== null || child.child.signalCode !== null) return
      const exited = once(child.child, 'exit')
      child.child.kill(signal)
      await exited
    },
  }
}
