/**
 * @module
 * One bench run: the e2e world (kube-dev, vault-dev with a latency model, the controller as a
 * process), the load generator's workers, and the measured modes one after the other on the same
 * servers — `controller` (JWKS identity, the normal configuration), `naive` (a controller replica
 * in `token-review` identity mode: a TokenReview and a pod GET on every request, as the original
 * controller and Vault's Kubernetes auth do) and `floor` (no controller: the generator mints and
 * delivers itself). Each mode has a latency phase (open loop at a fixed rate) and a saturation
 * phase (closed loop); the controller mode ends with the burst. Only one controller runs at a
 * time, and pods are created before the servers' counters are reset, so every call a server
 * counts during a phase is the issuer's (and the pods' unwraps, which are left out).
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { certificateSha256, DEFAULT_WRAP_TTL_SECONDS } from '@vault-controller/protocol'
import type { ControllerProcess } from '../harness/controller-process.ts'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import { callTestkitControl } from '../harness/testkit-control.ts'
import { BENCH_ALLOW_LIST, createBenchPods, inBatches } from './bench-pods.ts'
import { type BenchMode, type BenchSettings, issueModeOf } from './bench-settings.ts'
import { LoadGenerator, type Schedule } from './load-generator.ts'
import { sampleProcess } from './process-stats.ts'
import type { IssueResult } from './worker-messages.ts'

/** A server's request counts during a phase, by `METHOD route`. */
export type CallCounts = Record<string, number>

export interface PhaseResult {
  results: IssueResult[]
  wallMs: number
  /** CPU of the issuer: the controller process, or (floor) the generator's workers. */
  cpuMs: number
  vaultCalls: CallCounts
  apiCalls: CallCounts
}

export interface ModeMeasurement {
  mode: BenchMode
  latency: PhaseResult
  saturation: PhaseResult
  peakRssMb: number
}

export interface BurstMeasurement {
  pods: number
  results: IssueResult[]
  wallMs: number
  liveTokens: number
  /** Distinct pod UIDs among the live tokens of the burst's namespace. */
  podsWithToken: number
  peakRssMb: number
  vaultCalls: CallCounts
  apiCalls: CallCounts
}

export interface BenchRun {
  modes: ModeMeasurement[]
  burst: BurstMeasurement | undefined
}

/** The pods' own Vault calls (vault-init unwraps), not the issuer's. */
export const POD_VAULT_ROUTE = /sys\/wrapping\/unwrap/

export async function runBench(settings: BenchSettings, log: (line: string) => void): Promise<BenchRun> {
  const env = await startE2eEnvironment({
    // The RBAC of the token-review mode is a superset: the naive replica needs TokenReviews.
    identityMode: 'token-review',
    allowList: BENCH_ALLOW_LIST,
    controllerEnv: {
      IDENTITY_MODE: 'jwks',
      REQUEST_DEADLINE: '30s',
      ...controllerNodeOptions(settings),
    },
    vaultDevArgs: [
      '--write-latency-ms',
      String(settings.vaultWriteLatencyMs),
      '--read-latency-ms',
      String(settings.vaultReadLatencyMs),
      '--latency-jitter-ms',
      String(settings.vaultLatencyJitterMs),
    ],
  })
  let generator: LoadGenerator | undefined
  try {
    generator = await startGenerator(env, settings)
    return await measure(env, generator, settings, log)
  } finally {
    await generator?.stop()
    await env.close()
  }
}

async function startGenerator(env: E2eEnvironment, settings: BenchSettings): Promise<LoadGenerator> {
  // One self-signed certificate per run (each pod's listener presents it; the pin is its hash).
  const keyFile = join(env.runDir.path, 'bench-callback.key')
  const certFile = join(env.runDir.path, 'bench-callback.crt')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=bench-pod',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  )
  const certPem = readFileSync(certFile, 'utf8')
  // The floor mints with a token of the controller's own policy, as the controller does.
  const floorToken = await env.vault.createToken({
    policies: [env.vaultSetup.policyName],
    no_parent: true,
    period: '2h',
    display_name: 'bench-floor',
  })
  env.output.addSecret(floorToken.token)
  return LoadGenerator.start(settings.workers, {
    vaultAddr: env.vault.addr,
    certPem,
    keyPem: readFileSync(keyFile, 'utf8'),
    certSha256: certificateSha256(new X509Certificate(certPem).raw),
    floorVaultToken: floorToken.token,
    tokenRole: env.vaultSetup.role,
    wrapTtlSeconds: DEFAULT_WRAP_TTL_SECONDS,
    periodSeconds: 3600,
    deadlineMs: settings.deadlineSeconds * 1000,
  })
}

async function measure(
  env: E2eEnvironment,
  generator: LoadGenerator,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<BenchRun> {
  const modes: ModeMeasurement[] = []
  let burst: BurstMeasurement | undefined
  let nextId = 0
  const phase = async (
    mode: BenchMode,
    label: string,
    count: number,
    schedule: Schedule,
    controller: ControllerProcess | undefined,
  ): Promise<PhaseResult> => {
    const namespace = `bench-${mode}-${label}`
    log(`${mode} ${label}: creating ${count} pods`)
    const pods = await createBenchPods(env, namespace, nextId, count)
    nextId += count
    const unbound = await generator.listen(pods)
    if (unbound > 0) throw new Error(`${unbound} pod addresses could not be bound`)
    log(`${mode} ${label}: ${count} issuances (${describe(schedule)})`)
    const measured = await measuredPhase(env, generator, controller, () =>
      generator.run(
        issueModeOf(mode),
        controller?.url ?? '',
        pods.map((pod) => pod.id),
        schedule,
      ),
    )
    await generator.forget(pods.map((pod) => pod.id))
    const failed = measured.results.filter((result) => !result.ok)
    log(
      `${mode} ${label}: ${measured.results.length - failed.length} issued, ${failed.length} failed in ${(measured.wallMs / 1000).toFixed(1)} s${failed[0] === undefined ? '' : ` (first failure: ${failed[0].error})`}`,
    )
    return measured
  }

  for (const mode of settings.modes) {
    const controller =
      mode === 'controller'
        ? env.controller
        : mode === 'naive'
          ? await env.startController({ IDENTITY_MODE: 'token-review' })
          : undefined
    if (mode !== 'controller' && !env.controller.exited) await env.controller.stop()
    if (settings.warmup > 0) {
      await phase(mode, 'warmup', settings.warmup, { kind: 'closed', concurrency: 16 }, controller)
    }
    const latency = await phase(
      mode,
      'latency',
      Math.max(1, Math.round(settings.rate * settings.durationSeconds)),
      { kind: 'rate', perSec: settings.rate },
      controller,
    )
    const saturation = await phase(
      mode,
      'saturation',
      settings.pods,
      { kind: 'closed', concurrency: settings.concurrency },
      controller,
    )
    // Before the burst: the steady state's peak (the burst reports its own).
    const peakRssMb =
      controller?.pid !== undefined
        ? sampleProcess(controller.pid).peakRssMb
        : Math.max(...(await generator.usage()).map((usage) => usage.peakRssMb))
    if (mode === 'controller' && controller !== undefined && settings.burst > 0) {
      burst = await measureBurst(env, generator, controller, settings, nextId, log)
      nextId += settings.burst
    }
    modes.push({ mode, latency, saturation, peakRssMb })
    if (controller !== undefined) await controller.stop()
  }
  return { modes, burst }
}

/** Runs `work` with the servers' counters reset first and the issuer's CPU sampled around it. */
async function measuredPhase(
  env: E2eEnvironment,
  generator: LoadGenerator,
  controller: ControllerProcess | undefined,
  work: () => Promise<IssueResult[]>,
): Promise<PhaseResult> {
  await resetCounts(env)
  const cpu = async () =>
    controller?.pid !== undefined
      ? sampleProcess(controller.pid).cpuMs
      : (await generator.usage()).reduce((sum, usage) => sum + usage.cpuMs, 0)
  const cpuBefore = await cpu()
  const started = performance.now()
  const results = await work()
  const wallMs = performance.now() - started
  const cpuMs = (await cpu()) - cpuBefore
  const { vaultCalls, apiCalls } = await readCounts(env)
  return { results, wallMs, cpuMs, vaultCalls, apiCalls }
}

async function measureBurst(
  env: E2eEnvironment,
  generator: LoadGenerator,
  controller: ControllerProcess,
  settings: BenchSettings,
  firstId: number,
  log: (line: string) => void,
): Promise<BurstMeasurement> {
  const namespace = 'bench-burst'
  log(`burst: creating ${settings.burst} pods`)
  const pods = await createBenchPods(env, namespace, firstId, settings.burst)
  const unbound = await generator.listen(pods)
  if (unbound > 0) throw new Error(`${unbound} pod addresses could not be bound`)
  const before = new Set(await env.vault.listAccessors())
  log(`burst: ${settings.burst} pods ask at once`)
  const measured = await measuredPhase(env, generator, controller, () =>
    generator.run(
      'controller',
      controller.url,
      pods.map((pod) => pod.id),
      { kind: 'all' },
    ),
  )
  await generator.forget(pods.map((pod) => pod.id))
  // Every token minted since, looked up: the live ones of this namespace, and for how many pods.
  const fresh = (await env.vault.listAccessors()).filter((accessor) => !before.has(accessor))
  const lookups = await inBatches(fresh, 32, (accessor) => env.vault.lookupAccessor(accessor))
  const mine = lookups.filter((lookup) => lookup?.meta?.namespace === namespace)
  const failures = measured.results.filter((result) => !result.ok).length
  log(
    `burst: ${settings.burst - failures} issued, ${failures} failed in ${(measured.wallMs / 1000).toFixed(1)} s`,
  )
  return {
    pods: settings.burst,
    results: measured.results,
    wallMs: measured.wallMs,
    liveTokens: mine.length,
    podsWithToken: new Set(mine.map((lookup) => lookup?.meta?.pod_uid)).size,
    peakRssMb: controller.pid === undefined ? 0 : sampleProcess(controller.pid).peakRssMb,
    vaultCalls: measured.vaultCalls,
    apiCalls: measured.apiCalls,
  }
}

async function resetCounts(env: E2eEnvironment): Promise<void> {
  await callTestkitControl(env.kube.server, 'kube-dev', 'POST', 'stats/reset')
  await callTestkitControl(env.vault.addr, 'vault-dev', 'POST', 'stats/reset')
}

async function readCounts(env: E2eEnvironment): Promise<{ vaultCalls: CallCounts; apiCalls: CallCounts }> {
  const vault = (await callTestkitControl(env.vault.addr, 'vault-dev', 'GET', 'stats')) as {
    byRoute: CallCounts
  }
  const kube = (await callTestkitControl(env.kube.server, 'kube-dev', 'GET', 'stats')) as {
    byRoute: CallCounts
  }
  return { vaultCalls: vault.byRoute, apiCalls: kube.byRoute }
}

/** `NODE_OPTIONS` for the controllers: the flags asked for, and the CPU profiler when asked. */
function controllerNodeOptions(settings: BenchSettings): { NODE_OPTIONS?: string } {
  const flags = [
    settings.controllerNodeOptions,
    settings.cpuProfileDir === undefined ? '' : `--cpu-prof --cpu-prof-dir=${settings.cpuProfileDir}`,
  ]
    .filter((flag) => flag !== '')
    .join(' ')
  return flags === '' ? {} : { NODE_OPTIONS: flags }
}

function describe(schedule: Schedule): string {
  if (schedule.kind === 'rate') return `offered at ${schedule.perSec}/s`
  if (schedule.kind === 'closed') return `${schedule.concurrency} in flight`
  return 'all at once'
}
