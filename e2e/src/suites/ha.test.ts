/**
 * @module
 * Several replicas (DESIGN §4): three controller processes behind one address (the proxy, as a
 * Service would be), sharing nothing but Kubernetes and Vault. 30 pods start at once through it;
 * for every third pod, vault-init's request is also sent at the same instant straight to each of
 * the three replicas; one replica is killed with SIGKILL in the middle. At the end every pod holds
 * exactly one live token (the one in its files, named by its record) and no other token minted
 * through the token role is alive. Deleting all the pods then revokes every token, with the
 * killed replica still dead.
 */
import { readFileSync } from 'node:fs'
import { waitFor } from '@vault-controller/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ControllerProcess } from '../harness/controller-process.ts'
import { type ControllerProxy, startControllerProxy } from '../harness/controller-proxy.ts'
import { postToken } from '../harness/controller-requests.ts'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import type { SimulatedPod } from '../harness/simulated-pod.ts'
import type { TokenLookup } from '../harness/vault-admin.ts'

const POD_COUNT = 30
const NAMESPACE = 'e2e-ha'
/** Replica 2 is killed once it has delivered this many tokens. */
const KILL_AFTER_ISSUED = 3
/** Everything the token role minted (wrapping tokens too: their path is the create path). */
const MINTED_PATH = 'auth/token/create/'

let env: E2eEnvironment
let proxy: ControllerProxy
let victim: ControllerProcess
let pods: SimulatedPod[] = []
let killedAtMs = 0
/** Live tokens the killed replica minted but never recorded (see the first case). */
let strays: TokenLookup[] = []
/** Accessor of the token in each pod's files, by pod name. */
const accessors = new Map<string, string>()

beforeAll(async () => {
  env = await startE2eEnvironment()
  await env.startController()
  await env.startController()
  victim = env.controllers[1] as ControllerProcess
  // The Service: round-robin over the replicas still running.
  proxy = await startControllerProxy(() =>
    env.controllers.filter((controller) => !controller.exited).map((controller) => controller.url),
  )
}, 60_000)

afterAll(async () => {
  await proxy?.close()
  await env?.close()
}, 30_000)

interface DuplicateAnswer {
  pod: string
  replica: string
  status: number
  code: string | undefined
}

describe('three replicas', () => {
  it(`${POD_COUNT} pods, duplicates to every replica at once, one replica SIGKILLed: one live token per pod`, {
    timeout: 150_000,
  }, async () => {
    expect(env.controllers).toHaveLength(3)
    pods = await Promise.all(
      Array.from({ length: POD_COUNT }, (_, index) =>
        env.createPod({ namespace: NAMESPACE, name: `web-${index}`, policies: 'web', ttl: '30m' }),
      ),
    )
    const duplicated = new Set<string>()
    const duplicates: Promise<DuplicateAnswer>[] = []
    proxy.handler = async (request, forward) => {
      const name = (request.body as { name?: string }).name ?? ''
      const index = Number(name.replace('web-', ''))
      if (index % 3 === 0 && !duplicated.has(name)) {
        duplicated.add(name)
        // The same request, at the same instant, straight to each replica.
        const bearer = (request.headers.authorization ?? '').replace(/^Bearer /, '')
        for (const controller of env.controllers) {
          duplicates.push(
            postToken(controller.url, { bearer, body: request.body }).then(
              (answer) => ({ pod: name, replica: controller.id, status: answer.status, code: answer.code }),
              () => ({ pod: name, replica: controller.id, status: 0, code: 'connection failed' }),
            ),
          )
        }
      }
      return forward(request)
    }
    const issuedCount = () =>
      env.controllers
        .flatMap((controller) => controller.auditLines())
        .filter((line) => line.decision === 'issued').length
    let issuedAtKill = 0
    let requestsAtKill = 0
    // Killed while it is serving: as soon as it has delivered a few tokens.
    const killed = waitFor(
      () => victim.auditLines().filter((line) => line.decision === 'issued').length >= KILL_AFTER_ISSUED,
      { timeoutMs: 60_000, intervalMs: 10, description: 'replica 2 serving' },
    ).then(async () => {
      issuedAtKill = issuedCount()
      requestsAtKill = proxy.received.length
      await victim.kill('SIGKILL')
      killedAtMs = Date.now()
    })
    // Awaited below; a timeout must not surface first as an unhandled rejection.
    killed.catch(() => {})

    const results = await Promise.all(
      pods.map((pod) =>
        pod.runVaultInit({
          controllerUrl: proxy.url,
          // A claim held by the killed replica blocks its pod until it expires (about 46 s here).
          env: { VAULT_INIT_DEADLINE: '100s' },
          killAfterMs: 120_000,
        }),
      ),
    )
    await killed
    expect(victim.exited).toBe(true)
    // The kill really was in the middle: pods were still waiting for their token.
    expect(issuedAtKill).toBeLessThan(POD_COUNT)
    console.info(`replica 2 killed after ${issuedAtKill} deliveries and ${requestsAtKill} proxied requests`)
    for (const [index, result] of results.entries())
      expect(result.code, `web-${index}: ${result.stderr}`).toBe(0)

    // Every duplicate was refused, failed with the dead replica, or was the one delivery.
    const answers = await Promise.all(duplicates)
    const tally = new Map<string, number>()
    for (const answer of answers) {
      const key = `${answer.status} ${answer.code ?? ''}`
      tally.set(key, (tally.get(key) ?? 0) + 1)
    }
    console.info('duplicate answers:', Object.fromEntries(tally))
    expect(answers).toHaveLength(3 * duplicated.size)
    for (const answer of answers) {
      if (answer.status === 0)
        expect(answer.replica, 'only the killed replica fails to answer').toBe(victim.id)
      if (answer.status === 200 || answer.status === 0) continue
      expect(answer.code, JSON.stringify(answer)).toMatch(
        /^VC_(ISSUANCE_IN_PROGRESS|ALREADY_ISSUED|DEADLINE_EXCEEDED)$/,
      )
    }
    for (const name of duplicated)
      expect(
        answers.filter((answer) => answer.pod === name && answer.status === 200).length,
      ).toBeLessThanOrEqual(1)

    for (const pod of pods) {
      const self = await env.vault.lookupSelf(readFileSync(pod.tokenPath, 'utf8'))
      expect(self.meta).toMatchObject({ pod_name: pod.name, pod_uid: pod.uid })
      const record = await pod.issuance()
      // `in-progress` only if the killed replica delivered and died before recording it.
      expect(record?.state, pod.name).toMatch(/^(issued|in-progress)$/)
      expect(record && 'tokenAccessor' in record ? record.tokenAccessor : undefined).toBe(self.accessor)
      accessors.set(pod.name, self.accessor)
    }
    expect(new Set(accessors.values()).size).toBe(POD_COUNT)
    // No other token minted by the controllers is alive: no second token, no stray wrapping token.
    const minted = await env.vault.liveTokens(MINTED_PATH)
    const delivered = new Set(accessors.values())
    expect(minted.filter((token) => delivered.has(token.accessor))).toHaveLength(POD_COUNT)
    // Anything else may only be what the killed replica minted and had not yet recorded on the pod
    // (docs/e2e.md, "What ha.test.ts found": nobody can reach such a token, and it expires unrenewed).
    strays = minted.filter((token) => !delivered.has(token.accessor))
    for (const stray of strays) {
      expect(stray.creation_time, JSON.stringify(stray)).toBeLessThanOrEqual(Math.ceil(killedAtMs / 1000))
      expect(stray.renewable === false || stray.meta?.namespace === NAMESPACE).toBe(true)
    }
    if (strays.length > 0) {
      const names = strays.map((token) => `${token.display_name || 'wrapping'}@${token.creation_time}`)
      console.warn(
        `unrecorded tokens minted by the killed replica (killed at ${killedAtMs}): ${names.join(', ')}`,
      )
    }
  })

  it('deleting every pod revokes every token, with the killed replica still dead', {
    timeout: 60_000,
  }, async () => {
    expect(pods).toHaveLength(POD_COUNT)
    expect(victim.exited).toBe(true)
    await Promise.all(pods.map((pod) => env.kube.deletePod(pod.namespace, pod.name, 0)))
    await waitFor(
      async () => (await Promise.all(pods.map((pod) => pod.read()))).every((pod) => pod === undefined),
      { timeoutMs: 30_000, intervalMs: 200, description: 'every pod gone' },
    )
    for (const accessor of accessors.values())
      expect(await env.vault.lookupAccessor(accessor)).toBeUndefined()
    const left = await env.vault.liveTokens(MINTED_PATH)
    expect(left.map((token) => token.accessor).sort()).toEqual(strays.map((token) => token.accessor).sort())
    const revoked = env.controllers.flatMap((controller) =>
      controller.auditLines().filter((line) => line.decision === 'revoked'),
    )
    expect(new Set(revoked.map((line) => line.pod.name)).size).toBe(POD_COUNT)
    expect(revoked.every((line) => line.controller !== victim.id)).toBe(true)
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.leaks()).toEqual([])
  })
})
