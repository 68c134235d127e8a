/**
 * @module
 * The load generator as the bench drives it: a few worker processes (load-worker.ts), each playing
 * a share of the pods (pod `id` goes to worker `id % workers`), so the generator is never the one
 * process everything waits on. It offers issuances on three schedules:
 *
 * - `rate`: open loop, `perSec` issuances started per second whatever happens (latency);
 * - `closed`: `concurrency` issuances in flight, the next one starts as one ends (saturation);
 * - `all`: every pod at once (the burst).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { BenchPod, IssueMode, IssueResult, ParentMessage, WorkerMessage } from './worker-messages.ts'

export type WorkerInit = Omit<Extract<ParentMessage, { t: 'init' }>, 't'>

export type Schedule =
  | { kind: 'rate'; perSec: number }
  | { kind: 'closed'; concurrency: number }
  | { kind: 'all' }

export interface WorkerUsage {
  cpuMs: number
  peakRssMb: number
}

const WORKER_SCRIPT = fileURLToPath(new URL('./load-worker.js', import.meta.url))
const TICK_MS = 5

class Worker {
  readonly child: ChildProcess
  readonly #waiting = new Map<
    string,
    { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void }[]
  >()
  onResults: (results: IssueResult[]) => void = () => {}

  constructor() {
    this.child = fork(WORKER_SCRIPT, [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NO_PROXY: '127.0.0.0/8,localhost' },
    })
    this.child.on('message', (message: WorkerMessage) => {
      if (message.t === 'results') {
        this.onResults(message.results)
        return
      }
      this.#waiting.get(message.t)?.shift()?.resolve(message)
    })
    this.child.once('exit', (code, signal) => {
      for (const list of this.#waiting.values()) {
        for (const waiter of list.splice(0))
          waiter.reject(new Error(`a load worker exited (${signal ?? code})`))
      }
    })
  }

  send(message: ParentMessage): void {
    this.child.send(message)
  }

  /** Sends `message` and waits for the answer of type `answer`. */
  async ask<T extends WorkerMessage['t']>(
    message: ParentMessage,
    answer: T,
  ): Promise<Extract<WorkerMessage, { t: T }>> {
    const reply = new Promise<WorkerMessage>((resolve, reject) => {
      const list = this.#waiting.get(answer) ?? []
      list.push({ resolve, reject })
      this.#waiting.set(answer, list)
    })
    this.send(message)
    return (await reply) as Extract<WorkerMessage, { t: T }>
  }
}

export class LoadGenerator {
  readonly #workers: Worker[]

  private constructor(workers: Worker[]) {
    this.#workers = workers
  }

  /** Starts `count` workers and gives them the run's settings. */
  static async start(count: number, init: WorkerInit): Promise<LoadGenerator> {
    const workers = Array.from({ length: Math.max(1, count) }, () => new Worker())
    await Promise.all(workers.map((worker) => worker.ask({ t: 'init', ...init }, 'ready')))
    return new LoadGenerator(workers)
  }

  get pids(): number[] {
    return this.#workers.map((worker) => worker.child.pid ?? 0)
  }

  #workerOf(id: number): Worker {
    return this.#workers[id % this.#workers.length] as Worker
  }

  #split<T>(items: readonly T[], idOf: (item: T) => number): Map<Worker, T[]> {
    const shares = new Map<Worker, T[]>()
    for (const item of items) {
      const worker = this.#workerOf(idOf(item))
      const share = shares.get(worker) ?? []
      share.push(item)
      shares.set(worker, share)
    }
    return shares
  }

  /** Opens the pods' callback listeners; resolves with how many addresses could not be bound. */
  async listen(pods: readonly BenchPod[]): Promise<number> {
    let failed = 0
    for (const [worker, share] of this.#split(pods, (pod) => pod.id)) {
      // In slices, so no IPC message gets huge.
      for (let start = 0; start < share.length; start += 500) {
        failed += (await worker.ask({ t: 'listen', pods: share.slice(start, start + 500) }, 'listening'))
          .failed
      }
    }
    return failed
  }

  /** Closes the listeners of pods that are done with (frees their sockets). */
  async forget(ids: readonly number[]): Promise<void> {
    await Promise.all(
      [...this.#split(ids, (id) => id)].map(([worker, share]) =>
        worker.ask({ t: 'forget', ids: share }, 'forgotten'),
      ),
    )
  }

  /** Issues for every pod in `ids` on `schedule`; resolves with one result per pod. */
  async run(
    mode: IssueMode,
    controllerUrl: string,
    ids: readonly number[],
    schedule: Schedule,
  ): Promise<IssueResult[]> {
    const results: IssueResult[] = []
    let next = 0
    const dispatch = (count: number) => {
      const batch = ids.slice(next, next + count)
      next += batch.length
      for (const [worker, share] of this.#split(batch, (id) => id)) {
        worker.send({ t: 'issue', mode, controllerUrl, ids: share })
      }
    }
    const done = new Promise<void>((resolve) => {
      if (ids.length === 0) resolve()
      for (const worker of this.#workers) {
        worker.onResults = (batch) => {
          results.push(...batch)
          if (schedule.kind === 'closed') dispatch(batch.length)
          if (results.length >= ids.length) resolve()
        }
      }
    })
    let ticker: NodeJS.Timeout | undefined
    if (schedule.kind === 'all') dispatch(ids.length)
    else if (schedule.kind === 'closed') dispatch(schedule.concurrency)
    else {
      const started = performance.now()
      ticker = setInterval(() => {
        const due = Math.min(ids.length, Math.floor(((performance.now() - started) * schedule.perSec) / 1000))
        if (due > next) dispatch(due - next)
        if (next >= ids.length) clearInterval(ticker)
      }, TICK_MS)
    }
    await done
    clearInterval(ticker)
    for (const worker of this.#workers) worker.onResults = () => {}
    return results
  }

  /** CPU time and peak memory of each worker so far. */
  async usage(): Promise<WorkerUsage[]> {
    return Promise.all(
      this.#workers.map(async (worker) => {
        const { cpuMs, peakRssMb } = await worker.ask({ t: 'usage' }, 'usage')
        return { cpuMs, peakRssMb }
      }),
    )
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#workers.map(async (worker) => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) return
        const exited = once(worker.child, 'exit')
        worker.child.disconnect()
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      }),
    )
  }
}
