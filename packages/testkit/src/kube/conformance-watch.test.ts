/**
 * Spec §12 conformance cases 13–16 (watch), raw and through a client-node informer. Case 16's
 * 30-second client-side idle abort is not waited for: the test shows the server half (a client
 * that goes away is cleaned up, and a new watch from the same resourceVersion works without a
 * list), which is all kube-dev contributes to it.
 */
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node'
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

const listRoute = 'GET /api/v1/namespaces/:namespace/pods'
const watchRoute = 'GET /api/v1/namespaces/:namespace/pods?watch'

async function listResourceVersion(): Promise<string> {
  return (await fixture.request('GET', '/api/v1/pods')).json.metadata.resourceVersion
}

async function stats(): Promise<Record<string, number>> {
  return (await fixture.control('GET', '/stats')).json.byRoute
}

function startInformer() {
  const config = new KubeConfig()
  config.loadFromOptions({
    clusters: [{ name: 'c', server: fixture.kube.server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'A' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  const api = config.makeApiClient(CoreV1Api)
  const informer = makeInformer<V1Pod>(config, '/api/v1/namespaces/ns1/pods', () =>
    api.listNamespacedPod({ namespace: 'ns1' }),
  )
  const errors: unknown[] = []
  informer.on('error', (error) => errors.push(error))
  return { informer, errors }
}

describe('watch (cases 13–16)', () => {
  it('13: ADDED, MODIFIED, DELETED in order with increasing RVs', async () => {
    const rv = await listResourceVersion()
    const watch = await fixture.watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`)
    expect(watch.status).toBe(200)
    expect(watch.headers.get('content-type')).toBe('application/json')
    await fixture.request('POST', '/api/v1/namespaces/ns1/pods', { body: p2Body })
    const patched = await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p2', {
      metadata: { annotations: { a: '1' } },
    })
    await fixture.request('DELETE', '/api/v1/namespaces/ns1/pods/p2')
    await waitFor(() => watch.events.length >= 3)
    expect(watch.events.map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED'])
    const versions = watch.events.map((event) => Number(event.object.metadata.resourceVersion))
    expect(versions[0]).toBeGreaterThan(Number(rv))
    expect([...versions].sort((a, b) => a - b)).toEqual(versions)
    expect(new Set(versions).size).toBe(3)
    for (const event of watch.events) expect(event.object.kind).toBe('Pod')
    expect(watch.events[2]?.object.metadata.annotations).toEqual(patched.json.metadata.annotations)
  })

  it('14: a too-old RV gets one ERROR 410 line, then the stream ends', async () => {
    const rv = await listResourceVersion()
    expect((await fixture.control('PUT', '/config', { watchHistory: 2 })).status).toBe(204)
    for (let index = 0; index < 5; index++) {
      await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p1', {
        metadata: { annotations: { n: String(index) } },
      })
    }
    const watch = await fixture.watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`)
    expect(watch.status).toBe(200)
    await watch.ended
    expect(watch.events).toHaveLength(1)
    expect(watch.events[0]?.type).toBe('ERROR')
    expect(watch.events[0]?.object).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 })
    expect(watch.events[0]?.object.message).toMatch(/^too old resource version: /)
  })

  it('14: a client-node informer re-lists after a 410', async () => {
    const { informer, errors } = startInformer()
    await informer.start()
    await waitFor(async () => (await fixture.control('GET', '/watches')).json.open === 1)
    await fixture.control('PUT', '/config', { watchHistory: 2 })
    // Hold the informer's re-watch long enough for its RV to fall out of the history.
    await fixture.control('POST', '/faults', {
      method: 'GET',
      pathRegex: '^/api/v1/namespaces/ns1/pods$',
      latencyMs: 1000,
      times: 1,
    })
    const listsBefore = (await stats())[listRoute] ?? 0
    await fixture.control('POST', '/watches/drop')
    for (let index = 0; index < 5; index++) {
      await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p1', {
        metadata: { annotations: { n: String(index) } },
      })
    }
    await waitFor(async () => ((await stats())[listRoute] ?? 0) > listsBefore, { timeoutMs: 8000 })
    await waitFor(() => informer.get('p1', 'ns1')?.metadata?.annotations?.n === '4')
    await informer.stop()
    expect(errors).toEqual([])
  })

  it('15: timeoutSeconds ends the stream without an ERROR line', async () => {
    const rv = await listResourceVersion()
    const started = Date.now()
    const watch = await fixture.watch(`/api/v1/pods?watch=true&resourceVersion=${rv}&timeoutSeconds=2`)
    await watch.ended
    const elapsedMs = Date.now() - started
    expect(elapsedMs).toBeGreaterThanOrEqual(1900)
    expect(elapsedMs).toBeLessThan(5000)
    expect(watch.events).toEqual([])
  })

  it('15: after the server ends a stream, a client-node informer re-watches without listing', async () => {
    const { informer, errors } = startInformer()
    await informer.start()
    await waitFor(async () => (await fixture.control('GET', '/watches')).json.open === 1)
    const before = await stats()
    await fixture.control('POST', '/watches/drop')
    await waitFor(async () => ((await stats())[watchRoute] ?? 0) > (before[watchRoute] ?? 0))
    expect((await stats())[listRoute]).toBe(before[listRoute])
    await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p1', {
      metadata: { annotations: { after: 'rewatch' } },
    })
    await waitFor(() => informer.get('p1', 'ns1')?.metadata?.annotations?.after === 'rewatch')
    await informer.stop()
    expect(errors).toEqual([])
  })

  it('16 (server half): a client that goes away is cleaned up; a re-watch from the same RV works', async () => {
    const rv = await listResourceVersion()
    const first = await fixture.watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`)
    await waitFor(async () => (await fixture.control('GET', '/watches')).json.open === 1)
    first.close()
    await waitFor(async () => (await fixture.control('GET', '/watches')).json.open === 0)
    await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p1', { metadata: { annotations: { a: '1' } } })
    const second = await fixture.watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`)
    await waitFor(() => second.events.length >= 1)
    expect(second.events[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'p1' } } })
    expect((await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p1')).status).toBe(200)
  })
})

describe('watch details (spec §4)', () => {
  it('without a resourceVersion a watch starts with ADDED for every matching object', async () => {
    const watch = await fixture.watch('/api/v1/namespaces/ns1/pods?watch=1&labelSelector=app%3Dx')
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events[0]).toMatchObject({
      type: 'ADDED',
      object: { kind: 'Pod', metadata: { name: 'p1' } },
    })
  })

  it('selector transitions are ADDED and DELETED', async () => {
    const rv = await listResourceVersion()
    const watch = await fixture.watch(
      `/api/v1/pods?watch=true&resourceVersion=${rv}&labelSelector=tier%3Dweb`,
    )
    await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p1', { metadata: { labels: { tier: 'web' } } })
    await fixture.mergePatch('/api/v1/namespaces/ns1/pods/p1', { metadata: { labels: { tier: 'db' } } })
    await waitFor(() => watch.events.length >= 2)
    expect(watch.events.map((event) => event.type)).toEqual(['ADDED', 'DELETED'])
  })

  it('BOOKMARKs only with allowWatchBookmarks', async () => {
    await fixture.control('PUT', '/config', { bookmarkIntervalSeconds: 1 })
    const rv = await listResourceVersion()
    const plain = await fixture.watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`)
    const withBookmarks = await fixture.watch(
      `/api/v1/pods?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    )
    await waitFor(() => withBookmarks.events.length >= 1, { timeoutMs: 3000 })
    expect(withBookmarks.events[0]).toEqual({
      type: 'BOOKMARK',
      object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: rv } },
    })
    expect(plain.events).toEqual([])
  })

  it('a drop fault on the watch path resets the connection', async () => {
    await fixture.control('POST', '/faults', { pathPrefix: '/api/v1/pods', drop: true, times: 1 })
    await expect(fixture.watch('/api/v1/pods?watch=true')).rejects.toThrow()
    expect((await fixture.request('GET', '/api/v1/pods')).status).toBe(200)
  })
})
