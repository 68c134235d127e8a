/**
 * @module
 * Test-only: the world the controller's in-process end-to-end tests share. One kube-dev and one
 * vault-dev, Vault configured as an operator would (the controller's policy, its token roles, an
 * orphan controller token in a file), an allow-list file, and the real app built on top with its
 * log and audit lines captured. Pods are created through the Kubernetes API and marked running by
 * kube-dev's kubelet simulation; their identity is a real bound ServiceAccount token.
 *
 * It exists so that each test file says only what is particular to it. It imports testkit, a
 * devDependency, so `tsconfig.json` keeps this folder out of the build.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KubeDev, startKubeDev, startVaultDev, type VaultDev } from '@vault-controller/testkit'
import type { FastifyInstance } from 'fastify'
import { type AppDeps, buildApp } from '../app.ts'
import { createAuditLog } from '../audit/audit-log.ts'
import { loadConfig } from '../config.ts'
import { type CreatedDeps, createDeps } from '../create-deps.ts'
import { kubeConfigFor } from '../kube/kube-client.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { type Answer, type Json, kubeCall, vaultCall } from './dev-api.ts'

async function expectSuccess(what: string, answer: Promise<Answer>): Promise<Answer> {
  const { status, body } = await answer
  if (status >= 300) throw new Error(`${what}: HTTP ${status}`)
  return { status, body }
}

/** The controller's Vault policy: mint through role `pod-tokens`, look up and revoke by accessor. */
export const CONTROLLER_POLICY = `path "auth/token/create/pod-tokens" { capabilities = ["update", "sudo"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
`

export interface WorldOptions {
  /** Namespace → its ServiceAccounts. */
  serviceAccounts: Record<string, string[]>
  /** The controller's Vault policy (HCL). Default {@link CONTROLLER_POLICY}. */
  controllerPolicy?: string
  /** Token role name → its parameters. */
  tokenRoles: Record<string, Record<string, unknown>>
  /** The allow-list file's text. */
  allowList: string
  /** Prefix of the temporary directory holding the token and allow-list files. */
  tempPrefix: string
}

export interface ControllerWorld {
  kube: KubeDev
  vault: VaultDev
  /** Holds `tokenFile` and `allowListFile`. */
  workDir: string
  /** The controller's orphan Vault token (policy `controller`), as `VAULT_TOKEN_FILE`. */
  tokenFile: string
  controllerToken: string
  allowListFile: string
  close(): Promise<void>
}

/** Starts kube-dev and vault-dev and configures both for the controller. */
export async function startControllerWorld(options: WorldOptions): Promise<ControllerWorld> {
  const kube = await startKubeDev({ log: () => {} })
  const vault = await startVaultDev({ rootToken: 'root' })
  for (const [namespace, serviceAccounts] of Object.entries(options.serviceAccounts)) {
    await kube.createNamespace(namespace)
    for (const serviceAccount of serviceAccounts) await kube.createServiceAccount(namespace, serviceAccount)
  }
  await expectSuccess(
    'controller policy',
    vaultCall(vault, 'PUT', 'sys/policies/acl/controller', {
      policy: options.controllerPolicy ?? CONTROLLER_POLICY,
    }),
  )
  for (const [role, parameters] of Object.entries(options.tokenRoles)) {
    await expectSuccess(
      `token role ${role}`,
      vaultCall(vault, 'POST', `auth/token/roles/${role}`, parameters),
    )
  }
  const created = await expectSuccess(
    'controller token',
    vaultCall(vault, 'POST', 'auth/token/create-orphan', { policies: ['controller'] }),
  )
  const controllerToken = created.body.auth.client_token as string
  const workDir = mkdtempSync(join(tmpdir(), options.tempPrefix))
  const tokenFile = join(workDir, 'vault-token')
  writeFileSync(tokenFile, controllerToken)
  const allowListFile = join(workDir, 'allow-list.yaml')
  writeFileSync(allowListFile, options.allowList)
  return {
    kube,
    vault,
    workDir,
    tokenFile,
    controllerToken,
    allowListFile,
    close: async () => {
      await kube.close()
      await vault.close()
    },
  }
}

/** The real app of one test, with what it wrote. */
export interface ControllerApp {
  app: FastifyInstance
  /** Every log and audit line. */
  logs: string[]
  /** The audit lines, parsed. */
  audit: Json[]
  created: CreatedDeps
  /** As `server.ts` does: the app (its work in flight), then the clients. */
  close(): Promise<void>
}

export interface ControllerAppOptions {
  /** The app's registry. */
  metrics?: Metrics
  /** The clients' registry (default: one of their own, as `createDeps` does). */
  clientMetrics?: Metrics
  healthCheckIntervalMs?: number
  readiness?: AppDeps['readiness']
  https?: { cert: string; key: string }
}

/**
 * Builds the real app against the world: the environment is `settings` over the world's Vault
 * address, token file, role `pod-tokens` and allow-list file.
 */
export async function startControllerApp(
  world: ControllerWorld,
  settings: Record<string, string>,
  options: ControllerAppOptions = {},
): Promise<ControllerApp> {
  const config = loadConfig({
    VAULT_ADDR: world.vault.addr,
    VAULT_TOKEN_FILE: world.tokenFile,
    VAULT_TOKEN_ROLE: 'pod-tokens',
    ALLOW_LIST_FILE: world.allowListFile,
    ...settings,
  })
  const created = createDeps(config, {
    kubeConfig: kubeConfigFor(world.kube.server, world.kube.token),
    ...(options.clientMetrics === undefined ? {} : { metrics: options.clientMetrics }),
  })
  const logs: string[] = []
  const audit: Json[] = []
  const app = await buildApp(
    {
      ...created.deps,
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      audit: createAuditLog({
        write: (line) => {
          logs.push(line)
          audit.push(JSON.parse(line))
        },
        controllerId: config.controllerId,
      }),
      ...(options.healthCheckIntervalMs === undefined
        ? {}
        : { healthCheckIntervalMs: options.healthCheckIntervalMs }),
      ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
    },
    config,
    {
      logStream: { write: (line) => logs.push(line) },
      ...(options.https === undefined ? {} : { https: options.https }),
    },
  )
  return {
    app,
    logs,
    audit,
    created,
    close: async () => {
      await app.close()
      await created.close()
    },
  }
}

export interface PodOptions {
  namespace: string
  /** Default: `web-` and a random suffix. */
  name?: string
  serviceAccount: string
  annotations: Record<string, string>
  /** `null`: the kubelet reports no pod IP. Default 127.0.0.1. */
  podIP?: string | null
  hostNetwork?: boolean
  initContainers?: 'running' | 'succeeded'
  /** The init container's image. Default `vault-init:test`. */
  initImage?: string
}

export interface CreatedPod {
  namespace: string
  name: string
  uid: string
  serviceAccount: string
}

/** Creates a pod on node-1 and has kube-dev's kubelet report it with its init container running. */
export async function createPod(kube: KubeDev, options: PodOptions): Promise<CreatedPod> {
  const { namespace, serviceAccount } = options
  const name = options.name ?? `web-${randomUUID().slice(0, 8)}`
  const created = await expectSuccess(
    `pod ${name}`,
    kubeCall(kube, 'POST', `/api/v1/namespaces/${namespace}/pods`, {
      metadata: { name, annotations: options.annotations },
      spec: {
        serviceAccountName: serviceAccount,
        nodeName: 'node-1',
        ...(options.hostNetwork === true ? { hostNetwork: true } : {}),
        initContainers: [{ name: 'vault-init', image: options.initImage ?? 'vault-init:test' }],
        containers: [{ name: 'app', image: 'app:test' }],
      },
    }),
  )
  const kubelet: Record<string, string> = {
    hostIP: '10.0.0.1',
    initContainers: options.initContainers ?? 'running',
  }
  if (options.podIP !== null) kubelet.podIP = options.podIP ?? '127.0.0.1'
  const response = await fetch(`${kube.server}/__testkit/kubelet/${namespace}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(kubelet),
  })
  if (response.status >= 300) throw new Error(`kubelet of pod ${name}: HTTP ${response.status}`)
  return { namespace, name, uid: created.body.metadata.uid as string, serviceAccount }
}

/** A ServiceAccount token bound to the pod, for `audience`, as the kubelet projects it. */
export async function podToken(
  kube: KubeDev,
  pod: CreatedPod,
  audience = 'vault-controller',
): Promise<string> {
  const answer = await expectSuccess(
    `token of pod ${pod.name}`,
    kubeCall(
      kube,
      'POST',
      `/api/v1/namespaces/${pod.namespace}/serviceaccounts/${pod.serviceAccount}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: [audience],
          expirationSeconds: 600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid },
        },
      },
    ),
  )
  return answer.body.status.token as string
}

/** `POST /v1/token` for the pod, with its JWT (none when undefined) and a pinned callback. */
export function requestToken(
  app: FastifyInstance,
  pod: { namespace: string; name: string },
  jwt: string | undefined,
  callback: { port: number; certSha256: string },
  options: { payload?: string; contentType?: string; headers?: Record<string, string> } = {},
) {
  return app.inject({
    method: 'POST',
    url: '/v1/token',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...options.headers,
      ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` }),
    },
    payload:
      options.payload ??
      JSON.stringify({
        namespace: pod.namespace,
        name: pod.name,
        callback: { port: callback.port, certSha256: callback.certSha256 },
      }),
  })
}
