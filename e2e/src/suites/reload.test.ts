/**
 * @module
 * Hot reload of the allow-list through real processes: the operator edits the file the running
 * controller was started with, and the controller applies it without a restart; a broken edit is
 * refused with an error line naming the file and the problem, and the previous rules stay in force.
 * (TLS certificate rotation is covered by the controller's unit tests: the suites speak plain HTTP.)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { waitFor } from '@vault-controller/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { E2E_ALLOW_LIST, type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'

/** The suites' allow-list plus a rule for service account `batch` in `e2e-reload-*`. */
const WITH_BATCH = `${E2E_ALLOW_LIST}  - name: e2e-reload-batch
    namespaces: ["e2e-reload-*"]
    serviceAccounts: ["batch"]
    policies: ["web"]
    ttl:
      default: 1h
      max: 2h
`
/** Drops the batch rule, and is invalid: `*` could grant root. */
const BROKEN = `rules:
  - name: e2e-web
    namespaces: ["e2e-*"]
    serviceAccounts: ["*"]
    policies: ["*"]
    ttl:
      default: 1h
      max: 24h
`

let env: E2eEnvironment
let allowListFile: string

beforeAll(async () => {
  env = await startE2eEnvironment({ controllerEnv: { CONFIG_RELOAD_INTERVAL: '5s' } })
  allowListFile = env.controllerEnv.ALLOW_LIST_FILE ?? ''
}, 30_000)

afterAll(async () => {
  await env?.close()
}, 30_000)

/** The controller's JSON log lines with this message prefix. */
function controllerLogs(prefix: string): Record<string, unknown>[] {
  return env.output
    .lines(`controller ${env.controller.id}`)
    .filter((line) => line.stream === 'stdout' && line.line.startsWith('{'))
    .map((line) => JSON.parse(line.line) as Record<string, unknown>)
    .filter((line) => typeof line.msg === 'string' && line.msg.startsWith(prefix))
}

function waitForLog(prefix: string, count: number): Promise<Record<string, unknown>> {
  return waitFor(() => controllerLogs(prefix)[count - 1], {
    timeoutMs: 15_000,
    description: `controller log "${prefix}" #${count}`,
  })
}

describe('allow-list reload', () => {
  it('a pod no rule allows gets its token once the file grants it, without a restart', async () => {
    const pod = await env.createPod({
      namespace: 'e2e-reload-1',
      name: 'job-1',
      serviceAccount: 'batch',
      policies: 'web',
    })
    const denied = await pod.runVaultInit()
    expect(denied.code, denied.stderr).toBe(2)
    expect(denied.stderr).toContain('vault-init: VC_NO_MATCHING_RULE:')

    writeFileSync(allowListFile, WITH_BATCH)
    const reloaded = await waitForLog('allow-list reloaded', 1)
    expect(reloaded).toMatchObject({ level: 30, file: allowListFile, rules: 2, generation: 2 })
    expect(reloaded.sha256).toMatch(/^[0-9a-f]{64}$/)

    // The kubelet restarts a failed init container: this time the controller grants it.
    const granted = await pod.runVaultInit()
    expect(granted.code, granted.stderr).toBe(0)
    expect(await pod.issuance()).toMatchObject({ state: 'issued' })
    const token = await env.vault.lookupSelf(readFileSync(pod.tokenPath, 'utf8'))
    expect(token.policies).toEqual(['default', 'web'])
  })

  it('an invalid file is refused with an error line, and the previous rules stay in force', async () => {
    writeFileSync(allowListFile, BROKEN)
    const refusal = await waitForLog('allow-list rejected', 1)
    expect(refusal).toMatchObject({ level: 50, file: allowListFile, inForce: { generation: 2 } })
    expect(String(refusal.msg)).toContain('"*" would match "root"')
    expect(refusal.problems).toEqual([expect.stringContaining('rules[0] (e2e-web): policies[0]')])

    // The refused file has no batch rule; the rules in force (generation 2) still grant it.
    const pod = await env.createPod({
      namespace: 'e2e-reload-2',
      name: 'job-1',
      serviceAccount: 'batch',
      policies: 'web',
    })
    const granted = await pod.runVaultInit()
    expect(granted.code, granted.stderr).toBe(0)
    expect(controllerLogs('allow-list reloaded')).toHaveLength(1)
    expect(controllerLogs('allow-list rejected')).toHaveLength(1)
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.leaks()).toEqual([])
  })
})
