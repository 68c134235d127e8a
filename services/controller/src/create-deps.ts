/**
 * @module
 * The real dependencies of the app, built from the configuration: the Kubernetes and Vault
 * clients, the identity verifier of the configured mode, the allow-list file, the audit stream.
 * Every file a setting names is read here, and a failure names the setting.
 */
import { createWriteStream } from 'node:fs'
import type { KubeConfig } from '@kubernetes/client-node'
import type { AppDeps } from './app.ts'
import { createAuditLog } from './audit/audit-log.ts'
import { type Config, ConfigError, readSettingFile } from './config.ts'
import type { PodTokenVerifier } from './identity/pod-identity.ts'
import { createTokenReviewVerifier } from './identity/token-review.ts'
import { createJwksVerifier } from './identity/verify-pod-token.ts'
import { createKubeClient, type KubeClient } from './kube/kube-client.ts'
import { createMetrics, type Metrics } from './metrics/metrics.ts'
import { AllowListError } from './policy/index.ts'
import { AllowListSource } from './reload/allow-list-source.ts'
import { createVaultClient } from './vault/vault-client.ts'
import { VaultTokenSource } from './vault/vault-token-source.ts'
import { createVaultTransport } from './vault/vault-transport.ts'

export interface CreatedDeps {
  deps: AppDeps
  /** The whole Kubernetes client: the revocation watcher also lists and watches pods. */
  kube: KubeClient
  /** The allow-list in force; `reload/config-reload.ts` watches its file. */
  allowListSource: AllowListSource
  /** Releases connections and streams. */
  close(): Promise<void>
}

export function createDeps(
  config: Config,
  options: { kubeConfig?: KubeConfig; metrics?: Metrics } = {},
): CreatedDeps {
  // Vault and Kubernetes calls are counted on the app's registry (docs/observability.md).
  const metrics = options.metrics ?? createMetrics()
  const allowListText = readSettingFile('ALLOW_LIST_FILE', config.allowListFile)
  let allowListSource: AllowListSource
  try {
    allowListSource = new AllowListSource(config.allowListFile, allowListText)
  } catch (error) {
    if (error instanceof AllowListError) {
      throw new ConfigError(error.problems.map((problem) => `ALLOW_LIST_FILE: ${problem}`))
    }
    throw error
  }
  // Fail at start, not at the first request, when a credential file is missing.
  const auth = config.vault.auth
  if (auth.method === 'token') readSettingFile('VAULT_TOKEN_FILE', auth.tokenFile)
  if (auth.method === 'kubernetes') readSettingFile('VAULT_AUTH_TOKEN_FILE', auth.jwtFile)
  if (auth.method === 'approle') {
    readSettingFile('VAULT_APPROLE_ROLE_ID_FILE', auth.roleIdFile)
    readSettingFile('VAULT_APPROLE_SECRET_ID_FILE', auth.secretIdFile)
  }
  const caPem =
    config.vault.caCertFile === undefined
      ? undefined
      : readSettingFile('VAULT_CACERT', config.vault.caCertFile)

  const kube = createKubeClient({
    ...(options.kubeConfig === undefined ? {} : { kubeConfig: options.kubeConfig }),
    ...(config.kube.kubeconfig === undefined ? {} : { kubeconfig: config.kube.kubeconfig }),
    component: 'vault-controller',
    controllerId: config.controllerId,
    metrics,
  })
  const vaultTransport = createVaultTransport({
    addr: config.vault.addr,
    ...(caPem === undefined ? {} : { caPem }),
    maxSockets: config.vault.maxConcurrency,
    requestTimeoutMs: config.vault.requestTimeoutMs,
    metrics,
  })
  // The controller's own identity: obtained in the background, renewed, replaced when refused.
  const vaultIdentity = new VaultTokenSource({ transport: vaultTransport, auth })
  vaultIdentity.start()
  const vault = createVaultClient({
    addr: config.vault.addr,
    transport: vaultTransport,
    token: vaultIdentity,
    maxConcurrency: config.vault.maxConcurrency,
    requestTimeoutMs: config.vault.requestTimeoutMs,
  })
  const verifier: PodTokenVerifier =
    config.identity.mode === 'token-review'
      ? createTokenReviewVerifier({ kube, audience: config.identity.audience })
      : createJwksVerifier({
          kube,
          audience: config.identity.audience,
          ...(config.identity.issuer === undefined ? {} : { issuer: config.identity.issuer }),
          ...(config.identity.jwksUrl === undefined ? {} : { jwksUrl: config.identity.jwksUrl }),
        })
  const auditStream =
    config.auditLogFile === undefined
      ? process.stdout
      : createWriteStream(config.auditLogFile, { flags: 'a', mode: 0o600 })
  const audit = createAuditLog({
    write: (line) => auditStream.write(line),
    controllerId: config.controllerId,
  })

  return {
    kube,
    allowListSource,
    deps: {
      kube,
      vault,
      vaultIdentity,
      verifier,
      allowList: () => allowListSource.current(),
      audit,
      metrics,
    },
    async close() {
      allowListSource.close()
      vaultIdentity.close()
      vault.close()
      vaultTransport.close()
      if (auditStream !== process.stdout) await new Promise<void>((resolve) => auditStream.end(resolve))
    },
  }
}
