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
import { createKubeClient } from './kube/kube-client.ts'
import { AllowListError, loadAllowList } from './policy/index.ts'
import { tokenFromFile } from './vault/token-file.ts'
import { createVaultClient } from './vault/vault-client.ts'

export interface CreatedDeps {
  deps: AppDeps
  /** Releases connections and streams. */
  close(): Promise<void>
}

export function createDeps(config: Config, options: { kubeConfig?: KubeConfig } = {}): CreatedDeps {
  const allowListText = readSettingFile('ALLOW_LIST_FILE', config.allowListFile)
  let allowList: ReturnType<typeof loadAllowList>
  try {
    allowList = loadAllowList(allowListText)
  } catch (error) {
    if (error instanceof AllowListError) {
      throw new ConfigError(error.problems.map((problem) => `ALLOW_LIST_FILE: ${problem}`))
    }
    throw error
  }
  // Fail at start, not at the first request, when the token file is missing.
  readSettingFile('VAULT_TOKEN_FILE', config.vault.auth.tokenFile)
  const caPem =
    config.vault.caCertFile === undefined
      ? undefined
      : readSettingFile('VAULT_CACERT', config.vault.caCertFile)

  const kube = createKubeClient({
    ...(options.kubeConfig === undefined ? {} : { kubeConfig: options.kubeConfig }),
    ...(config.kube.kubeconfig === undefined ? {} : { kubeconfig: config.kube.kubeconfig }),
    component: 'vault-controller',
    controllerId: config.controllerId,
  })
  const vault = createVaultClient({
    addr: config.vault.addr,
    ...(caPem === undefined ? {} : { caPem }),
    token: tokenFromFile(config.vault.auth.tokenFile),
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
    deps: { kube, vault, verifier, allowList: () => allowList, audit },
    async close() {
      vault.close()
      if (auditStream !== process.stdout) await new Promise<void>((resolve) => auditStream.end(resolve))
    },
  }
}
