/**
 * @module
 * The whole world of one suite, started once per test file: kube-dev (with a signing key generated
 * for this run), Vault (vault-dev, or a real one, see e2e-targets.ts) configured as an operator
 * would, and one or more controller processes with their own Kubernetes identity (a kubeconfig
 * with a static token, RBAC `enforce` with exactly CONTROLLER_RBAC_RULES) and their own Vault token
 * (never root). Cases isolate themselves by namespace and pod name. `close()` stops every process
 * and removes every file.
 *
 * @example
 * const env = await startE2eEnvironment()
 * const pod = await env.createPod({ namespace: 'e2e-a', name: 'web-1', policies: 'web' })
 * const result = await pod.runVaultInit()   // exit 0, files in pod.outputDir
 * await env.close()
 */
import { randomBytes } from 'node:crypto'
import { DEFAULT_CALLBACK_PORT } from '@vault-controller/protocol'
import { artifacts } from '../paths.ts'
import { type RunningProcess, startNodeProcess } from '../processes.ts'
import { type ControllerProcess, startController } from './controller-process.ts'
import type { IdentityMode } from './controller-rbac.ts'
import { e2eTargets } from './e2e-targets.ts'
import { KubeAdmin } from './kube-admin.ts'
import { KubeDevControl } from './kube-dev-control.ts'
import { LoopbackAddresses } from './loopback-addresses.ts'
import { OutputCapture } from './output-capture.ts'
import { createRunDir, type RunDir } from './run-dir.ts'
import { createSimulatedPod, type PodOptions, type PodWorld, type SimulatedPod } from './simulated-pod.ts'
import { generateSigningKeyPem } from './token-forgery.ts'
import { VaultAdmin } from './vault-admin.ts'
import { VaultDevControl } from './vault-dev-control.ts'
import { setUpVaultForController, type VaultSetup } from './vault-operator-setup.ts'

/** The allow-list of the suites: namespaces `e2e-*`, service account `web`. */
export const E2E_ALLOW_LIST = `# e2e allow-list (default deny)
rules:
  - name: e2e-web
    namespaces: ["e2e-*"]
    serviceAccounts: ["web"]
    policies: ["web", "db-*"]
    ttl:
      default: 1h
      max: 24h
`

export const CONTROLLER_NAMESPACE = 'vault-system'
export const CONTROLLER_SERVICE_ACCOUNT = 'vault-controller'
export const NODE_NAME = 'e2e-node-1'

export interface E2eEnvironmentOptions {
  identityMode?: IdentityMode
  allowList?: string
  /** Extra controller settings (docs/configuration.md). */
  controllerEnv?: Record<string, string>
}

export interface E2eEnvironment {
  readonly output: OutputCapture
  readonly runDir: RunDir
  readonly vault: VaultAdmin
  /** vault-dev's hooks; undefined against a real Vault. */
  readonly vaultDev: VaultDevControl | undefined
  readonly vaultSetup: VaultSetup
  readonly kube: KubeAdmin
  readonly kubeDev: KubeDevControl
  /** The PEM private key kube-dev signs service-account tokens with (for forgeries). */
  readonly signingKeyPem: string
  /** The first controller. */
  readonly controller: ControllerProcess
  readonly controllers: readonly ControllerProcess[]
  /** The settings every controller of this environment starts with. */
  readonly controllerEnv: Readonly<Record<string, string>>
  /** Another replica (same settings unless overridden). */
  startController(env?: Record<string, string>): Promise<ControllerProcess>
  createPod(options: PodOptions): Promise<SimulatedPod>
  /** A loopback address of its own (a pod IP for a listener that is not vault-init). */
  allocateAddress(port?: number): Promise<string>
  close(): Promise<void>
}

export async function startE2eEnvironment(options: E2eEnvironmentOptions = {}): Promise<E2eEnvironment> {
  const identityMode = options.identityMode ?? 'jwks'
  const runDir = createRunDir()
  const output = new OutputCapture()
  const processes: RunningProcess<unknown>[] = []
  const controllers: ControllerProcess[] = []
  const close = async () => {
    await Promise.allSettled(controllers.map((controller) => controller.stop()))
    await Promise.allSettled(processes.map((child) => child.stop()))
    runDir.remove()
  }

  try {
    const signingKeyPem = generateSigningKeyPem()
    const signingKeyFile = runDir.writeFile('sa-signing-key.pem', signingKeyPem)
    const [kubeDev, vaultTarget] = await Promise.all([
      startNodeProcess<{ server: string; token: string; issuer: string }>(artifacts.kubeDev, [
        '--port',
        '0',
        '--signing-key',
        signingKeyFile,
      ]).then((child) => {
        processes.push(child)
        return child
      }),
      startVault(processes),
    ])
    output.addSecret(kubeDev.info.token)
    output.addSecret(vaultTarget.token)

    const kube = KubeAdmin.forToken(kubeDev.info.server, kubeDev.info.token)
    const kubeDevControl = new KubeDevControl(kubeDev.info.server)
    const vault = new VaultAdmin(vaultTarget.addr, vaultTarget.token)

    // The controller's Kubernetes identity: a static token, exactly the ClusterRole's rules.
    const controllerKubeToken = `e2e-controller-${randomBytes(24).toString('base64url')}`
    output.addSecret(controllerKubeToken)
    const username = `system:serviceaccount:${CONTROLLER_NAMESPACE}:${CONTROLLER_SERVICE_ACCOUNT}`
    await kubeDevControl.addIdentity({
      token: controllerKubeToken,
      username,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${CONTROLLER_NAMESPACE}`],
    })
    await kubeDevControl.enforceControllerRbac(username, identityMode)
    await kubeDevControl.registerNode(NODE_NAME)
    const kubeconfig = runDir.writeFile(
      'controller.kubeconfig',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'kube-dev',
            // Plain HTTP: client-node wants this set to speak it (there is no certificate to check).
            cluster: { server: kubeDev.info.server, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: CONTROLLER_SERVICE_ACCOUNT, user: { token: controllerKubeToken } }],
        contexts: [
          { name: 'controller', context: { cluster: 'kube-dev', user: CONTROLLER_SERVICE_ACCOUNT } },
        ],
        'current-context': 'controller',
      }),
    )

    const vaultSetup = await setUpVaultForController(vault)
    output.addSecret(vaultSetup.controllerToken)
    const vaultTokenFile = runDir.writeFile('controller-vault-token', vaultSetup.controllerToken)
    const allowListFile = runDir.writeFile('allow-list.yaml', options.allowList ?? E2E_ALLOW_LIST)

    const controllerEnv: Record<string, string> = {
      LOG_LEVEL: 'info',
      VAULT_ADDR: vault.addr,
      VAULT_AUTH_METHOD: 'token',
      VAULT_TOKEN_FILE: vaultTokenFile,
      VAULT_TOKEN_ROLE: vaultSetup.role,
      VAULT_REQUEST_TIMEOUT: '3s',
      KUBECONFIG: kubeconfig,
      IDENTITY_MODE: identityMode,
      ALLOW_LIST_FILE: allowListFile,
      REQUEST_DEADLINE: '10s',
      // The per-namespace limit is not under test here; 50 pods share a namespace.
      RATE_LIMIT_MAX: '100000',
      SHUTDOWN_DELAY: '1s',
      ...options.controllerEnv,
    }
    const addresses = new LoopbackAddresses()
    const startReplica = async (env: Record<string, string> = {}) => {
      const controller = await startController({
        id: `e2e-controller-${controllers.length + 1}`,
        env: { ...controllerEnv, ...env },
        output,
      })
      controllers.push(controller)
      return controller
    }
    const first = await startReplica()
    const world: PodWorld = {
      kube,
      kubelet: kubeDevControl,
      addresses,
      runDir,
      output,
      vaultAddr: vault.addr,
      controllerUrl: () => first.url,
      nodeName: NODE_NAME,
    }

    return {
      output,
      runDir,
      vault,
      vaultDev: e2eTargets.testkitVault ? new VaultDevControl(vault.addr) : undefined,
      vaultSetup,
      kube,
      kubeDev: kubeDevControl,
      signingKeyPem,
      controller: first,
      controllers,
      controllerEnv,
      startController: startReplica,
      createPod: (podOptions) => createSimulatedPod(world, podOptions),
      allocateAddress: (port = DEFAULT_CALLBACK_PORT) => addresses.allocate(port),
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** vault-dev as a process, or the real Vault named by E2E_VAULT_ADDR. */
async function startVault(processes: RunningProcess<unknown>[]): Promise<{ addr: string; token: string }> {
  if (e2eTargets.vault !== undefined) return e2eTargets.vault
  const child = await startNodeProcess<{ addr: string; rootToken: string }>(artifacts.vaultDev, [
    '--port',
    '0',
  ])
  processes.push(child)
  return { addr: child.info.addr, token: child.info.rootToken }
}
