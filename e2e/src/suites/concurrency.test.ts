/**
 * @module
 * One token per pod under concurrency (DESIGN §5.3): 50 pods starting at once, each with its own
 * vault-init process, get exactly one token each; and one pod's request sent several times at
 * once, to two controller replicas, produces exactly one token.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ControllerProxy,
  type ProxiedAnswer,
  startControllerProxy,
} from '../harness/controller-proxy.ts'
import { postToken } from '../harness/controller-requests.ts'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'

const POD_COUNT = 50

let env: E2eEnvironment
let proxy: ControllerProxy

beforeAll(async () => {
  env = await startE2eEnvironment()
  await env.startController()
  proxy = await startControllerProxy(env.controller.url)
}, 30_000)

afterAll(async () => {
  await proxy?.close()
  await env?.close()
}, 30_000)

describe('concurrency', () => {
  it(`${POD_COUNT} pods at once all get exactly one token each`, { timeout: 60_000 }, async () => {
    const pods = await Promise.all(
      Array.from({ length: POD_COUNT }, (_, index) =>
        env.createPod({ namespace: 'e2e-many', name: `web-${index}`, policies: 'web', ttl: '30m' }),
      ),
    )
    const before = await env.vault.countTokens()
    const started = Date.now()
    // Half the pods ask the first replica, half the second.
    const results = await Promise.all(
      pods.map((pod, index) =>
        pod.runVaultInit({
          controllerUrl: (env.controllers[index % 2] ?? env.controller).url,
          killAfterMs: 50_000,
        }),
      ),
    )
    const elapsedMs = Date.now() - started
    for (const [index, result] of results.entries())
      expect(result.code, `web-${index}: ${result.stderr}`).toBe(0)

    const accessors = await Promise.all(
      pods.map(async (pod) => {
        const token = readFileSync(pod.tokenPath, 'utf8')
        const self = await env.vault.lookupSelf(token).catch(() => undefined)
        // On failure, say what the controller recorded for this pod and what vault-init printed.
        const story = `${pod.name}: ${JSON.stringify(env.controllers.flatMap((c) => c.auditFor(pod.namespace, pod.name)))}\n${results[pods.indexOf(pod)]?.stderr}`
        expect(self, `the token file of ${story}`).toBeDefined()
        if (self === undefined) return ''
        expect(self.meta).toMatchObject({ pod_name: pod.name, pod_uid: pod.uid, pod_ip: pod.ip })
        expect(self.period).toBe(1800)
        const record = await pod.issuance()
        expect(record).toMatchObject({ state: 'issued', tokenAccessor: self.accessor })
        return self.accessor
      }),
    )
    expect(new Set(accessors).size).toBe(POD_COUNT)
    expect(await env.vault.countTokens()).toBe(before + POD_COUNT)
    const issued = env.controllers.flatMap((controller) =>
      controller
        .auditLines()
        .filter((line) => line.pod.namespace === 'e2e-many' && line.decision === 'issued'),
    )
    expect(issued).toHaveLength(POD_COUNT)
    console.info(`${POD_COUNT} vault-init processes in ${elapsedMs} ms`)
  })

  it('duplicate concurrent requests for one pod, to two replicas, produce exactly one token', async () => {
    const pod = await env.createPod({ namespace: 'e2e-duplicates', name: 'web-1', policies: 'web' })
    const before = await env.vault.countTokens()
    const duplicates: Promise<ProxiedAnswer | { status: number; text: string }>[] = []
    const forwarded: ProxiedAnswer[] = []
    proxy.handler = async (request, forward) => {
      if (duplicates.length === 0) {
        // vault-init's first request, replayed four more times at once, to both replicas.
        for (const controller of [...env.controllers, ...env.controllers]) {
          duplicates.push(
            postToken(controller.url, {
              bearer: (request.headers.authorization ?? '').replace(/^Bearer /, ''),
              body: request.body,
            }).then((answer) => ({ status: answer.status, text: JSON.stringify(answer.body) })),
          )
        }
      }
      const answer = await forward(request)
      forwarded.push(answer)
      return answer
    }
    const result = await pod.runVaultInit({ controllerUrl: proxy.url })
    expect(result.code, result.stderr).toBe(0)
    // vault-init's first request and its four copies: exactly one was delivered; the others were
    // told the pod is being served or was served. (If a copy won, vault-init still got the token on
    // its callback, and its own retry learns it was issued.)
    const answers = [forwarded[0], ...(await Promise.all(duplicates))].filter(
      (answer) => answer !== undefined,
    )
    expect(answers).toHaveLength(5)
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1)
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(JSON.parse(answer.text).error.code).toMatch(/^VC_(ISSUANCE_IN_PROGRESS|ALREADY_ISSUED)$/)
    }
    expect(await env.vault.countTokens()).toBe(before + 1)
    const issued = env.controllers.flatMap((controller) =>
      controller
        .auditLines()
        .filter((line) => line.pod.namespace === 'e2e-duplicates' && line.decision === 'issued'),
    )
    expect(issued).toHaveLength(1)
    const token = readFileSync(pod.tokenPath, 'utf8')
    expect((await env.vault.lookupSelf(token)).accessor).toBe(issued[0]?.tokenAccessor)
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.leaks()).toEqual([])
  })
})
