/**
 * @module
 * The README's demo: the whole vault-controller flow, as real processes on the testkit servers.
 *
 * kube-dev plays the cluster and vault-dev plays Vault. Vault is set up the way an operator
 * would (pod policies, an orphan token role, a controller policy with no root and `sudo` on one
 * path only); the platform team's allow-list is written; the controller starts with its own
 * Kubernetes and Vault identities. Then a workload's pod asks for Vault through annotations, and
 * its init container (the real vault-init bundle, on the pod's own loopback IP) gets a token:
 * the demo shows the files it wrote, what Vault says about the token, the controller's audit
 * line, the Event and the annotations on the pod. A pod asking for more than the allow-list
 * grants is refused with nothing minted, and deleting the first pod revokes its token.
 *
 * Tokens are never printed: only accessors, which is also what the audit trail records.
 * It reuses the e2e harness (e2e/src/harness), so the demo is the same world the tests check.
 */
import { statSync } from 'node:fs'
import { ISSUANCE_ANNOTATION } from '@vault-controller/protocol'
import { waitFor } from '@vault-controller/testkit'
import { type E2eEnvironment, startE2eEnvironment } from './harness/e2e-environment.ts'

const NAMESPACE = 'shop'

/** What the platform team allows: the web service account in `shop` may have `web` and `db-*`. */
const ALLOW_LIST = `# Who may ask for what. Anything not matched is denied.
rules:
  - name: shop-web
    namespaces: ["shop"]
    serviceAccounts: ["web"]
    policies: ["web", "db-*"]
    ttl:
      default: 1h
      max: 24h
`

const say = (line = '') => process.stdout.write(`${line}\n`)
const step = (n: number, title: string) => say(`\n── ${n}. ${title}`)
const show = (label: string, value: unknown) =>
  say(`   ${label.padEnd(24)} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
const indent = (text: string) => {
  for (const line of text.trimEnd().split('\n')) say(`     ${line}`)
}

async function main(): Promise<void> {
  step(1, 'Start the world: kube-dev (the cluster), vault-dev (Vault), the controller')
  say('   Vault is set up as an operator would: pod policies, an orphan token role, and a controller')
  say("   policy with no root and sudo only on the role's create path. The controller reads the")
  say('   allow-list below; it has its own Kubernetes identity with the least RBAC.')
  indent(ALLOW_LIST)
  const env = await startE2eEnvironment({ allowList: ALLOW_LIST })
  try {
    await demo(env)
  } finally {
    await env.close()
  }
}

async function demo(env: E2eEnvironment): Promise<void> {
  show('vault-dev', env.vault.addr)
  show('controller', `${env.controller.url} (ready)`)
  const role = await env.vault.request<{ data: Record<string, unknown> }>(
    'GET',
    `auth/token/roles/${env.controllerEnv.VAULT_TOKEN_ROLE}`,
  )
  show(`token role`, {
    name: env.controllerEnv.VAULT_TOKEN_ROLE,
    orphan: role.data.orphan,
    allowed_policies: role.data.allowed_policies,
    allowed_policies_glob: role.data.allowed_policies_glob,
  })

  step(2, 'A workload asks for Vault through pod annotations')
  const pod = await env.createPod({
    namespace: NAMESPACE,
    name: 'web-7d9c4',
    policies: 'web, db-read',
    ttl: '2h',
  })
  show('pod', `${pod.ref} (service account ${pod.serviceAccount}, uid ${pod.uid})`)
  show('pod IP', `${pod.ip} (its own loopback address)`)
  show('annotations', { 'vaultproject.io/policies': 'web, db-read', 'vaultproject.io/ttl': '2h' })

  step(3, "The pod's init container, vault-init, runs")
  say('   It proves who it is with its projected service-account token, listens on the pod IP with a')
  say("   fresh certificate, and tells the controller that certificate's SHA-256; the controller checks")
  say('   the pod, the allow-list, claims the pod, mints a wrapped token and calls back, pinned.')
  const run = await pod.startVaultInit()
  const result = await run.done
  for (const line of run.stderrLines()) {
    const record = JSON.parse(line) as { level: string; msg: string; code?: string }
    say(
      `     vault-init ${record.level.padEnd(5)} ${record.msg}${record.code ? ` → exit ${record.code}` : ''}`,
    )
  }
  if (result.code !== 0) throw new Error(`vault-init exited ${result.code}`)
  show('exit code', `${result.code} after ${result.durationMs} ms`)

  step(4, "The token arrived: files in the pod's memory volume, readable by the pod alone")
  for (const path of [pod.tokenPath, pod.secretPath]) {
    show(
      path.slice(pod.outputDir.length + 1),
      `mode ${(statSync(path).mode & 0o777).toString(8)}, ${statSync(path).size} bytes`,
    )
  }
  const issuance = await pod.issuance()
  if (issuance?.tokenAccessor === undefined) throw new Error('no issuance record on the pod')
  const token = await env.vault.lookupAccessor(issuance.tokenAccessor)
  if (token === undefined) throw new Error('the token is not alive in Vault')
  say('   What Vault says about it (looked up by accessor):')
  show('policies', token.policies)
  show('orphan', token.orphan)
  show('period / ttl', `${token.period ?? 'none'} s / ${token.ttl} s`)
  show('metadata', token.meta)

  step(5, 'The record: audit line, Event and annotations (accessors only, never a token)')
  const audit = await env.controller.waitForAudit(
    (line) => line.decision === 'issued' && line.pod.name === pod.name,
  )
  say('   audit line:')
  indent(JSON.stringify(audit))
  const events = await env.kube.podEvents(pod.namespace, pod.uid)
  for (const event of events) show(`Event ${event.type}`, `${event.reason}: ${event.message}`)
  const annotations = (await pod.read())?.metadata?.annotations ?? {}
  show(ISSUANCE_ANNOTATION, annotations[ISSUANCE_ANNOTATION])
  show('finalizers', (await pod.read())?.metadata?.finalizers)

  step(6, 'A pod asking for more than the allow-list grants is refused, and nothing is minted')
  const greedy = await env.createPod({ namespace: NAMESPACE, name: 'web-greedy', policies: 'web, admin' })
  const tokensBefore = await env.vault.countTokens()
  const refused = await greedy.runVaultInit({ env: { VAULT_INIT_DEADLINE: '5s' } })
  const denial = await env.controller.waitForAudit(
    (line) => line.decision === 'denied' && line.pod.name === greedy.name,
  )
  show('vault-init exit code', `${refused.code} (a permanent refusal ends it at once)`)
  show('refused with', `${denial.code}: ${denial.message}`)
  show('tokens in Vault', `${tokensBefore} before, ${await env.vault.countTokens()} after`)
  const warnings = await env.kube.podEvents(greedy.namespace, greedy.uid)
  for (const event of warnings) show(`Event ${event.type}`, `${event.reason}: ${event.message}`)

  step(7, 'The pod goes away: its token is revoked, then the finalizer is removed')
  await env.kube.deletePod(pod.namespace, pod.name, 0)
  const revoked = await env.controller.waitForAudit(
    (line) => line.decision === 'revoked' && line.pod.name === pod.name,
  )
  show('audit', `${revoked.decision} ${revoked.tokenAccessor}`)
  await waitFor(async () => (await pod.read()) === undefined, {
    description: 'the pod to be gone',
    timeoutMs: 15_000,
  })
  show('pod', 'deleted (finalizer released)')
  show('token in Vault', (await env.vault.lookupAccessor(issuance.tokenAccessor)) ? 'alive' : 'gone')
  say('\nDone. Read docs/protocol-v1.md for the protocol, docs/allow-list.md for the rules.')
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
