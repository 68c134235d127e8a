/**
 * @module
 * The happy path through real processes: vault-init in a simulated pod gets its own token,
 * written with the right modes and contents; the token works in Vault with exactly the allowed
 * policies, is an orphan and periodic with the pod's TTL, carries the pod's metadata; the
 * accessors are on the pod, in a VaultTokenIssued Event and in the audit line; the finalizer is on.
 */
import { readFileSync, statSync } from 'node:fs'
import { REVOKE_FINALIZER } from '@vault-controller/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2eEnvironment, startE2eEnvironment } from '../harness/e2e-environment.ts'

let env: E2eEnvironment

beforeAll(async () => {
  env = await startE2eEnvironment()
}, 30_000)

afterAll(async () => {
  await env?.close()
}, 30_000)

describe('happy path', () => {
  it('delivers one orphan, periodic token with exactly the allowed policies, and records it', async () => {
    const pod = await env.createPod({
      namespace: 'e2e-happy',
      name: 'web-1',
      policies: 'web, DB-read',
      ttl: '2h',
    })
    const before = await env.vault.countTokens()

    const result = await pod.runVaultInit()
    expect(result.code, result.stderr).toBe(0)

    // Files: mode 0600, the token alone, and Vault's unwrapped answer.
    expect(statSync(pod.tokenPath).mode & 0o777).toBe(0o600)
    expect(statSync(pod.secretPath).mode & 0o777).toBe(0o600)
    const token = readFileSync(pod.tokenPath, 'utf8')
    const secret = JSON.parse(readFileSync(pod.secretPath, 'utf8')) as {
      auth: { client_token: string; accessor: string; policies: string[]; metadata: Record<string, string> }
    }
    expect(token).toBe(secret.auth.client_token)
    expect(token).not.toMatch(/\s$/)

    // The token works in Vault, as its holder sees it.
    const self = await env.vault.lookupSelf(token)
    expect(self.policies).toEqual(['db-read', 'default', 'web'])
    expect(self.orphan).toBe(true)
    expect(self.period).toBe(7200)
    expect(self.renewable).toBe(true)
    expect(self.display_name).toBe('token-e2e-happy-web-1')
    expect(self.meta).toEqual({
      namespace: 'e2e-happy',
      pod_name: 'web-1',
      pod_uid: pod.uid,
      pod_ip: pod.ip,
      host_ip: '127.0.0.1',
      service_account: 'web',
      node_name: 'e2e-node-1',
    })
    expect(await env.vault.countTokens()).toBe(before + 1)

    // The record on the pod: accessors only, the finalizer.
    const record = await pod.issuance()
    expect(record).toMatchObject({
      state: 'issued',
      tokenAccessor: self.accessor,
      policies: ['db-read', 'web'],
      ttlSeconds: 7200,
      controller: env.controller.id,
    })
    const wrappingAccessor = record?.wrappingAccessor ?? ''
    expect(wrappingAccessor).not.toBe('')
    expect((await pod.read())?.metadata?.finalizers).toContain(REVOKE_FINALIZER)
    expect(await pod.rawIssuanceAnnotation()).not.toContain(token)

    // The Event and the audit line name the same accessors.
    const events = await env.kube.podEvents(pod.namespace, pod.uid)
    const issued = events.find((event) => event.reason === 'VaultTokenIssued')
    expect(issued?.type).toBe('Normal')
    expect(issued?.message).toContain(self.accessor)
    expect(issued?.message).toContain(wrappingAccessor)
    const audit = await env.controller.waitForAudit(
      (line) => line.pod.name === 'web-1' && line.pod.namespace === 'e2e-happy' && line.decision === 'issued',
    )
    expect(audit).toMatchObject({
      pod: { namespace: 'e2e-happy', name: 'web-1', uid: pod.uid },
      serviceAccount: 'web',
      rule: 'e2e-web',
      policies: ['db-read', 'web'],
      ttlSeconds: 7200,
      deliveryMode: 'callback',
      tokenAccessor: self.accessor,
      wrappingAccessor,
    })
    // The wrapping token is spent.
    expect(await env.vault.lookupAccessor(wrappingAccessor)).toBeUndefined()
  })

  it('printed no token or JWT in any controller or vault-init output', () => {
    expect(env.output.size).toBeGreaterThan(0)
    expect(env.output.leaks()).toEqual([])
  })
})
