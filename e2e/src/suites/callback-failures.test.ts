/**
 * @module
 * Delivery failures through real processes: vault-init asks through a man in the middle that, on
 * the first attempt only, points the callback at a port where nothing listens, at a listener that
 * never answers (timeout), or pins another certificate. Each time the controller must revoke what
 * it minted (audit `delivery_failed`, `revoked: true`, the accessor gone from Vault, a
 * VaultTokenDeliveryFailed Event) and answer a retryable VC_CALLBACK_FAILED; vault-init's own
 * retry then succeeds, and Vault holds exactly one new token.
 */
import { createServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ControllerProxy,
  type ProxiedAnswer,
  startControllerProxy,
} from '../harness/controller-proxy.ts'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import type { SimulatedPod } from '../harness/simulated-pod.ts'

let env: E2eEnvironment
let proxy: ControllerProxy

beforeAll(async () => {
  env = await startE2eEnvironment()
  proxy = await startControllerProxy(env.controller.url)
}, 30_000)

afterAll(async () => {
  await proxy?.close()
  await env?.close()
}, 30_000)

type Callback = { port: number; certSha256: string }
type TokenRequestBody = { namespace: string; name: string; callback: Callback }

/**
 * Runs vault-init for a new pod; its first request reaches the controller with `tamper` applied
 * to the callback, later ones unchanged. Returns the first answer and what happened after.
 */
async function deliverAfterTamperedFirstAttempt(
  name: string,
  tamper: (callback: Callback) => Callback,
  prepare: (pod: SimulatedPod) => Promise<void> = async () => {},
) {
  const pod = await env.createPod({ namespace: `e2e-callback-${name}`, name: 'web-1', policies: 'web' })
  await prepare(pod)
  const answers: ProxiedAnswer[] = []
  proxy.received.length = 0
  proxy.handler = async (request, forward) => {
    const body = request.body as TokenRequestBody
    const first = answers.length === 0
    const answer = await forward(
      first ? { ...request, body: { ...body, callback: tamper(body.callback) } } : request,
    )
    answers.push(answer)
    return answer
  }
  const before = await env.vault.countTokens()
  const result = await pod.runVaultInit({ controllerUrl: proxy.url })
  return { pod, answers, result, before }
}

async function expectRevokedThenDelivered(
  run: Awaited<ReturnType<typeof deliverAfterTamperedFirstAttempt>>,
  why: RegExp,
) {
  const { pod, answers, result, before } = run
  expect(result.code, result.stderr).toBe(0)
  const [first, ...rest] = answers
  expect(first?.status, first?.text).toBe(502)
  expect(JSON.parse(first?.text ?? '{}')).toMatchObject({
    error: { code: 'VC_CALLBACK_FAILED', retryable: true },
  })
  expect(first?.headers['retry-after']).toBeDefined()
  expect(rest.at(-1)?.status).toBe(200)

  const failed = await env.controller.waitForAudit(
    (line) => line.pod.namespace === pod.namespace && line.decision === 'delivery_failed',
  )
  expect(failed).toMatchObject({ code: 'VC_CALLBACK_FAILED', revoked: true, pod: { uid: pod.uid } })
  expect(failed.message).toMatch(why)
  const issued = await env.controller.waitForAudit(
    (line) => line.pod.namespace === pod.namespace && line.decision === 'issued',
  )
  // The first token and its wrapping token are dead; the second is the pod's.
  expect(await env.vault.lookupAccessor(failed.tokenAccessor ?? '')).toBeUndefined()
  expect(await env.vault.lookupAccessor(failed.wrappingAccessor ?? '')).toBeUndefined()
  expect(issued.tokenAccessor).not.toBe(failed.tokenAccessor)
  expect((await env.vault.lookupAccessor(issued.tokenAccessor ?? ''))?.meta).toMatchObject({
    pod_uid: pod.uid,
  })
  expect(await env.vault.countTokens()).toBe(before + 1)
  expect(await pod.issuance()).toMatchObject({ state: 'issued', tokenAccessor: issued.tokenAccessor })
  const reasons = (await env.kube.podEvents(pod.namespace, pod.uid)).map((event) => event.reason)
  expect(reasons).toEqual(expect.arrayContaining(['VaultTokenDeliveryFailed', 'VaultTokenIssued']))
}

describe('callback failures: the minted token is revoked and the retry succeeds', () => {
  it('nothing listening on the callback port', async () => {
    const run = await deliverAfterTamperedFirstAttempt('closed', (callback) => ({
      ...callback,
      port: callback.port + 1,
    }))
    await expectRevokedThenDelivered(run, /cannot connect to the callback/)
  })

  it('another certificate than the pinned one', async () => {
    const run = await deliverAfterTamperedFirstAttempt('wrong-cert', (callback) => ({
      ...callback,
      certSha256: [...callback.certSha256].reverse().join(''),
    }))
    await expectRevokedThenDelivered(run, /certificate other than the pinned one/)
  })

  it('a listener that accepts and never answers (timeout)', async () => {
    const sockets = new Set<Socket>()
    const silent = createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    const silentPort = 9445
    try {
      const run = await deliverAfterTamperedFirstAttempt(
        'timeout',
        (callback) => ({ ...callback, port: silentPort }),
        // On the pod's own address, next to vault-init.
        (pod) => new Promise((resolve) => silent.listen(silentPort, pod.ip, () => resolve())),
      )
      await expectRevokedThenDelivered(run, /no TLS connection to the callback within \d+ ms/)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.leaks()).toEqual([])
  })
})
