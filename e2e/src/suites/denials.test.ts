/**
 * @module
 * Every refusal the issue lists, each with its error code and nothing minted (Vault's live token
 * count is unchanged, and the pod carries no issuance record). Crafted identity tokens and bodies
 * go straight to the controller; refusals a real pod would meet go through vault-init, which must
 * stop at once (exit 2) and say why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ControllerAnswer, postToken, tokenRequestBody } from '../harness/controller-requests.ts'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'
import type { SimulatedPod } from '../harness/simulated-pod.ts'
import { backdated, generateSigningKeyPem, resign } from '../harness/token-forgery.ts'

let env: E2eEnvironment
let podCount = 0

beforeAll(async () => {
  env = await startE2eEnvironment()
}, 30_000)

afterAll(async () => {
  await env?.close()
}, 30_000)

/** A fresh scheduled pod in its own namespace. */
async function newPod(
  options: { policies?: string; ttl?: string; hostNetwork?: boolean; serviceAccount?: string } = {},
) {
  podCount += 1
  return env.createPod({ namespace: `e2e-deny-${podCount}`, name: 'web-1', policies: 'web', ...options })
}

/** Runs `act` and checks that Vault holds exactly as many tokens afterwards. */
async function nothingMinted<T>(act: () => Promise<T>): Promise<T> {
  const before = await env.vault.countTokens()
  const result = await act()
  expect(await env.vault.countTokens()).toBe(before)
  return result
}

function expectRefused(answer: ControllerAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.code }, JSON.stringify(answer.body)).toEqual({ status, code })
}

async function ask(pod: SimulatedPod, bearer: string, body: unknown = tokenRequestBody(pod)) {
  return postToken(env.controller.url, { bearer, body })
}

describe('refused identities', () => {
  it('a forged signature (another key, the same kid): VC_IDENTITY_INVALID', async () => {
    const pod = await newPod()
    const forged = await resign(await pod.identityToken(), generateSigningKeyPem())
    expectRefused(await nothingMinted(() => ask(pod, forged)), 401, 'VC_IDENTITY_INVALID')
    expect(await pod.issuance()).toBeUndefined()
  })

  it('a token for another audience: VC_IDENTITY_WRONG_AUDIENCE', async () => {
    const pod = await newPod()
    const token = await pod.identityToken({ audience: 'https://kubernetes.default.svc' })
    expectRefused(await nothingMinted(() => ask(pod, token)), 401, 'VC_IDENTITY_WRONG_AUDIENCE')
  })

  it('an expired token, validly signed by the cluster key: VC_IDENTITY_EXPIRED', async () => {
    const pod = await newPod()
    const expired = await resign(await pod.identityToken(), env.signingKeyPem, backdated(2 * 3600))
    expectRefused(await nothingMinted(() => ask(pod, expired)), 401, 'VC_IDENTITY_EXPIRED')
  })

  it('the same token re-signed by the cluster key and still valid is accepted as far as the pod checks', async () => {
    // Proves the two cases above fail for their stated reason, not because re-signing breaks tokens.
    const pod = await newPod({ policies: 'root' })
    const resigned = await resign(await pod.identityToken(), env.signingKeyPem)
    expectRefused(await nothingMinted(() => ask(pod, resigned)), 403, 'VC_ROOT_POLICY_REFUSED')
  })

  it('no identity token at all: VC_IDENTITY_MISSING', async () => {
    const pod = await newPod()
    const answer = await nothingMinted(() => postToken(env.controller.url, { body: tokenRequestBody(pod) }))
    expectRefused(answer, 401, 'VC_IDENTITY_MISSING')
  })

  it("another pod's token: VC_IDENTITY_MISMATCH", async () => {
    const victim = await newPod()
    const attacker = await env.createPod({ namespace: victim.namespace, name: 'web-2', policies: 'web' })
    const answer = await nothingMinted(async () => ask(victim, await attacker.identityToken()))
    expectRefused(answer, 403, 'VC_IDENTITY_MISMATCH')
    expect(await victim.issuance()).toBeUndefined()
  })
})

describe('refused pods', () => {
  it('an unknown pod (deleted since its token was issued): VC_POD_NOT_FOUND', async () => {
    const pod = await newPod()
    const token = await pod.identityToken()
    await env.kube.deletePod(pod.namespace, pod.name, 0)
    expectRefused(await nothingMinted(() => ask(pod, token)), 404, 'VC_POD_NOT_FOUND')
  })

  it('a recreated pod (same name, new UID): VC_POD_REPLACED', async () => {
    const old = await newPod()
    const token = await old.identityToken()
    await env.kube.deletePod(old.namespace, old.name, 0)
    const replacement = await env.createPod({ namespace: old.namespace, name: old.name, policies: 'web' })
    expect(replacement.uid).not.toBe(old.uid)
    expectRefused(await nothingMinted(() => ask(replacement, token)), 409, 'VC_POD_REPLACED')
    expect(await replacement.issuance()).toBeUndefined()
  })

  it('a terminating pod: VC_POD_TERMINATING', async () => {
    const pod = await newPod()
    const token = await pod.identityToken()
    await env.kube.deletePod(pod.namespace, pod.name)
    expect((await pod.read())?.metadata?.deletionTimestamp).toBeDefined()
    expectRefused(await nothingMinted(() => ask(pod, token)), 409, 'VC_POD_TERMINATING')
  })

  it('a hostNetwork pod: VC_HOST_NETWORK_POD', async () => {
    const pod = await newPod({ hostNetwork: true })
    expectRefused(
      await nothingMinted(async () => ask(pod, await pod.identityToken())),
      403,
      'VC_HOST_NETWORK_POD',
    )
  })
})

describe('refused by the allow-list (through vault-init, which stops at once)', () => {
  const cases: { title: string; policies: string; ttl?: string; serviceAccount?: string; code: string }[] = [
    { title: 'a policy outside the allow-list', policies: 'web,admin', code: 'VC_POLICY_NOT_ALLOWED' },
    { title: 'root', policies: 'root', code: 'VC_ROOT_POLICY_REFUSED' },
    { title: 'ROOT', policies: 'ROOT', code: 'VC_ROOT_POLICY_REFUSED' },
    { title: 'default,root', policies: 'default,root', code: 'VC_ROOT_POLICY_REFUSED' },
    { title: 'a TTL above the max', policies: 'web', ttl: '48h', code: 'VC_TTL_ABOVE_MAX' },
    { title: 'a malformed TTL', policies: 'web', ttl: '1w', code: 'VC_TTL_ANNOTATION_INVALID' },
    {
      title: 'a service account no rule names',
      policies: 'web',
      serviceAccount: 'other',
      code: 'VC_NO_MATCHING_RULE',
    },
  ]
  it.each(cases)('$title: $code', async ({ policies, ttl, serviceAccount, code }) => {
    const pod = await newPod({
      policies,
      ...(ttl === undefined ? {} : { ttl }),
      ...(serviceAccount === undefined ? {} : { serviceAccount }),
    })
    const result = await nothingMinted(() => pod.runVaultInit())
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toContain(`vault-init: ${code}:`)
    expect(await pod.issuance()).toBeUndefined()
    const audit = await env.controller.waitForAudit(
      (line) => line.pod.namespace === pod.namespace && line.decision === 'denied',
    )
    expect(audit).toMatchObject({ code, pod: { uid: pod.uid } })
    const events = await env.kube.podEvents(pod.namespace, pod.uid)
    expect(events.map((event) => event.reason)).toContain('VaultTokenDenied')
  })
})

describe('refused requests', () => {
  it('a malformed body: VC_BAD_REQUEST', async () => {
    const pod = await newPod()
    const token = await pod.identityToken()
    const notJson = await nothingMinted(() =>
      postToken(env.controller.url, { bearer: token, body: '{"namespace": "e2e", "name":' }),
    )
    expectRefused(notJson, 400, 'VC_BAD_REQUEST')
    const wrongShape = await nothingMinted(() =>
      ask(pod, token, { ...tokenRequestBody(pod), callback: { port: 'https', certSha256: 'nope' } }),
    )
    expectRefused(wrongShape, 400, 'VC_BAD_REQUEST')
  })

  it('an oversize body: VC_BODY_TOO_LARGE', async () => {
    const pod = await newPod()
    const body = { ...tokenRequestBody(pod), padding: 'x'.repeat(5000) }
    expectRefused(
      await nothingMinted(async () => ask(pod, await pod.identityToken(), body)),
      413,
      'VC_BODY_TOO_LARGE',
    )
  })

  it('a second request after delivery: VC_ALREADY_ISSUED', async () => {
    const pod = await newPod()
    const delivered = await pod.runVaultInit()
    expect(delivered.code, delivered.stderr).toBe(0)
    const answer = await nothingMinted(async () => ask(pod, await pod.identityToken()))
    expectRefused(answer, 409, 'VC_ALREADY_ISSUED')
    expect(await pod.issuance()).toMatchObject({ state: 'issued' })
  })
})

describe('hygiene', () => {
  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.leaks()).toEqual([])
  })
})
