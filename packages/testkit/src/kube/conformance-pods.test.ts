/**
 * Spec §12 conformance cases for pod CRUD, patch and status: 1, 2, 5–12, 26–30, 35–37.
 */
import { ApiException, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { waitFor } from '../wait-for.ts'
import { type Fixture, p2Body, startFixture } from './conformance-fixture.ts'

let fixture: Fixture
beforeEach(async () => {
  fixture = await startFixture()
})
afterEach(async () => {
  await fixture.close()
})

function coreApi(token = 'A'): CoreV1Api {
  const config = new KubeConfig()
  config.loadFromOptions({
    clusters: [{ name: 'c', server: fixture.kube.server, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  return config.makeApiClient(CoreV1Api)
}

const p1 = '/api/v1/namespaces/ns1/pods/p1'

describe('pods: read (cases 1, 2, 37)', () => {
  it('1: GET a pod answers the whole Pod; client-node reads a V1Pod with Dates', async () => {
    const answer = await fixture.request('GET', p1)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.json).toMatchObject({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p1', namespace: 'ns1' },
    })
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp'])
      expect(answer.json.metadata[field]).toBeTruthy()
    expect(answer.json.metadata.creationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
    const pod = await coreApi().readNamespacedPod({ name: 'p1', namespace: 'ns1' })
    expect(pod.metadata?.creationTimestamp).toBeInstanceOf(Date)
    expect(pod.metadata?.uid).toBe(fixture.podUid)
  })

  it('2: a missing pod is a 404 NotFound Status; client-node throws ApiException 404', async () => {
    const answer = await fixture.request('GET', '/api/v1/namespaces/ns1/pods/nope')
    expect(answer.status).toBe(404)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}',
    )
    const error = await coreApi()
      .readNamespacedPod({ name: 'nope', namespace: 'ns1' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiException)
    expect((error as ApiException<string>).code).toBe(404)
    expect(JSON.parse((error as ApiException<string>).body).reason).toBe('NotFound')
  })

  it('37: GET pods/status is the full Pod, equal to GET of the pod', async () => {
    const status = await fixture.request('GET', `${p1}/status`)
    const pod = await fixture.request('GET', p1)
    expect(status.status).toBe(200)
    expect(status.json.kind).toBe('Pod')
    expect(status.json.spec).toBeDefined()
    expect(status.json).toEqual(pod.json)
  })
})

describe('pods: patch (cases 5–11)', () => {
  it('5: merge patch adds an annotation, bumps RV, one MODIFIED', async () => {
    const before = (await fixture.request('GET', p1)).json
    const watch = await fixture.watch(
      `/api/v1/namespaces/ns1/pods?watch=true&resourceVersion=${before.metadata.resourceVersion}`,
    )
    const answer = await fixture.mergePatch(p1, { metadata: { annotations: { a: '1' } } })
    expect(answer.status).toBe(200)
    expect(answer.json.metadata.annotations).toEqual({ a: '1', 'vaultproject.io/policies': 'web' })
    expect(Number(answer.json.metadata.resourceVersion)).toBeGreaterThan(
      Number(before.metadata.resourceVersion),
    )
    await waitFor(() => watch.events.length >= 1)
    // A later change proves nothing else was sent in between.
    await fixture.mergePatch(p1, { metadata: { labels: { marker: 'end' } } })
    await waitFor(() => watch.events.length >= 2)
    expect(watch.events.map((event) => event.type)).toEqual(['MODIFIED', 'MODIFIED'])
    expect(watch.events[0]?.object.metadata.annotations.a).toBe('1')
  })

  it('6: merge patch with the current RV succeeds and bumps it', async () => {
    const before = (await fixture.request('GET', p1)).json
    const answer = await fixture.mergePatch(p1, {
      metadata: { resourceVersion: before.metadata.resourceVersion, annotations: { b: '2' } },
    })
    expect(answer.status).toBe(200)
    expect(Number(answer.json.metadata.resourceVersion)).toBeGreaterThan(
      Number(before.metadata.resourceVersion),
    )
  })

  it('7: merge patch with a stale RV is 409 Conflict; nothing changes, no event', async () => {
    const before = (await fixture.request('GET', p1)).json
    const watch = await fixture.watch(
      `/api/v1/namespaces/ns1/pods?watch=true&resourceVersion=${before.metadata.resourceVersion}`,
    )
    const answer = await fixture.mergePatch(p1, {
      metadata: { resourceVersion: '1', annotations: { a: '1' } },
    })
    expect(answer.status).toBe(409)
    expect(answer.json).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on pods "p1": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'p1', kind: 'pods' },
      code: 409,
    })
    const after = (await fixture.request('GET', p1)).json
    expect(after).toEqual(before)
    await fixture.mergePatch(p1, { metadata: { labels: { marker: 'end' } } })
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events).toHaveLength(1)
    expect(watch.events[0]?.object.metadata.labels.marker).toBe('end')
  })

  it('8: of two concurrent patches with the same RV exactly one wins', async () => {
    const rv = (await fixture.request('GET', p1)).json.metadata.resourceVersion
    const answers = await Promise.all(
      ['x', 'y'].map((value) =>
        fixture.mergePatch(p1, { metadata: { resourceVersion: rv, annotations: { [value]: value } } }),
      ),
    )
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409])
  })

  it('9: strategic merge patch of an annotation behaves like case 5', async () => {
    const answer = await fixture.request('PATCH', p1, {
      body: { metadata: { annotations: { a: '1' } } },
      contentType: 'application/strategic-merge-patch+json',
    })
    expect(answer.status).toBe(200)
    expect(answer.json.metadata.annotations).toEqual({ a: '1', 'vaultproject.io/policies': 'web' })
  })

  it('10: JSON patch with an escaped path adds the annotation', async () => {
    const answer = await fixture.request('PATCH', p1, {
      body: [{ op: 'add', path: '/metadata/annotations/vaultproject.io~1x', value: 'y' }],
      contentType: 'application/json-patch+json',
    })
    expect(answer.status).toBe(200)
    expect(answer.json.metadata.annotations['vaultproject.io/x']).toBe('y')
  })

  it('11: patching a missing pod is 404 and creates nothing', async () => {
    const answer = await fixture.mergePatch('/api/v1/namespaces/ns1/pods/nope', {
      metadata: { labels: { a: 'b' } },
    })
    expect(answer.status).toBe(404)
    expect(answer.json.reason).toBe('NotFound')
    expect((await fixture.request('GET', '/api/v1/namespaces/ns1/pods/nope')).status).toBe(404)
  })

  it('client-node patchNamespacedPod with MergePatch', async () => {
    const pod = await coreApi().patchNamespacedPod(
      { name: 'p1', namespace: 'ns1', body: { metadata: { annotations: { c: '3' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )
    expect(pod.metadata?.annotations?.c).toBe('3')
  })
})

describe('pods: list (case 12)', () => {
  it('12: lists carry the global RV, items without kind, label selectors and namespaces filter', async () => {
    const all = await fixture.request('GET', '/api/v1/pods')
    expect(all.status).toBe(200)
    expect(all.json.kind).toBe('PodList')
    const current = (await fixture.request('GET', p1)).json.metadata.resourceVersion
    expect(Number(all.json.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(current))
    expect(all.json.items).toHaveLength(1)
    expect(all.json.items[0].kind).toBeUndefined()
    expect(all.json.items[0].apiVersion).toBeUndefined()
    const x = await fixture.request('GET', '/api/v1/pods?labelSelector=app%3Dx')
    expect(x.json.items.map((item: { metadata: { name: string } }) => item.metadata.name)).toEqual(['p1'])
    expect((await fixture.request('GET', '/api/v1/pods?labelSelector=app%3Dy')).json.items).toEqual([])
    expect((await fixture.request('GET', '/api/v1/namespaces/other/pods')).json.items).toEqual([])
  })

  it('the list RV equals the global RV (it moves with writes of any kind)', async () => {
    await fixture.kube.createServiceAccount('ns1', 'another')
    const list = await fixture.request('GET', '/api/v1/namespaces/ns1/serviceaccounts')
    const pods = await fixture.request('GET', '/api/v1/pods')
    expect(pods.json.metadata.resourceVersion).toBe(list.json.metadata.resourceVersion)
    const another = list.json.items.find(
      (item: { metadata: { name: string } }) => item.metadata.name === 'another',
    )
    expect(pods.json.metadata.resourceVersion).toBe(another.metadata.resourceVersion)
  })

  it('bad selectors are 400 BadRequest', async () => {
    const label = await fixture.request('GET', '/api/v1/pods?labelSelector=app%20in%20(')
    expect(label.status).toBe(400)
    expect(label.json.reason).toBe('BadRequest')
    const field = await fixture.request('GET', '/api/v1/pods?fieldSelector=spec.foo%3Dx')
    expect(field.status).toBe(400)
    expect(field.json.message).toBe('field label not supported: spec.foo')
    const node = await fixture.request(
      'GET',
      '/api/v1/pods?fieldSelector=spec.nodeName%3Dworker-2,status.podIP%3D10.244.1.7',
    )
    expect(node.json.items).toHaveLength(1)
  })
})

describe('pods: create (cases 27–30)', () => {
  it('27: create applies defaults and discards status; watchers see ADDED', async () => {
    const rv = (await fixture.request('GET', '/api/v1/pods')).json.metadata.resourceVersion
    const watch = await fixture.watch(`/api/v1/namespaces/ns1/pods?watch=true&resourceVersion=${rv}`)
    const answer = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', {
      body: { ...p2Body, status: { phase: 'Running', podIP: '1.2.3.4' } },
    })
    expect(answer.status).toBe(201)
    const pod = answer.json
    for (const field of ['uid', 'creationTimestamp', 'resourceVersion'])
      expect(pod.metadata[field]).toBeTruthy()
    expect(pod.spec).toMatchObject({
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      restartPolicy: 'Always',
    })
    expect(pod.status.phase).toBe('Pending')
    expect(pod.status.podIP).toBeUndefined()
    expect(pod.spec.containers[0].imagePullPolicy).toBe('Always')
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'p2' } } })
  })

  it('28: creating an existing name is 409 AlreadyExists', async () => {
    await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: p2Body })
    const answer = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: p2Body })
    expect(answer.status).toBe(409)
    expect(answer.json).toMatchObject({ reason: 'AlreadyExists', message: 'pods "p2" already exists' })
  })

  it('29: creating in a missing namespace is 404', async () => {
    const answer = await fixture.request('POST', '/api/v1/namespaces/ns9/pods', { body: p2Body })
    expect(answer.status).toBe(404)
    expect(answer.json).toMatchObject({ reason: 'NotFound', message: 'namespaces "ns9" not found' })
  })

  it('30: a missing service account is 403', async () => {
    const answer = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', {
      body: {
        metadata: { name: 'p3' },
        spec: { serviceAccountName: 'missing', containers: [{ name: 'c', image: 'busybox' }] },
      },
    })
    expect(answer.status).toBe(403)
    expect(answer.json.reason).toBe('Forbidden')
    expect(answer.json.message).toContain('serviceaccount "missing" not found')
  })

  it('validation: no containers and no name are 422 Invalid', async () => {
    const noContainers = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', {
      body: { metadata: { name: 'p2' }, spec: {} },
    })
    expect(noContainers.status).toBe(422)
    expect(noContainers.json.message).toBe('Pod "p2" is invalid: spec.containers: Required value')
    const noName = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', {
      body: { spec: p2Body.spec },
    })
    expect(noName.json.message).toBe(
      'Pod "" is invalid: metadata.name: Required value: name or generateName is required',
    )
    const generated = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', {
      body: { metadata: { generateName: 'web-' }, spec: p2Body.spec },
    })
    expect(generated.status).toBe(201)
    expect(generated.json.metadata.name).toMatch(/^web-[a-z0-9]{5}$/)
  })

  it('bad bodies: not JSON is 400, a namespace mismatch is 400, a wrong media type is 415', async () => {
    const garbage = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: 'not json' })
    expect(garbage.status).toBe(400)
    expect(garbage.json.reason).toBe('BadRequest')
    const mismatch = await fixture.request('POST', '/api/v1/namespaces/ns1/pods', {
      body: { ...p2Body, metadata: { name: 'p2', namespace: 'ns2' } },
    })
    expect(mismatch.status).toBe(400)
    expect(mismatch.json.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    )
    const patchType = await fixture.request('PATCH', p1, { body: {}, contentType: 'text/plain' })
    expect(patchType.status).toBe(415)
    expect(patchType.json.reason).toBe('UnsupportedMediaType')
  })
})

describe('pods: update rules (spec §3.4–3.6)', () => {
  it('35: the fixture synced podIPs; a status patch changes phase only', async () => {
    const before = (await fixture.request('GET', p1)).json
    expect(before.status).toMatchObject({
      podIP: '10.244.1.7',
      podIPs: [{ ip: '10.244.1.7' }],
      hostIP: '10.0.0.12',
      phase: 'Pending',
    })
    const watch = await fixture.watch(
      `/api/v1/namespaces/ns1/pods?watch=true&resourceVersion=${before.metadata.resourceVersion}`,
    )
    const answer = await fixture.mergePatch(`${p1}/status`, { status: { phase: 'Running' } })
    expect(answer.status).toBe(200)
    expect(answer.json.status.phase).toBe('Running')
    expect(answer.json.status.podIP).toBe('10.244.1.7')
    expect(Number(answer.json.metadata.resourceVersion)).toBeGreaterThan(
      Number(before.metadata.resourceVersion),
    )
    expect(answer.json.spec).toEqual(before.spec)
    expect(answer.json.metadata.generation).toBe(before.metadata.generation)
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events[0]?.type).toBe('MODIFIED')
  })

  it('36: PUT pods/status with a stale body is 409', async () => {
    const stale = (await fixture.request('GET', p1)).json
    await fixture.mergePatch(p1, { metadata: { annotations: { bump: '1' } } })
    const answer = await fixture.request('PUT', `${p1}/status`, {
      body: { ...stale, status: { ...stale.status, phase: 'Running' } },
    })
    expect(answer.status).toBe(409)
    expect(answer.json.reason).toBe('Conflict')
  })

  it('status writes ignore spec; main-resource writes ignore status', async () => {
    const viaStatus = await fixture.mergePatch(`${p1}/status`, { spec: { activeDeadlineSeconds: 5 } })
    expect(viaStatus.json.spec.activeDeadlineSeconds).toBeUndefined()
    const viaMain = await fixture.mergePatch(p1, { status: { phase: 'Failed' } })
    expect(viaMain.status).toBe(200)
    expect(viaMain.json.status.phase).toBe('Pending')
  })

  it('a no-op patch keeps the RV', async () => {
    const before = (await fixture.request('GET', p1)).json
    const answer = await fixture.mergePatch(p1, { metadata: { labels: { app: 'x' } } })
    expect(answer.status).toBe(200)
    expect(answer.json.metadata.resourceVersion).toBe(before.metadata.resourceVersion)
  })

  it('spec changes other than images are 422; an image change bumps generation', async () => {
    const forbidden = await fixture.mergePatch(p1, { spec: { nodeName: 'other' } })
    expect(forbidden.status).toBe(422)
    expect(forbidden.json.message).toMatch(
      /^Pod "p1" is invalid: spec: Forbidden: pod updates may not change fields other than/,
    )
    const image = await fixture.request('PATCH', p1, {
      body: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } },
      contentType: 'application/strategic-merge-patch+json',
    })
    expect(image.status).toBe(200)
    expect(image.json.spec.containers[0].image).toBe('busybox:2')
    expect(image.json.metadata.generation).toBe(2)
  })

  it('uid is immutable; strategic merge merges finalizers and deletes with the directive', async () => {
    const uid = await fixture.mergePatch(p1, { metadata: { uid: 'other' } })
    expect(uid.status).toBe(422)
    expect(uid.json.message).toBe(
      'Pod "p1" is invalid: metadata.uid: Invalid value: "other": field is immutable',
    )
    const smp = (body: unknown) =>
      fixture.request('PATCH', p1, { body, contentType: 'application/strategic-merge-patch+json' })
    await smp({ metadata: { finalizers: ['a/x'] } })
    const merged = await smp({ metadata: { finalizers: ['b/y'] } })
    expect(new Set(merged.json.metadata.finalizers)).toEqual(new Set(['a/x', 'b/y']))
    const removed = await smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x'] } })
    expect(removed.json.metadata.finalizers).toEqual(['b/y'])
  })

  it('an invalid pod IP is 422 on status.podIPs[0].ip; podIPs alone drives podIP', async () => {
    const bad = await fixture.mergePatch(`${p1}/status`, { status: { podIP: 'nope' } })
    expect(bad.status).toBe(422)
    expect(bad.json.details.causes[0].field).toBe('status.podIPs[0].ip')
    const list = await fixture.mergePatch(`${p1}/status`, { status: { podIPs: [{ ip: '10.244.1.8' }] } })
    expect(list.json.status.podIP).toBe('10.244.1.8')
  })
})
