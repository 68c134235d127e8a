/**
 * Spec §12 conformance cases for graceful deletion and finalizers: 17, 31–34, 42; plus the
 * kubelet simulation's final delete.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { waitFor } from '../wait-for.ts'
import { type Fixture, p1Body, p2Body, startFixture } from './conformance-fixture.ts'

let fixture: Fixture
beforeEach(async () => {
  fixture = await startFixture()
})
afterEach(async () => {
  await fixture.close()
})

const p1 = '/api/v1/namespaces/ns1/pods/p1'

async function watchFromNow() {
  const rv = (await fixture.request('GET', '/api/v1/pods')).json.metadata.resourceVersion
  return fixture.watch(`/api/v1/namespaces/ns1/pods?watch=true&resourceVersion=${rv}`)
}

function nowSeconds(): number {
  return Math.floor(fixture.kube.clock.now() / 1000)
}

describe('pods: delete', () => {
  it('17: graceful lifecycle, final delete, re-create with a new uid', async () => {
    const watch = await watchFromNow()
    const started = nowSeconds()
    const first = await fixture.request('DELETE', p1)
    expect(first.status).toBe(200)
    expect(first.json.kind).toBe('Pod')
    expect(first.json.metadata.deletionGracePeriodSeconds).toBe(30)
    const deletionSeconds = Date.parse(first.json.metadata.deletionTimestamp) / 1000
    expect(deletionSeconds - started).toBeGreaterThanOrEqual(29)
    expect(deletionSeconds - started).toBeLessThanOrEqual(31)
    expect((await fixture.request('GET', p1)).status).toBe(200)
    const final = await fixture.request('DELETE', `${p1}?gracePeriodSeconds=0`)
    expect(final.status).toBe(200)
    expect((await fixture.request('GET', p1)).status).toBe(404)
    const again = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: p1Body })
    expect(again.status).toBe(201)
    expect(again.json.metadata.uid).not.toBe(fixture.podUid)
    await waitFor(() => watch.events.length >= 3)
    expect(watch.events.map((event) => event.type)).toEqual(['MODIFIED', 'DELETED', 'ADDED'])
  })

  it('31: an unscheduled pod goes at once; watchers see only DELETED', async () => {
    await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: p2Body })
    const watch = await watchFromNow()
    const answer = await fixture.request('DELETE', '/api/v1/namespaces/ns1/pods/p2')
    expect(answer.status).toBe(200)
    expect(answer.json.metadata.name).toBe('p2')
    expect((await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p2')).status).toBe(404)
    await fixture.mergePatch(p1, { metadata: { labels: { marker: 'end' } } })
    await waitFor(() => watch.events.length >= 2)
    expect(watch.events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual([
      'DELETED p2',
      'MODIFIED p1',
    ])
  })

  it('32: a requested grace period sets the deletion timestamp', async () => {
    const watch = await watchFromNow()
    const started = nowSeconds()
    const answer = await fixture.request('DELETE', `${p1}?gracePeriodSeconds=10`)
    expect(answer.json.metadata.deletionGracePeriodSeconds).toBe(10)
    const delta = Date.parse(answer.json.metadata.deletionTimestamp) / 1000 - started
    expect(delta).toBeGreaterThanOrEqual(9)
    expect(delta).toBeLessThanOrEqual(11)
    expect((await fixture.request('GET', p1)).status).toBe(200)
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events[0]?.type).toBe('MODIFIED')
  })

  it('33, 34: a finalizer holds a grace-0 delete; removing it deletes the pod with one DELETED', async () => {
    const withFinalizer = await fixture.mergePatch(p1, {
      metadata: { finalizers: ['vaultproject.io/revoke-token'] },
    })
    expect(withFinalizer.json.metadata.finalizers).toEqual(['vaultproject.io/revoke-token'])
    const watch = await watchFromNow()
    const deleted = await fixture.request('DELETE', `${p1}?gracePeriodSeconds=0`)
    expect(deleted.status).toBe(200)
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(0)
    expect(
      Math.abs(Date.parse(deleted.json.metadata.deletionTimestamp) / 1000 - nowSeconds()),
    ).toBeLessThanOrEqual(1)
    expect(deleted.json.metadata.finalizers).toEqual(['vaultproject.io/revoke-token'])
    expect((await fixture.request('GET', p1)).status).toBe(200)
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events[0]?.type).toBe('MODIFIED')

    const added = await fixture.mergePatch(p1, {
      metadata: { finalizers: ['vaultproject.io/revoke-token', 'example.com/other'] },
    })
    expect(added.status).toBe(422)
    expect(added.json.message).toBe(
      'Pod "p1" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/other"}',
    )

    const released = await fixture.mergePatch(p1, { metadata: { finalizers: null } })
    expect(released.status).toBe(200)
    expect(released.json.metadata.finalizers).toBeUndefined()
    expect((await fixture.request('GET', p1)).status).toBe(404)
    await waitFor(() => watch.events.length >= 2)
    await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: p2Body })
    await waitFor(() => watch.events.length >= 3)
    expect(watch.events.map((event) => event.type)).toEqual(['MODIFIED', 'DELETED', 'ADDED'])
  })

  it('42: deleting a missing pod is 404', async () => {
    const answer = await fixture.request('DELETE', '/api/v1/namespaces/ns1/pods/nope')
    expect(answer.status).toBe(404)
    expect(answer.json.message).toBe('pods "nope" not found')
  })

  it('a terminating pod: a longer grace changes nothing, a shorter one shortens', async () => {
    const first = (await fixture.request('DELETE', p1)).json
    const same = await fixture.request('DELETE', `${p1}?gracePeriodSeconds=60`)
    expect(same.json.metadata.resourceVersion).toBe(first.metadata.resourceVersion)
    const shorter = await fixture.request('DELETE', `${p1}?gracePeriodSeconds=5`)
    expect(shorter.json.metadata.deletionGracePeriodSeconds).toBe(5)
    expect(
      Date.parse(first.metadata.deletionTimestamp) - Date.parse(shorter.json.metadata.deletionTimestamp),
    ).toBe(25_000)
  })

  it('preconditions that do not match are 409', async () => {
    const answer = await fixture.request('DELETE', p1, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } },
    })
    expect(answer.status).toBe(409)
    expect(answer.json.message).toBe(
      `Operation cannot be fulfilled on pods "p1": Precondition failed: UID in precondition: other, UID in object meta: ${fixture.podUid}`,
    )
  })

  it('kubelet simulation: init running, then terminate removes a terminating pod', async () => {
    expect((await fixture.control('POST', '/kubelet/ns1/p1', { initContainers: 'running' })).status).toBe(204)
    const pod = (await fixture.request('GET', p1)).json
    expect(pod.status.phase).toBe('Pending')
    expect(pod.status.initContainerStatuses[0].state.running).toBeDefined()
    expect(pod.status.containerStatuses[0].state.waiting.reason).toBe('PodInitializing')
    expect(pod.status.podIP).toBe('10.244.1.7')
    await fixture.control('POST', '/kubelet/ns1/p1', { containers: 'running' })
    expect((await fixture.request('GET', p1)).json.status.phase).toBe('Running')
    await fixture.request('DELETE', p1)
    expect((await fixture.control('POST', '/kubelet/ns1/p1/terminate')).status).toBe(204)
    expect((await fixture.request('GET', p1)).status).toBe(404)
    expect((await fixture.control('POST', '/kubelet/ns1/p1/terminate')).status).toBe(404)
  })
})
