/**
 * @module
 * The README's demo: what vault-controller does, shown on the testkit servers.
 *
 * It starts vault-dev and kube-dev as real processes, sets Vault up the way an operator
 * would (a policy and an orphan, periodic token role), creates a pod the way a workload
 * would (annotations asking for a policy and a TTL), proves the pod's identity with a
 * projected service-account token checked against the cluster's JWKS, mints a
 * response-wrapped token through the role and unwraps it exactly once — with the real
 * clients (@kubernetes/client-node, node-vault, jose). Tokens are never printed:
 * only accessors, which is also what our audit trail records.
 */
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import NodeVault from 'node-vault'
import { artifacts } from './paths.ts'
import { type RunningProcess, startNodeProcess } from './processes.ts'

interface VaultDevInfo {
  addr: string
  rootToken: string
}
interface KubeDevInfo {
  server: string
  token: string
  issuer: string
}

const NAMESPACE = 'shop'
const SERVICE_ACCOUNT = 'web'
const POD = 'web-7d9c4'
const POD_IP = '127.0.0.42'
const ROLE = 'pod-tokens'

const say = (line = '') => process.stdout.write(`${line}\n`)
const step = (n: number, title: string) => say(`\n── ${n}. ${title}`)
const show = (label: string, value: unknown) =>
  say(`   ${label.padEnd(22)} ${typeof value === 'string' ? value : JSON.stringify(value)}`)

async function main(): Promise<void> {
  const running: RunningProcess<unknown>[] = []
  try {
    step(1, 'Start the test servers (real processes, loopback only)')
    const vaultDev = await startNodeProcess<VaultDevInfo>(artifacts.vaultDev, ['--port', '0'])
    running.push(vaultDev)
    const kubeDev = await startNodeProcess<KubeDevInfo>(artifacts.kubeDev, ['--port', '0'])
    running.push(kubeDev)
    show('vault-dev', vaultDev.info.addr)
    show('kube-dev', kubeDev.info.server)
    show('cluster issuer', kubeDev.info.issuer)

    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'kube-dev', server: kubeDev.info.server, skipTLSVerify: true }],
      users: [{ name: 'admin', token: kubeDev.info.token }],
      contexts: [{ name: 'kube-dev', cluster: 'kube-dev', user: 'admin' }],
      currentContext: 'kube-dev',
    })
    const core = kc.makeApiClient(CoreV1Api)
    const admin = NodeVault({ endpoint: vaultDev.info.addr, token: vaultDev.info.rootToken })

    step(2, 'The platform team sets Vault up (policy + orphan, periodic token role)')
    await admin.write('sys/policy/web', { policy: 'path "secret/data/web/*" { capabilities = ["read"] }' })
    await admin.write(`auth/token/roles/${ROLE}`, {
      allowed_policies: ['web'],
      orphan: true,
      token_period: '1h',
    })
    const role = await admin.read(`auth/token/roles/${ROLE}`)
    show('policy', 'web: read secret/data/web/*')
    show(`role ${ROLE}`, {
      allowed_policies: role.data.allowed_policies,
      orphan: role.data.orphan,
      token_period: role.data.token_period,
    })

    step(3, 'A workload asks for Vault through pod annotations')
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } })
    await core.createNamespacedServiceAccount({
      namespace: NAMESPACE,
      body: { metadata: { name: SERVICE_ACCOUNT } },
    })
    const created = await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: {
          name: POD,
          annotations: { 'vaultproject.io/policies': 'web', 'vaultproject.io/ttl': '1h' },
        },
        spec: {
          serviceAccountName: SERVICE_ACCOUNT,
          initContainers: [{ name: 'vault-init', image: 'vault-init:dev' }],
          containers: [{ name: 'app', image: 'shop/web:1.0' }],
        },
      },
    })
    // The kubelet gives the pod an IP and starts its init container.
    await kubelet(kubeDev.info, { podIP: POD_IP, hostIP: '127.0.0.1', initContainers: 'running' })
    const pod: V1Pod = await core.readNamespacedPod({ name: POD, namespace: NAMESPACE })
    show('pod', `${NAMESPACE}/${POD} uid=${created.metadata?.uid}`)
    show('annotations', pod.metadata?.annotations ?? {})
    show('phase / pod IP', `${pod.status?.phase} / ${pod.status?.podIP}`)

    step(4, "The pod proves who it is: a projected token, verified against the cluster's JWKS")
    const tokenRequest = await core.createNamespacedServiceAccountToken({
      name: SERVICE_ACCOUNT,
      namespace: NAMESPACE,
      body: {
        spec: {
          audiences: ['vault-controller'],
          expirationSeconds: 600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: POD, uid: created.metadata?.uid ?? '' },
        },
      },
    })
    const jwks = createRemoteJWKSet(new URL('/openid/v1/jwks', kubeDev.info.server), {
      headers: { authorization: `Bearer ${kubeDev.info.token}` },
    })
    const { payload, protectedHeader } = await jwtVerify(tokenRequest.status?.token ?? '', jwks, {
      issuer: kubeDev.info.issuer,
      audience: 'vault-controller',
      algorithms: ['RS256'],
    })
    const claims = payload['kubernetes.io'] as { pod: { name: string; uid: string } }
    show('signature', `${protectedHeader.alg}, kid ${protectedHeader.kid?.slice(0, 12)}…, verified`)
    show('subject', payload.sub ?? '')
    show('bound pod', `${claims.pod.name} uid=${claims.pod.uid}`)
    show('same live pod?', claims.pod.uid === pod.metadata?.uid ? 'yes (UID matches)' : 'NO')

    step(5, 'Vault mints an orphan, periodic token through the role, response-wrapped for 60 s')
    const minted = await admin.write(
      `auth/token/create/${ROLE}`,
      {
        policies: ['web'],
        display_name: `${NAMESPACE}-${POD}`,
        meta: {
          namespace: NAMESPACE,
          pod_name: POD,
          pod_uid: pod.metadata?.uid ?? '',
          pod_ip: POD_IP,
          service_account: SERVICE_ACCOUNT,
        },
      },
      { headers: { 'X-Vault-Wrap-TTL': '60s' } },
    )
    const wrapInfo = minted.wrap_info as {
      token: string
      accessor: string
      ttl: number
      wrapped_accessor: string
    }
    show('wrapping accessor', wrapInfo.accessor)
    show('token accessor', wrapInfo.wrapped_accessor)
    show('wrap TTL', `${wrapInfo.ttl}s, single use`)
    show('wrapping token', `[never printed: ${wrapInfo.token.length} characters]`)

    step(6, 'Only the holder of the wrapping token can unwrap it, exactly once')
    const unwrapper = NodeVault({ endpoint: vaultDev.info.addr })
    const unwrapped = await unwrapper.write('sys/wrapping/unwrap', undefined, {
      headers: { 'X-Vault-Token': wrapInfo.token },
    })
    const auth = unwrapped.auth as { client_token: string; accessor: string; policies: string[] }
    const self = await unwrapper.read('auth/token/lookup-self', {
      headers: { 'X-Vault-Token': auth.client_token },
    })
    show('token policies', self.data.policies)
    show('orphan / renewable', `${self.data.orphan} / ${self.data.renewable}`)
    show('ttl', `${self.data.ttl}s (periodic: renewing resets it to the role's period)`)
    show('metadata', self.data.meta)
    show(
      'accessor',
      `${self.data.accessor} (matches step 5: ${self.data.accessor === wrapInfo.wrapped_accessor})`,
    )
    try {
      await unwrapper.write('sys/wrapping/unwrap', undefined, {
        headers: { 'X-Vault-Token': wrapInfo.token },
      })
      show('second unwrap', 'SUCCEEDED (this must never happen)')
      process.exitCode = 1
    } catch (error) {
      const status = (error as { response?: { statusCode?: number } }).response?.statusCode
      show('second unwrap', `refused (${status}: ${(error as Error).message})`)
      say(
        '   → a wrapping token that is already used means someone else unwrapped it: vault-init fails loudly.',
      )
    }

    step(7, 'When the pod goes away, the token is revoked by accessor')
    await admin.write('auth/token/revoke-accessor', { accessor: auth.accessor })
    try {
      await unwrapper.read('auth/token/lookup-self', { headers: { 'X-Vault-Token': auth.client_token } })
      show('token after revoke', 'STILL VALID (this must never happen)')
      process.exitCode = 1
    } catch (error) {
      show(
        'token after revoke',
        `rejected (${(error as { response?: { statusCode?: number } }).response?.statusCode})`,
      )
    }
    say('\nDone. Next: the controller and vault-init do steps 4–7 for every pod, on their own.')
  } finally {
    await Promise.all(running.map((child) => child.stop()))
  }
}

async function kubelet(kube: KubeDevInfo, status: Record<string, string>): Promise<void> {
  const response = await fetch(new URL(`/__testkit/kubelet/${NAMESPACE}/${POD}`, kube.server), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(status),
  })
  if (!response.ok) throw new Error(`kubelet simulation failed: ${response.status} ${await response.text()}`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
})
