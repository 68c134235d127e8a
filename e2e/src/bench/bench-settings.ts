/**
 * @module
 * The bench's command line: what it offers, for how long, with how many pods, and the latency
 * model vault-dev runs with. `--quick` is the CI smoke (small numbers, well under a minute);
 * flags given explicitly win over it.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { IssueMode } from './worker-messages.ts'

/** Who issues in a measured mode: the floor (no controller), the controller, the naive controller. */
export type BenchMode = 'floor' | 'controller' | 'naive'

export const BENCH_MODES: readonly BenchMode[] = ['controller', 'naive', 'floor']

export interface BenchSettings {
  /** Offered rate of the latency phase, issuances per second. */
  rate: number
  /** Length of the latency phase, seconds (rate × duration pods per mode). */
  durationSeconds: number
  /** Pods per mode in the saturation phase. */
  pods: number
  /** Issuances in flight in the saturation phase. */
  concurrency: number
  /** Pods created at once in the burst (controller mode). */
  burst: number
  /** Issuances before each mode's measurements, not counted (JIT, connection pools, caches). */
  warmup: number
  /** Load-generator worker processes. */
  workers: number
  /** vault-dev's latency model. */
  vaultWriteLatencyMs: number
  vaultReadLatencyMs: number
  vaultLatencyJitterMs: number
  /** How long one pod keeps asking (retries included) before it counts as failed, seconds. */
  deadlineSeconds: number
  modes: BenchMode[]
  out: string | undefined
  /** Write the controllers' V8 CPU profiles (`node --cpu-prof`) into this directory. */
  cpuProfileDir: string | undefined
  /** Node flags for the controller processes (`NODE_OPTIONS`), e.g. `--max-semi-space-size=4`. */
  controllerNodeOptions: string
  quick: boolean
}

export const DEFAULT_SETTINGS: Omit<
  BenchSettings,
  'out' | 'cpuProfileDir' | 'controllerNodeOptions' | 'quick'
> = {
  rate: 200,
  durationSeconds: 15,
  pods: 2000,
  concurrency: 128,
  burst: 1000,
  warmup: 200,
  workers: 2,
  // Integrated storage (Raft) commits every write to a quorum with an fsync: a few milliseconds
  // on SSDs; reads are served from memory. docs/performance.md explains the choice.
  vaultWriteLatencyMs: 5,
  vaultReadLatencyMs: 1,
  vaultLatencyJitterMs: 2,
  deadlineSeconds: 600,
  modes: [...BENCH_MODES],
}

const QUICK: Partial<BenchSettings> = {
  rate: 20,
  durationSeconds: 2,
  pods: 40,
  concurrency: 16,
  burst: 50,
  warmup: 10,
  workers: 1,
  deadlineSeconds: 30,
}

export const USAGE = `usage: pnpm bench [--quick] [--rate N] [--duration S] [--pods N] [--concurrency N]
                  [--burst N] [--warmup N] [--workers N] [--modes controller,naive,floor]
                  [--vault-write-latency-ms N] [--vault-read-latency-ms N] [--vault-latency-jitter-ms N]
                  [--deadline S] [--out FILE] [--cpu-prof DIR] [--controller-node-options FLAGS]`

const NUMBER_FLAGS = {
  rate: 'rate',
  duration: 'durationSeconds',
  pods: 'pods',
  concurrency: 'concurrency',
  burst: 'burst',
  warmup: 'warmup',
  workers: 'workers',
  'vault-write-latency-ms': 'vaultWriteLatencyMs',
  'vault-read-latency-ms': 'vaultReadLatencyMs',
  'vault-latency-jitter-ms': 'vaultLatencyJitterMs',
  deadline: 'deadlineSeconds',
} as const satisfies Record<string, keyof BenchSettings>

const ZERO_ALLOWED = new Set<keyof BenchSettings>([
  'burst',
  'warmup',
  'vaultWriteLatencyMs',
  'vaultReadLatencyMs',
  'vaultLatencyJitterMs',
])

/** Settings from the command line; throws with the usage on anything unknown or malformed. */
export function parseBenchArgs(args: readonly string[]): BenchSettings {
  const { values } = parseArgs({
    args: [...args],
    options: {
      ...Object.fromEntries(Object.keys(NUMBER_FLAGS).map((name) => [name, { type: 'string' as const }])),
      modes: { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'controller-node-options': { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }) as { values: Record<string, string | boolean | undefined> }
  const quick = values.quick === true
  const settings: BenchSettings = {
    ...DEFAULT_SETTINGS,
    ...(quick ? QUICK : {}),
    out: undefined,
    cpuProfileDir: undefined,
    controllerNodeOptions: '',
    quick,
  }
  for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
    const text = values[flag]
    if (typeof text !== 'string') continue
    const value = Number(text)
    // A zero burst skips it; zero latencies turn the model off.
    const positive = !ZERO_ALLOWED.has(key)
    if (!Number.isFinite(value) || value < 0 || (positive && value <= 0)) {
      throw new Error(
        `--${flag} must be a ${positive ? 'positive' : 'non-negative'} number, got ${text}\n${USAGE}`,
      )
    }
    settings[key] = value
  }
  if (typeof values.modes === 'string') {
    const modes = values.modes.split(',').map((mode) => mode.trim())
    for (const mode of modes) {
      if (!BENCH_MODES.includes(mode as BenchMode)) throw new Error(`unknown mode ${mode}\n${USAGE}`)
    }
    settings.modes = BENCH_MODES.filter((mode) => modes.includes(mode))
  }
  if (typeof values.out === 'string') settings.out = values.out
  if (typeof values['cpu-prof'] === 'string') settings.cpuProfileDir = resolve(values['cpu-prof'])
  const nodeOptions = values['controller-node-options']
  if (typeof nodeOptions === 'string') settings.controllerNodeOptions = nodeOptions.trim()
  return settings
}

/** How a mode's pods are issued by the workers. */
export function issueModeOf(mode: BenchMode): IssueMode {
  return mode === 'floor' ? 'floor' : 'controller'
}
