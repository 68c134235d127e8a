/**
 * @module
 * A simulated pod: a real Pod object in the cluster (annotations, service account, an init
 * container), its own loopback address as pod IP, set by playing the kubelet (pod IP, init
 * container running), a projected service-account token bound to it (audience
 * `vault-controller`) in a file, and the init container itself — a vault-init process listening
 * on the pod IP and writing into the pod's own output directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { V1Pod } from '@kubernetes/client-node'
import {
  DEFAULT_AUDIENCE,
  DEFAULT_CALLBACK_PORT,
  ISSUANCE_ANNOTATION,
  type IssuanceRecord,
  POLICIES_ANNOTATION,
  readIssuance,
  SECRET_FILE_NAME,
  TOKEN_FILE_NAME,
  TTL_ANNOTATION,
} from '@vault-controller/protocol'
import type { KubeAdmin } from './kube-admin.ts'
import type { KubeDevControl } from './kube-dev-control.ts'
import type { LoopbackAddresses } from './loopback-addresses.ts'
import type { OutputCapture } from './output-capture.ts'
import type { RunDir } from './run-dir.ts'
import { startVaultInit, type VaultInitResult, type VaultInitRun } from './vault-init-process.ts'

export interface PodOptions {
  namespace: string
  name: string
  /** Default `web`. */
  serviceAccount?: string
  /** `vaultproject.io/policies`; absent: no annotation. */
  policies?: string
  /** `vaultproject.io/ttl`; absent: no annotation. */
  ttl?: string
  hostNetwork?: boolean
  /** Play the kubelet: pod IP and init container running. Default true. */
  schedule?: boolean
}

export interface PodWorld {
  kube: KubeAdmin
  kubelet: KubeDevControl
  addresses: LoopbackAddresses
  runDir: RunDir
  output: OutputCapture
  vaultAddr: string
  controllerUrl: () => string
  nodeName: string
}

export interface VaultInitRunOptions {
  /** Default: the environment's controller. */
  controllerUrl?: string
  /** Extra or overriding variables. */
  env?: Record<string, string>
  killAfterMs?: number
}

export class SimulatedPod {
  readonly namespace: string
  readonly name: string
  readonly serviceAccount: string
  readonly uid: string
  /** The pod IP: a loopback address of its own. */
  readonly ip: string
  readonly callbackPort = DEFAULT_CALLBACK_PORT
  /** The projected service-account token, as the kubelet mounts it. */
  readonly tokenFile: string
  /** vault-init's output directory (the pod's memory-backed volume). */
  readonly outputDir: string
  readonly #world: PodWorld

  constructor(
    world: PodWorld,
    fields: { namespace: string; name: string; serviceAccount: string; uid: string; ip: string },
  ) {
    this.#world = world
    this.namespace = fields.namespace
    this.name = fields.name
    this.serviceAccount = fields.serviceAccount
    this.uid = fields.uid
    this.ip = fields.ip
    const dir = world.runDir.makeDir(`${fields.namespace}.${fields.name}.`)
    this.tokenFile = join(dir, 'identity-token')
    this.outputDir = join(dir, 'out')
  }

  get ref(): string {
    return `${this.namespace}/${this.name}`
  }

  get tokenPath(): string {
    return join(this.outputDir, TOKEN_FILE_NAME)
  }

  get secretPath(): string {
    return join(this.outputDir, SECRET_FILE_NAME)
  }

  /** A fresh projected token bound to this pod (TokenRequest). */
  async identityToken(options: { audience?: string; expirationSeconds?: number } = {}): Promise<string> {
    return this.#world.kube.requestPodToken(this, {
      audience: options.audience ?? DEFAULT_AUDIENCE,
      ...(options.expirationSeconds === undefined ? {} : { expirationSeconds: options.expirationSeconds }),
    })
  }

  /** Starts the init container; the identity token file is written first. */
  async startVaultInit(options: VaultInitRunOptions = {}): Promise<VaultInitRun> {
    writeFileSync(this.tokenFile, await this.identityToken(), { mode: 0o600 })
    mkdirSync(this.outputDir, { recursive: true, mode: 0o700 })
    return startVaultInit({
      source: `vault-init ${this.ref}`,
      output: this.#world.output,
      ...(options.killAfterMs === undefined ? {} : { killAfterMs: options.killAfterMs }),
      env: {
        POD_NAME: this.name,
        POD_NAMESPACE: this.namespace,
        VAULT_ADDR: this.#world.vaultAddr,
        VAULT_CONTROLLER_ADDR: options.controllerUrl ?? this.#world.controllerUrl(),
        VAULT_INIT_SA_TOKEN_FILE: this.tokenFile,
        VAULT_INIT_LISTEN_ADDRESS: this.ip,
        VAULT_INIT_CALLBACK_PORT: String(this.callbackPort),
        VAULT_INIT_OUTPUT_DIR: this.outputDir,
        VAULT_INIT_DEADLINE: '25s',
        VAULT_INIT_REQUEST_TIMEOUT: '15s',
        NO_PROXY: '127.0.0.0/8,localhost',
        ...options.env,
      },
    })
  }

  /** Runs the init container to its exit. */
  async runVaultInit(options: VaultInitRunOptions = {}): Promise<VaultInitResult> {
    return (await this.startVaultInit(options)).done
  }

  async read(): Promise<V1Pod | undefined> {
    return this.#world.kube.readPod(this.namespace, this.name)
  }

  /** The controller's issuance record on the pod, if readable. */
  async issuance(): Promise<IssuanceRecord | undefined> {
    const reading = readIssuance((await this.read())?.metadata?.annotations)
    return reading.kind === 'recorded' ? reading.record : undefined
  }

  async rawIssuanceAnnotation(): Promise<string | undefined> {
    return (await this.read())?.metadata?.annotations?.[ISSUANCE_ANNOTATION]
  }
}

/** Creates pods in the cluster and gives them addresses. */
export async function createSimulatedPod(world: PodWorld, options: PodOptions): Promise<SimulatedPod> {
  const serviceAccount = options.serviceAccount ?? 'web'
  await world.kube.ensureNamespace(options.namespace)
  await world.kube.ensureServiceAccount(options.namespace, serviceAccount)
  const annotations: Record<string, string> = {}
  if (options.policies !== undefined) annotations[POLICIES_ANNOTATION] = options.policies
  if (options.ttl !== undefined) annotations[TTL_ANNOTATION] = options.ttl
  const created = await world.kube.createPod(options.namespace, {
    metadata: { name: options.name, annotations },
    spec: {
      serviceAccountName: serviceAccount,
      nodeName: world.nodeName,
      ...(options.hostNetwork === true ? { hostNetwork: true } : {}),
      initContainers: [{ name: 'vault-init', image: 'vault-init:e2e' }],
      containers: [{ name: 'app', image: 'app:e2e' }],
    },
  })
  const ip = await world.addresses.allocate(DEFAULT_CALLBACK_PORT)
  const pod = new SimulatedPod(world, {
    namespace: options.namespace,
    name: options.name,
    serviceAccount,
    uid: created.metadata?.uid ?? '',
    ip,
  })
  if (options.schedule !== false) {
    await world.kubelet.kubelet(options.namespace, options.name, {
      podIP: options.hostNetwork === true ? '127.0.0.1' : ip,
      hostIP: '127.0.0.1',
      initContainers: 'running',
    })
  }
  return pod
}
