/**
 * @module
 * The whole world of one suite, started once per test file: kube-dev (with a signing key generated
 * for this run), Vault (vault-dev, or a real one, see e2e-targets.ts) configured as an operator
 * would (the controller's real `setup-vault` command, vault-operator-setup.ts), and one or more
 * controller processes with their own Kubernetes identity (a kubeconfig with a static token, RBAC
 * `enforce` with exactly CONTROLLER_RBAC_RULES) and their own Vault identity: by default
 * Kubernetes auth with the service account's own token (TokenRequest), or a token file (never
 * root). Cases isolate themselves by namespace and pod name. `close()` stops every process
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
import { CONTROLLER_RBAC_RULES, controllerRbacRules, type IdentityMode } from './controller-rbac.ts'
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
import {
  CONTROLLER_AUTH_ROLE,
  CONTROLLER_JWT_AUDIENCE,
  type ControllerVaultAuth,
  setUpVaultForController,
  type VaultSetup,
} from './vault-operator-setup.ts'

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
/** The service account whose token Vault sends its TokenReviews with (Vault outside the cluster). */
export const TOKEN_REVIEWER_SERVICE_ACCOUNT = 'vault-token-reviewer'

export interface E2eEnvironmentOptions {
  identityMode?: IdentityMode
  allowList?: string
  /** Extra controller settings (docs/configuration.md). */
  controllerEnv?: Record<string, string>
  /**
   * How the controllers authenticate to Vault: `kubernetes` (default; `E2E_CONTROLLER_VAULT_AUTH`
   * overrides it) logs in with the service account's own token, `token` reads a token file.
   */
  controllerVaultAuth?: ControllerVaultAuth
  /** Extra vault-dev flags, e.g. its latency model (`--write-latency-ms 5`); ignored with a real Vault. */
  vaultDevArgs?: readonly string[]
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
      startVault(processes, options.vaultDevArgs ?? []),
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
    const reviewer = `system:serviceaccount:${CONTROLLER_NAMESPACE}:${TOKEN_REVIEWER_SERVICE_ACCOUNT}`
    await kubeDevControl.enforceRbacGrants([
      { username, rules: controllerRbacRules(identityMode) },
      // Vault's token reviewer (system:auth-delegator would grant this on a real cluster).
      { username: reviewer, rules: [CONTROLLER_RBAC_RULES.tokenReviews] },
    ])
    await kubeDevControl.registerNode(NODE_NAME)
    await kube.ensureNamespace(CONTROLLER_NAMESPACE)
    await kube.ensureServiceAccount(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT)
    await kube.ensureServiceAccount(CONTROLLER_NAMESPACE, TOKEN_REVIEWER_SERVICE_ACCOUNT)
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

    const vaultAuth = options.controllerVaultAuth ?? defaultControllerVaultAuth()
    const tokenReviewerJwt =
      vaultAuth === 'kubernetes'
        ? await kube.requestServiceAccountToken(CONTROLLER_NAMESPACE, TOKEN_REVIEWER_SERVICE_ACCOUNT)
        : undefined
    if (tokenReviewerJwt !== undefined) output.addSecret(tokenReviewerJwt)
    const vaultSetup = await setUpVaultForController(vault, {
      auth: vaultAuth,
      adminToken: vaultTarget.token,
      runDir,
      output,
      kubernetesHost: kubeDev.info.server,
      ...(tokenReviewerJwt === undefined ? {} : { tokenReviewerJwt }),
      controllerNamespace: CONTROLLER_NAMESPACE,
      controllerServiceAccount: CONTROLLER_SERVICE_ACCOUNT,
    })
    let vaultIdentityEnv: Record<string, string>
    if (vaultSetup.controllerToken !== undefined) {
      output.addSecret(vaultSetup.controllerToken)
      const vaultTokenFile = runDir.writeFile('controller-vault-token', vaultSetup.controllerToken)
      vaultIdentityEnv = { VAULT_AUTH_METHOD: 'token', VAULT_TOKEN_FILE: vaultTokenFile }
    } else {
      // What the kubelet mounts for the controller's pod: its service account's own token.
      const controllerJwt = await kube.requestServiceAccountToken(
        CONTROLLER_NAMESPACE,
        CONTROLLER_SERVICE_ACCOUNT,
        {
          audiences: [CONTROLLER_JWT_AUDIENCE],
        },
      )
      output.addSecret(controllerJwt)
      vaultIdentityEnv = {
        VAULT_AUTH_METHOD: 'kubernetes',
        VAULT_AUTH_ROLE: CONTROLLER_AUTH_ROLE,
        VAULT_AUTH_TOKEN_FILE: runDir.writeFile('controller-sa-token', controllerJwt),
      }
    }
    const allowListFile = runDir.writeFile('allow-list.yaml', options.allowList ?? E2E_ALLOW_LIST)

    const controllerEnv: Record<string, string> = {
      LOG_LEVEL: 'info',
      VAULT_ADDR: vault.addr,
      ...vaultIdentityEnv,
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
      // Like a Service: the first controller still running.
      controllerUrl: () => (controllers.find((controller) => !controller.exited) ?? first).url,
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
async function startVault(
  processes: RunningProcess<unknown>[],
  extraArgs: readonly string[],
): Promise<{ addr: string; token: string }> {
  if (e2eTargets.vault !== undefined) return e2eTargets.vault
  const child = await startNodeProcess<{ addr: string; rootToken: string }>(artifacts.vaultDev, [
    '--port',
    '0',
    ...extraArgs,
  ])
  processes.push(child)
  return { addr: child.info.addr, token: child.info.rootToken }
}

function defaultControllerVaultAuth(): ControllerVaultAuth {
  const chosen = process.env.E2E_CONTROLLER_VAULT_AUTH
  if (chosen === undefined || chosen === '') return 'kubernetes'
  if (chosen === 'kubernetes' || chosen === 'token') return chosen
  throw new Error(`E2E_CONTROLLER_VAULT_AUTH must be kubernetes or token, not ${chosen}`)
}
