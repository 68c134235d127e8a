/**
 * Spec §1–§11 statement by statement (the §12 cases live in conformance-*.test.ts): every
 * normative statement that the conformance cases do not already pin down, exercised over HTTP
 * against a fresh §12.1 fixture.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { waitFor } from '../wait-for.ts'
import { controllerToken, controllerUser, type Fixture, p2Body, startFixture } from './conformance-fixture.ts'
import { formatTime } from './kube-time.ts'

let fixture: Fixture
beforeEach(async () => {
  fixture = await startFixture()
})
afterEach(async () => {
  await fixture.close()
})

const p1 = '/api/v1/namespaces/ns1/pods/p1'
const p2 = '/api/v1/namespaces/ns1/pods/p2'
const pods = '/api/v1/namespaces/ns1/pods'
const events = '/api/v1/namespaces/ns1/events'
const leases = '/apis/coordination.k8s.io/v1/namespaces/ns1/leases'
const tokenPath = '/api/v1/namespaces/ns1/serviceaccounts/sa/token'
const tokenReviews = '/apis/authentication.k8s.io/v1/tokenreviews'

const smp = (path: string, body: unknown) =>
  fixture.request('PATCH', path, { body, contentType: 'application/strategic-merge-patch+json' })
const jsonPatch = (path: string, body: unknown) =>
  fixture.request('PATCH', path, { body, contentType: 'application/json-patch+json' })

async function listResourceVersion(): Promise<string> {
  return (await fixture.request('GET', '/api/v1/pods')).json.metadata.resourceVersion
}

async function createPod(body: unknown, namespace = 'ns1') {
  const answer = await fixture.request('POST', `/api/v1/namespaces/${namespace}/pods`, { body })
  if (answer.status !== 201) throw new Error(`create answered ${answer.status} ${answer.text}`)
  return answer.json
}

function pod(name: string, extra: { labels?: Record<string, string>; spec?: object } = {}) {
  return {
    metadata: { name, ...(extra.labels === undefined ? {} : { labels: extra.labels }) },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra.spec },
  }
}

async function enforce(rules: unknown[] = []) {
  const answer = await fixture.control('PUT', '/rbac', { mode: 'enforce', rules })
  expect(answer.status).toBe(204)
}

describe('§1.1 authentication and authorisation', () => {
  it('no token and an unknown token are 401 with the exact Status; an unknown token even when auth is optional', async () => {
    const body =
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
    const none = await fixture.request('GET', p1, { token: null })
    expect(none.status).toBe(401)
    expect(none.text).toBe(body)
    expect(none.headers.get('content-type')).toBe('application/json')
    const wrong = await fixture.request('GET', p1, { token: 'wrong' })
    expect(wrong.text).toBe(body)
    await fixture.control('PUT', '/config', { requireAuth: false })
    expect((await fixture.request('GET', p1, { token: null })).status).toBe(200)
    expect((await fixture.request('GET', p1, { token: 'wrong' })).status).toBe(401)
    expect((await fixture.request('GET', p1, { token: 'a.b.c' })).status).toBe(401)
  })

  it('a service-account JWT it issued authenticates as the service account with its groups', async () => {
    const jwt: string = (await fixture.request('POST', tokenPath, { body: { spec: {} } })).json.status.token
    await enforce([
      { subjects: [{ group: 'system:serviceaccounts:ns1' }], verbs: ['get'], resources: ['pods'] },
    ])
    expect((await fixture.request('GET', p1, { token: jwt })).status).toBe(200)
    const denied = await fixture.request('GET', '/api/v1/namespaces/ns1/pods', { token: jwt })
    expect(denied.json.message).toBe(
      'pods is forbidden: User "system:serviceaccount:ns1:sa" cannot list resource "pods" in API group "" in the namespace "ns1"',
    )
  })

  it('enforce: the 403 message and details of every form', async () => {
    await enforce()
    const user = `User "${controllerUser}"`
    const named = await fixture.request('GET', p1, { token: controllerToken })
    expect(named.status).toBe(403)
    expect(named.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `pods "p1" is forbidden: ${user} cannot get resource "pods" in API group "" in the namespace "ns1"`,
      reason: 'Forbidden',
      details: { name: 'p1', kind: 'pods' },
      code: 403,
    })
    const subresource = await fixture.mergePatch(`${p1}/status`, { status: {} }, controllerToken)
    expect(subresource.json.message).toBe(
      `pods "p1" is forbidden: ${user} cannot patch resource "pods/status" in API group "" in the namespace "ns1"`,
    )
    expect(subresource.json.details).toEqual({ name: 'p1', kind: 'pods' })
    const list = await fixture.request('GET', pods, { token: controllerToken })
    expect(list.json.message).toBe(
      `pods is forbidden: ${user} cannot list resource "pods" in API group "" in the namespace "ns1"`,
    )
    expect(list.json.details).toEqual({ kind: 'pods' })
    const cluster = await fixture.request('GET', '/api/v1/pods', { token: controllerToken })
    expect(cluster.json.message).toBe(
      `pods is forbidden: ${user} cannot list resource "pods" in API group "" at the cluster scope`,
    )
    const watch = await fixture.request('GET', '/api/v1/pods?watch=true', { token: controllerToken })
    expect(watch.json.message).toBe(
      `pods is forbidden: ${user} cannot watch resource "pods" in API group "" at the cluster scope`,
    )
    const review = await fixture.request('POST', tokenReviews, {
      token: controllerToken,
      body: { spec: { token: 'x' } },
    })
    expect(review.status).toBe(403)
    expect(review.json.message).toBe(
      `tokenreviews.authentication.k8s.io is forbidden: ${user} cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`,
    )
    expect(review.json.details).toEqual({ group: 'authentication.k8s.io', kind: 'tokenreviews' })
    const token = await fixture.request('POST', tokenPath, { token: controllerToken, body: { spec: {} } })
    expect(token.json.message).toBe(
      `serviceaccounts "sa" is forbidden: ${user} cannot create resource "serviceaccounts/token" in API group "" in the namespace "ns1"`,
    )
    const lease = await fixture.request('GET', `${leases}/l`, { token: controllerToken })
    expect(lease.json.message).toBe(
      `leases.coordination.k8s.io "l" is forbidden: ${user} cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "ns1"`,
    )
    expect(lease.json.details).toEqual({ name: 'l', group: 'coordination.k8s.io', kind: 'leases' })
    const path = await fixture.request('GET', '/openid/v1/jwks', { token: controllerToken })
    expect(path.status).toBe(403)
    expect(path.json.message).toBe(`forbidden: ${user} cannot get path "/openid/v1/jwks"`)
    expect(path.json.reason).toBe('Forbidden')
  })

  it('enforce: a rule grants verb × group × resource[/subresource] × namespace × names, or a non-resource URL', async () => {
    await enforce([
      {
        subjects: [{ user: controllerUser }],
        verbs: ['get', 'patch'],
        resources: ['pods'],
        namespaces: ['ns1'],
        resourceNames: ['p1'],
      },
      { subjects: [{ user: controllerUser }], verbs: ['patch'], resources: ['pods/status'] },
      { subjects: [{ user: controllerUser }], verbs: ['create'], resources: ['serviceaccounts/token'] },
      {
        subjects: [{ user: controllerUser }],
        verbs: ['create'],
        apiGroups: ['authentication.k8s.io'],
        resources: ['tokenreviews'],
      },
      { subjects: [{ user: controllerUser }], verbs: ['get'], nonResourceURLs: ['/version'] },
    ])
    const as = { token: controllerToken }
    expect((await fixture.request('GET', p1, as)).status).toBe(200)
    expect((await fixture.request('GET', p2, as)).status).toBe(403)
    expect((await fixture.request('GET', pods, as)).status).toBe(403)
    expect((await fixture.request('DELETE', p1, as)).status).toBe(403)
    expect((await fixture.mergePatch(`${p1}/status`, { status: {} }, controllerToken)).status).toBe(200)
    expect((await fixture.request('POST', tokenPath, { ...as, body: { spec: {} } })).status).toBe(201)
    expect(
      (await fixture.request('POST', tokenReviews, { ...as, body: { spec: { token: 'x.y.z' } } })).status,
    ).toBe(201)
    expect((await fixture.request('GET', '/version', as)).status).toBe(200)
    expect((await fixture.request('GET', '/openid/v1/jwks', as)).status).toBe(403)
    // the admin token may do everything
    expect((await fixture.request('GET', pods)).status).toBe(200)
  })

  it('with requireAuth off, anonymous requests run as system:anonymous and RBAC applies to them', async () => {
    await fixture.control('PUT', '/config', { requireAuth: false })
    await enforce()
    const denied = await fixture.request('GET', p1, { token: null })
    expect(denied.status).toBe(403)
    expect(denied.json.message).toBe(
      'pods "p1" is forbidden: User "system:anonymous" cannot get resource "pods" in API group "" in the namespace "ns1"',
    )
    await enforce([{ subjects: [{ group: 'system:unauthenticated' }], verbs: ['get'], resources: ['pods'] }])
    expect((await fixture.request('GET', p1, { token: null })).status).toBe(200)
  })

  it('the group system:serviceaccounts always reads discovery and JWKS, and nothing else', async () => {
    fixture.kube.addIdentity({ token: 'T_sa', username: 'x', groups: ['system:serviceaccounts'] })
    await enforce()
    expect(
      (await fixture.request('GET', '/.well-known/openid-configuration', { token: 'T_sa' })).status,
    ).toBe(200)
    expect((await fixture.request('GET', '/openid/v1/jwks', { token: 'T_sa' })).status).toBe(200)
    expect((await fixture.request('GET', p1, { token: 'T_sa' })).status).toBe(403)
  })
})

describe('§1.2 content types', () => {
  it('every answer with a body, errors included, is application/json', async () => {
    for (const answer of [
      await fixture.request('GET', p1),
      await fixture.request('GET', '/api/v1/namespaces/ns1/pods/nope'),
      await fixture.request('GET', p1, { token: null }),
      await fixture.request('PATCH', p1, { body: {}, contentType: 'text/plain' }),
      await fixture.request('GET', '/api/v1/widgets'),
    ]) {
      expect(answer.headers.get('content-type')).toBe('application/json')
      expect(answer.json.kind).toBeDefined()
    }
  })

  it('other patch types are 415 UnsupportedMediaType with the accepted list', async () => {
    for (const contentType of ['text/plain', 'application/json', 'application/yaml']) {
      const answer = await fixture.request('PATCH', p1, { body: {}, contentType })
      expect(answer.status).toBe(415)
      expect(answer.json).toMatchObject({
        reason: 'UnsupportedMediaType',
        code: 415,
        message:
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
      })
    }
    const withCharset = await fixture.request('PATCH', p1, {
      body: { metadata: { labels: { c: '1' } } },
      contentType: 'application/merge-patch+json; charset=utf-8',
    })
    expect(withCharset.status).toBe(200)
  })

  it('JWKS is application/jwk-set+json and answers 200 to jose’s Accept header', async () => {
    const answer = await fixture.request('GET', '/openid/v1/jwks', {
      headers: { accept: 'application/json, application/jwk-set+json' },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/jwk-set+json')
  })
})

describe('§1.3 Status errors', () => {
  it('NotFound names the resource, qualified by its group; details.group only when not empty', async () => {
    const cases: Array<[string, string, object]> = [
      [
        '/api/v1/namespaces/ns1/serviceaccounts/sa9',
        'serviceaccounts "sa9" not found',
        { name: 'sa9', kind: 'serviceaccounts' },
      ],
      ['/api/v1/namespaces/ns9', 'namespaces "ns9" not found', { name: 'ns9', kind: 'namespaces' }],
      [`${events}/e`, 'events "e" not found', { name: 'e', kind: 'events' }],
      [
        `${leases}/l`,
        'leases.coordination.k8s.io "l" not found',
        { name: 'l', group: 'coordination.k8s.io', kind: 'leases' },
      ],
    ]
    for (const [path, message, details] of cases) {
      const answer = await fixture.request('GET', path)
      expect(answer.status).toBe(404)
      expect(answer.json).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'NotFound',
        details,
        code: 404,
      })
    }
  })

  it('validation errors: Required, quoted Invalid strings, bare numbers, joined as [e1, e2], one cause per field', async () => {
    const answer = await fixture.request('POST', pods, { body: { metadata: { name: 'P_1' }, spec: {} } })
    expect(answer.status).toBe(422)
    expect(answer.json.reason).toBe('Invalid')
    expect(answer.json.message).toMatch(
      /^Pod "P_1" is invalid: \[metadata\.name: Invalid value: "P_1": a lowercase RFC 1123 subdomain .*, spec\.containers: Required value\]$/,
    )
    expect(answer.json.details).toMatchObject({ name: 'P_1', kind: 'pods' })
    expect(answer.json.details.causes.map((cause: { field: string }) => cause.field)).toEqual([
      'metadata.name',
      'spec.containers',
    ])
    expect(answer.json.details.causes[1]).toEqual({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.containers',
    })
    const lease = await fixture.request('POST', leases, {
      body: { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0 } },
    })
    expect(lease.status).toBe(422)
    expect(lease.json.message).toBe(
      'Lease.coordination.k8s.io "l" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    )
    expect(lease.json.details).toMatchObject({ name: 'l', group: 'coordination.k8s.io', kind: 'leases' })
  })

  it('invalid label keys, label values and annotation keys are 422 on create and update', async () => {
    const create = await fixture.request('POST', pods, {
      body: { metadata: { name: 'p2', labels: { 'bad key!': 'v' } }, spec: p2Body.spec },
    })
    expect(create.status).toBe(422)
    expect(create.json.message).toMatch(
      /^Pod "p2" is invalid: metadata\.labels: Invalid value: "bad key!": name part must consist of /,
    )
    const value = await fixture.mergePatch(p1, { metadata: { labels: { app: 'not ok!' } } })
    expect(value.status).toBe(422)
    expect(value.json.message).toMatch(
      /^Pod "p1" is invalid: metadata\.labels: Invalid value: "not ok!": a valid label /,
    )
    const annotation = await fixture.mergePatch(p1, {
      metadata: { annotations: { 'Example.com/x': 'fine', '/x': 'y' } },
    })
    expect(annotation.status).toBe(422)
    expect(annotation.json.message).toBe(
      'Pod "p1" is invalid: metadata.annotations: Invalid value: "/x": prefix part must be non-empty',
    )
    const fine = await fixture.mergePatch(p1, {
      metadata: {
        labels: { 'app.kubernetes.io/name': 'v_1.x', empty: '' },
        annotations: { 'vaultproject.io/role': 'anything at all' },
      },
    })
    expect(fine.status).toBe(200)
  })

  it('a failing JSON Patch operation is 422 with the fixed message; the object and RV stay, no event', async () => {
    const before = (await fixture.request('GET', p1)).json
    await createPod(p2Body)
    const rv = await listResourceVersion()
    const watch = await fixture.watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`)
    for (const [path, operations] of [
      [p1, [{ op: 'test', path: '/metadata/name', value: 'other' }]],
      [p2, [{ op: 'add', path: '/metadata/annotations/a', value: 'x' }]],
      [p1, [{ op: 'remove', path: '/metadata/annotations/missing' }]],
      [
        p1,
        [
          { op: 'replace', path: '/metadata/labels/app', value: 'y' },
          { op: 'remove', path: '/nope' },
        ],
      ],
    ] as const) {
      const answer = await jsonPatch(path, operations)
      expect(answer.status).toBe(422)
      expect(answer.json).toMatchObject({
        status: 'Failure',
        reason: 'Invalid',
        code: 422,
        message: 'the server rejected our request due to an error in our request',
      })
    }
    expect((await fixture.request('GET', p1)).json).toEqual(before)
    expect(await listResourceVersion()).toBe(rv)
    await fixture.mergePatch(p1, { metadata: { labels: { marker: '1' } } })
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events.map((event) => event.object.metadata.labels?.marker)).toEqual(['1'])
  })

  it('undecodable bodies are 400 BadRequest; a JSON Patch that is not an array too', async () => {
    const create = await fixture.request('POST', pods, { body: '{"metadata":' })
    expect(create.status).toBe(400)
    expect(create.json.reason).toBe('BadRequest')
    const merge = await fixture.request('PATCH', p1, {
      body: 'nope',
      contentType: 'application/merge-patch+json',
    })
    expect(merge.status).toBe(400)
    expect(merge.json.reason).toBe('BadRequest')
    // client-node's default patch type with a merge-style object
    const notArray = await jsonPatch(p1, { metadata: { labels: { a: 'b' } } })
    expect(notArray.status).toBe(400)
    expect(notArray.json.reason).toBe('BadRequest')
    const put = await fixture.request('PUT', p1, { body: '[1' })
    expect(put.status).toBe(400)
  })

  it('fields of the wrong JSON type are 400 decode errors, never silently accepted', async () => {
    const before = (await fixture.request('GET', p1)).json
    const merge = 'application/merge-patch+json'
    for (const [path, body, contentType] of [
      [p1, [{ op: 'replace', path: '/metadata', value: 'x' }], 'application/json-patch+json'],
      [p1, { metadata: { resourceVersion: 5 } }, merge],
      [p1, { metadata: { creationTimestamp: 5 } }, merge],
      [p1, { metadata: { deletionTimestamp: 'garbage' } }, merge],
      [`${p1}/status`, { status: { podIP: 5 } }, merge],
      [`${p1}/status`, { status: { podIPs: 'x' } }, merge],
      [`${p1}/status`, { status: { podIPs: [5] } }, merge],
      [`${p1}/status`, { status: { hostIPs: [{ ip: 7 }] } }, merge],
      [`${p1}/status`, { status: { startTime: 5 } }, merge],
      [`${p1}/status`, { status: { startTime: 'garbage' } }, merge],
    ] as const) {
      const answer = await fixture.request('PATCH', path, { body, contentType })
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(answer.json.reason).toBe('BadRequest')
      expect(answer.json.message).toMatch(/^Pod in version "v1" cannot be handled as a Pod: /)
    }
    const create = await fixture.request('POST', pods, {
      body: { metadata: { name: 'p2', namespace: 5 }, spec: p2Body.spec },
    })
    expect(create.status).toBe(400)
    const preconditions = await fixture.request('DELETE', p1, { body: { preconditions: 'x' } })
    expect(preconditions.status).toBe(400)
    expect((await fixture.request('GET', p1)).json).toEqual(before)
    const collection = await fixture.request('PUT', pods, { body: before })
    expect(collection.json).toMatchObject({ code: 405, reason: 'MethodNotAllowed' })
  })
})

describe('§1.4 object metadata', () => {
  it('one global resourceVersion, strictly increasing on create, update and delete of any kind', async () => {
    const seen: number[] = [Number(await listResourceVersion())]
    seen.push(
      Number(
        (await fixture.request('POST', events, { body: legacyEvent('e1') })).json.metadata.resourceVersion,
      ),
    )
    seen.push(Number((await createPod(p2Body)).metadata.resourceVersion))
    seen.push(
      Number(
        (await fixture.mergePatch(p2, { metadata: { labels: { a: 'b' } } })).json.metadata.resourceVersion,
      ),
    )
    seen.push(Number((await fixture.request('DELETE', p2)).json.metadata.resourceVersion))
    seen.push(Number(await listResourceVersion()))
    expect(seen.slice(1, -1).every((rv, index) => rv > (seen[index] ?? 0))).toBe(true)
    expect(seen.at(-1)).toBe(seen.at(-2))
  })

  it('a write that changes nothing (PUT of the current object) keeps the RV and emits no event', async () => {
    const current = (await fixture.request('GET', p1)).json
    const watch = await fixture.watch(
      `/api/v1/pods?watch=true&resourceVersion=${current.metadata.resourceVersion}`,
    )
    const put = await fixture.request('PUT', p1, { body: current })
    expect(put.status).toBe(200)
    expect(put.json).toEqual(current)
    const status = await fixture.request('PUT', `${p1}/status`, { body: current })
    expect(status.json.metadata.resourceVersion).toBe(current.metadata.resourceVersion)
    await fixture.mergePatch(p1, { metadata: { labels: { marker: '1' } } })
    await waitFor(() => watch.events.length >= 1)
    expect(watch.events).toHaveLength(1)
    expect(watch.events[0]?.object.metadata.labels.marker).toBe('1')
  })

  it('metav1.Time: second precision on output, fractions accepted and dropped on input', async () => {
    const answer = await fixture.mergePatch(`${p1}/status`, {
      status: {
        startTime: '2026-01-01T00:00:05.987654Z',
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:00:01.5+02:00' }],
      },
    })
    expect(answer.status).toBe(200)
    expect(answer.json.status.startTime).toBe('2026-01-01T00:00:05Z')
    expect(answer.json.status.conditions[0].lastTransitionTime).toBe('2025-12-31T22:00:01Z')
    expect(answer.json.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const event = await fixture.request('POST', events, {
      body: { ...legacyEvent('e1'), lastTimestamp: '2026-01-01T00:00:00.999Z' },
    })
    expect(event.json.lastTimestamp).toBe('2026-01-01T00:00:00Z')
  })

  it('MicroTime: exactly six digits in (else 400 with the Kind text), six digits out in UTC', async () => {
    for (const renewTime of [
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.123Z',
      '2026-01-01T00:00:00.123456789Z',
      'yesterday',
    ]) {
      const answer = await fixture.request('POST', leases, {
        body: { metadata: { name: 'l' }, spec: { renewTime } },
      })
      expect(answer.status).toBe(400)
      expect(answer.json.reason).toBe('BadRequest')
      expect(answer.json.message).toMatch(/^Lease in version "v1" cannot be handled as a Lease: /)
    }
    const created = await fixture.request('POST', leases, {
      body: { metadata: { name: 'l' }, spec: { acquireTime: '2026-01-01T02:00:00.000100+02:00' } },
    })
    expect(created.status).toBe(201)
    expect(created.json.spec.acquireTime).toBe('2026-01-01T00:00:00.000100Z')
    const badEvent = await fixture.request('POST', events, {
      body: { ...newStyleEvent('e2'), eventTime: '2026-01-01T00:00:00.123Z' },
    })
    expect(badEvent.status).toBe(400)
    expect(badEvent.json.message).toMatch(/^Event in version "v1" cannot be handled as a Event: /)
    const event = await fixture.request('POST', events, { body: newStyleEvent('e2') })
    expect(event.status).toBe(201)
    expect(event.json.eventTime).toBe('2026-01-01T00:00:00.123000Z')
  })

  it('kind/apiVersion on single objects and watch objects, never on list items', async () => {
    for (const path of [
      pods,
      events,
      leases,
      '/api/v1/namespaces/ns1/serviceaccounts',
      '/api/v1/namespaces',
    ]) {
      const list = await fixture.request('GET', path)
      expect(list.status).toBe(200)
      expect(list.json.kind).toMatch(/List$/)
      for (const item of list.json.items) {
        expect(item.kind).toBeUndefined()
        expect(item.apiVersion).toBeUndefined()
      }
    }
    const sa = await fixture.request('GET', '/api/v1/namespaces/ns1/serviceaccounts/sa')
    expect(sa.json).toMatchObject({ kind: 'ServiceAccount', apiVersion: 'v1' })
  })

  it('namespace mismatch is 400 on create and replace; name mismatch is 400 on replace and patch', async () => {
    const text = 'the namespace of the provided object does not match the namespace sent on the request'
    const current = (await fixture.request('GET', p1)).json
    const create = await fixture.request('POST', pods, {
      body: { ...p2Body, metadata: { name: 'p2', namespace: 'ns2' } },
    })
    expect(create.status).toBe(400)
    expect(create.json).toMatchObject({ reason: 'BadRequest', message: text })
    const replace = await fixture.request('PUT', p1, {
      body: { ...current, metadata: { ...current.metadata, namespace: 'ns2' } },
    })
    expect(replace.status).toBe(400)
    expect(replace.json.message).toBe(text)
    const replaceName = await fixture.request('PUT', p1, {
      body: { ...current, metadata: { ...current.metadata, name: 'p9' } },
    })
    expect(replaceName.status).toBe(400)
    expect(replaceName.json.reason).toBe('BadRequest')
    const patchName = await fixture.mergePatch(p1, { metadata: { name: 'p9' } })
    expect(patchName.status).toBe(400)
    expect(patchName.json.reason).toBe('BadRequest')
    expect((await fixture.request('GET', p1)).json).toEqual(current)
  })
})

describe('§2 the Pod object: podIP/podIPs and hostIP/hostIPs', () => {
  it('a single field drives the list, the list drives the single field, both differing: the single one wins', async () => {
    const status = `${p1}/status`
    const onlyPodIP = await fixture.mergePatch(status, { status: { podIP: '10.244.1.9' } })
    expect(onlyPodIP.json.status).toMatchObject({ podIP: '10.244.1.9', podIPs: [{ ip: '10.244.1.9' }] })
    const onlyPodIPs = await fixture.mergePatch(status, { status: { podIPs: [{ ip: '10.244.1.10' }] } })
    expect(onlyPodIPs.json.status).toMatchObject({ podIP: '10.244.1.10', podIPs: [{ ip: '10.244.1.10' }] })
    const both = await fixture.mergePatch(status, {
      status: { podIP: '10.244.1.11', podIPs: [{ ip: '10.244.1.12' }] },
    })
    expect(both.json.status).toMatchObject({ podIP: '10.244.1.11', podIPs: [{ ip: '10.244.1.11' }] })
    const onlyHostIP = await fixture.mergePatch(status, { status: { hostIP: '10.0.0.13' } })
    expect(onlyHostIP.json.status).toMatchObject({ hostIP: '10.0.0.13', hostIPs: [{ ip: '10.0.0.13' }] })
    const onlyHostIPs = await fixture.mergePatch(status, { status: { hostIPs: [{ ip: '10.0.0.14' }] } })
    expect(onlyHostIPs.json.status).toMatchObject({ hostIP: '10.0.0.14', hostIPs: [{ ip: '10.0.0.14' }] })
    const bothHost = await fixture.mergePatch(status, {
      status: { hostIP: '10.0.0.15', hostIPs: [{ ip: '10.0.0.16' }] },
    })
    expect(bothHost.json.status).toMatchObject({ hostIP: '10.0.0.15', hostIPs: [{ ip: '10.0.0.15' }] })
  })

  it('on a fresh pod a PUT of status with only podIPs sets podIP', async () => {
    await createPod({ ...p2Body, spec: { ...p2Body.spec, nodeName: 'worker-2' } })
    const current = (await fixture.request('GET', p2)).json
    const put = await fixture.request('PUT', `${p2}/status`, {
      body: { ...current, status: { ...current.status, podIPs: [{ ip: 'fd00::1' }] } },
    })
    expect(put.status).toBe(200)
    expect(put.json.status).toMatchObject({ podIP: 'fd00::1', podIPs: [{ ip: 'fd00::1' }] })
  })

  it('an unparseable IP is 422 Invalid on status.podIPs[0].ip (and hostIPs), nothing stored', async () => {
    const before = (await fixture.request('GET', p1)).json
    const bad = await fixture.mergePatch(`${p1}/status`, { status: { podIPs: [{ ip: '10.244.1.300' }] } })
    expect(bad.status).toBe(422)
    expect(bad.json.message).toMatch(
      /^Pod "p1" is invalid: status\.podIPs\[0\]\.ip: Invalid value: "10\.244\.1\.300": /,
    )
    const host = await fixture.mergePatch(`${p1}/status`, { status: { hostIP: 'host' } })
    expect(host.status).toBe(422)
    expect(host.json.details.causes[0].field).toBe('status.hostIPs[0].ip')
    expect((await fixture.request('GET', p1)).json).toEqual(before)
  })
})

describe('§3.1 pod create', () => {
  it('sets system fields and every default; status is discarded', async () => {
    const before = fixture.kube.clock.now()
    const answer = await fixture.request('POST', pods, {
      body: {
        metadata: { name: 'p2', generation: 7, uid: 'mine', creationTimestamp: '2020-01-01T00:00:00Z' },
        spec: {
          containers: [
            { name: 'a', image: 'busybox' },
            { name: 'b', image: 'busybox:latest' },
            { name: 'c', image: 'registry:5000/busybox:1.36' },
            { name: 'd', image: 'busybox:1', imagePullPolicy: 'Never' },
          ],
        },
        status: { phase: 'Running', podIP: '1.2.3.4', hostIP: '10.0.0.1' },
      },
    })
    expect(answer.status).toBe(201)
    const { metadata, spec, status } = answer.json
    expect(metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(metadata.namespace).toBe('ns1')
    expect(metadata.generation).toBe(1)
    expect(Date.parse(metadata.creationTimestamp)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
    expect(spec).toMatchObject({
      serviceAccountName: 'default',
      serviceAccount: 'default',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
    })
    expect(spec.nodeName).toBeUndefined()
    for (const container of spec.containers) {
      expect(container).toMatchObject({
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        resources: {},
      })
    }
    expect(spec.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy)).toEqual([
      'Always',
      'Always',
      'IfNotPresent',
      'Never',
    ])
    expect(status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' })
  })

  it('generateName plus five random characters names the pod', async () => {
    const created = await createPod({ metadata: { generateName: 'web-' }, spec: p2Body.spec })
    expect(created.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    expect(created.metadata.generateName).toBe('web-')
    expect((await fixture.request('GET', `${pods}/${created.metadata.name}`)).status).toBe(200)
  })

  it('qosClass: BestEffort without resources, Burstable with some, Guaranteed when limits equal requests', async () => {
    const burstable = await createPod({
      metadata: { name: 'b' },
      spec: { containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '100m' } } }] },
    })
    expect(burstable.status.qosClass).toBe('Burstable')
    const resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }
    const guaranteed = await createPod({
      metadata: { name: 'g' },
      spec: { containers: [{ name: 'c', image: 'x:1', resources }] },
    })
    expect(guaranteed.status.qosClass).toBe('Guaranteed')
  })

  it('every create error with its exact text', async () => {
    const noContainers = await fixture.request('POST', pods, { body: { metadata: { name: 'p2' }, spec: {} } })
    expect(noContainers.status).toBe(422)
    expect(noContainers.json.message).toBe('Pod "p2" is invalid: spec.containers: Required value')
    const noName = await fixture.request('POST', pods, { body: { spec: p2Body.spec } })
    expect(noName.json.message).toBe(
      'Pod "" is invalid: metadata.name: Required value: name or generateName is required',
    )
    const noSa = await fixture.request('POST', pods, {
      body: { metadata: { name: 'p2' }, spec: { ...p2Body.spec, serviceAccountName: 'missing' } },
    })
    expect(noSa.status).toBe(403)
    expect(noSa.json).toMatchObject({
      reason: 'Forbidden',
      message:
        'pods "p2" is forbidden: error looking up service account ns1/missing: serviceaccount "missing" not found',
    })
    const noNamespace = await fixture.request('POST', '/api/v1/namespaces/ns9/pods', { body: p2Body })
    expect(noNamespace.json).toMatchObject({
      reason: 'NotFound',
      message: 'namespaces "ns9" not found',
      details: { name: 'ns9', kind: 'namespaces' },
    })
    await createPod(p2Body)
    const twice = await fixture.request('POST', pods, { body: p2Body })
    expect(twice.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'pods "p2" already exists',
      details: { name: 'p2', kind: 'pods' },
      code: 409,
    })
  })
})

describe('§3.3 pod list and selectors', () => {
  it('items are ordered by namespace then name', async () => {
    await fixture.kube.createNamespace('ns0')
    await createPod(pod('zz'))
    await createPod(pod('aa'))
    await createPod(pod('mm'), 'ns0')
    const items = (await fixture.request('GET', '/api/v1/pods')).json.items
    expect(
      items.map(
        (item: { metadata: { namespace: string; name: string } }) =>
          `${item.metadata.namespace}/${item.metadata.name}`,
      ),
    ).toEqual(['ns0/mm', 'ns1/aa', 'ns1/p1', 'ns1/zz'])
  })

  it('label selectors: =, ==, !=, exists, !exists, in, notin, comma = AND', async () => {
    await createPod(pod('web', { labels: { app: 'web', tier: 'front' } }))
    await createPod(pod('db', { labels: { app: 'db' } }))
    const names = async (selector: string) =>
      (await fixture.request('GET', `${pods}?labelSelector=${encodeURIComponent(selector)}`)).json.items
        .map((item: { metadata: { name: string } }) => item.metadata.name)
        .sort()
    expect(await names('app=web')).toEqual(['web'])
    expect(await names('app==db')).toEqual(['db'])
    expect(await names('app!=web')).toEqual(['db', 'p1'])
    expect(await names('tier')).toEqual(['web'])
    expect(await names('!tier')).toEqual(['db', 'p1'])
    expect(await names('app in (web,db)')).toEqual(['db', 'web'])
    expect(await names('app notin (web, x)')).toEqual(['db'])
    expect(await names('app,!tier')).toEqual(['db', 'p1'])
    expect(await names('app=web,tier=back')).toEqual([])
    for (const bad of ['app in (web', 'app=web=x', '=web', 'app in web', '!', 'a b']) {
      const answer = await fixture.request('GET', `${pods}?labelSelector=${encodeURIComponent(bad)}`)
      expect(answer.status, bad).toBe(400)
      expect(answer.json.reason).toBe('BadRequest')
    }
  })

  it('pod field selectors: every label, the spec.host alias, =, ==, !=; others 400', async () => {
    await createPod(pod('p2'))
    await fixture.control('POST', '/kubelet/ns1/p1', { containers: 'running' })
    const names = async (selector: string) => {
      const answer = await fixture.request(
        'GET',
        `/api/v1/pods?fieldSelector=${encodeURIComponent(selector)}`,
      )
      expect(answer.status, `${selector}: ${answer.text}`).toBe(200)
      return answer.json.items.map((item: { metadata: { name: string } }) => item.metadata.name).sort()
    }
    expect(await names('metadata.name=p1')).toEqual(['p1'])
    expect(await names('metadata.namespace==ns1')).toEqual(['p1', 'p2'])
    expect(await names('spec.nodeName=worker-2')).toEqual(['p1'])
    expect(await names('spec.host=worker-2')).toEqual(['p1'])
    expect(await names('spec.nodeName=')).toEqual(['p2'])
    expect(await names('spec.nodeName!=worker-2')).toEqual(['p2'])
    expect(await names('spec.restartPolicy=Always')).toEqual(['p1', 'p2'])
    expect(await names('spec.schedulerName=default-scheduler')).toEqual(['p1', 'p2'])
    expect(await names('spec.serviceAccountName=sa')).toEqual(['p1'])
    expect(await names('spec.hostNetwork=false')).toEqual(['p1', 'p2'])
    expect(await names('status.phase=Running')).toEqual(['p1'])
    expect(await names('status.phase!=Running')).toEqual(['p2'])
    expect(await names('status.podIP=10.244.1.7')).toEqual(['p1'])
    expect(await names('status.podIPs=10.244.1.7')).toEqual(['p1'])
    expect(await names('status.nominatedNodeName=')).toEqual(['p1', 'p2'])
    expect(await names('status.phase=Running,spec.nodeName=worker-2')).toEqual(['p1'])
    const unsupported = await fixture.request('GET', `${pods}?fieldSelector=spec.foo%3Dbar`)
    expect(unsupported.status).toBe(400)
    expect(unsupported.json).toMatchObject({
      reason: 'BadRequest',
      message: 'field label not supported: spec.foo',
    })
  })
})

describe('§3.4 pod patch', () => {
  it('merge patch: arrays are replaced whole, null empties', async () => {
    await fixture.mergePatch(p1, { metadata: { finalizers: ['a/x', 'b/y'] } })
    const replaced = await fixture.mergePatch(p1, { metadata: { finalizers: ['c/z'] } })
    expect(replaced.json.metadata.finalizers).toEqual(['c/z'])
    const emptied = await fixture.mergePatch(p1, { metadata: { finalizers: null, annotations: null } })
    expect(emptied.json.metadata.finalizers).toBeUndefined()
    expect(emptied.json.metadata.annotations).toBeUndefined()
  })

  it('strategic merge: finalizers without duplicates, containers by name, conditions by type, ownerReferences by uid', async () => {
    await smp(p1, { metadata: { finalizers: ['a/x'] } })
    const again = await smp(p1, { metadata: { finalizers: ['a/x', 'b/y'] } })
    expect([...again.json.metadata.finalizers].sort()).toEqual(['a/x', 'b/y'])
    const deleted = await smp(p1, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x', 'b/y'] } })
    expect(deleted.json.metadata.finalizers).toBeUndefined()

    const owner = (uid: string, name: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid })
    await smp(p1, { metadata: { ownerReferences: [owner('u1', 'rs1')] } })
    const owners = await smp(p1, { metadata: { ownerReferences: [owner('u2', 'rs2'), owner('u1', 'rs1b')] } })
    expect(owners.json.metadata.ownerReferences).toHaveLength(2)
    expect(owners.json.metadata.ownerReferences.find((o: { uid: string }) => o.uid === 'u1').name).toBe(
      'rs1b',
    )

    const image = await smp(p1, { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } })
    expect(image.status).toBe(200)
    expect(image.json.spec.containers).toHaveLength(1)
    expect(image.json.spec.containers[0]).toMatchObject({
      name: 'app',
      image: 'busybox:2',
      imagePullPolicy: 'IfNotPresent',
    })
    expect(image.json.spec.initContainers[0].image).toBe('vi:1')

    await smp(`${p1}/status`, {
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    })
    const conditions = await smp(`${p1}/status`, {
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    })
    const byType = Object.fromEntries(
      conditions.json.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]),
    )
    expect(byType).toEqual({ Ready: 'True', PodScheduled: 'True' })
  })

  it('status, creationTimestamp, generation and a set deletionTimestamp are silently kept; grace removal undone', async () => {
    const before = (await fixture.request('GET', p1)).json
    const answer = await fixture.mergePatch(p1, {
      metadata: { creationTimestamp: '2020-01-01T00:00:00Z', generation: 9, labels: { b: '1' } },
      status: { phase: 'Failed' },
    })
    expect(answer.status).toBe(200)
    expect(answer.json.metadata.creationTimestamp).toBe(before.metadata.creationTimestamp)
    expect(answer.json.metadata.generation).toBe(before.metadata.generation)
    expect(answer.json.status).toEqual(before.status)
    await fixture.request('DELETE', `${p1}?gracePeriodSeconds=30`)
    const terminating = (await fixture.request('GET', p1)).json
    const reset = await fixture.mergePatch(p1, {
      metadata: { deletionTimestamp: '2030-01-01T00:00:00Z', deletionGracePeriodSeconds: null },
    })
    expect(reset.status).toBe(200)
    expect(reset.json.metadata.deletionTimestamp).toBe(terminating.metadata.deletionTimestamp)
    expect(reset.json.metadata.deletionGracePeriodSeconds).toBe(30)
  })

  it('immutable fields: uid, a different deletionGracePeriodSeconds, a new deletionTimestamp are 422', async () => {
    const uid = await fixture.mergePatch(p1, { metadata: { uid: 'other' } })
    expect(uid.json.message).toBe(
      'Pod "p1" is invalid: metadata.uid: Invalid value: "other": field is immutable',
    )
    const grace = await fixture.mergePatch(p1, { metadata: { deletionGracePeriodSeconds: 5 } })
    expect(grace.status).toBe(422)
    expect(grace.json.message).toBe(
      'Pod "p1" is invalid: metadata.deletionGracePeriodSeconds: Invalid value: 5: field is immutable',
    )
    const timestamp = await fixture.mergePatch(p1, {
      metadata: { deletionTimestamp: '2030-01-01T00:00:00Z' },
    })
    expect(timestamp.status).toBe(422)
    expect(timestamp.json.message).toMatch(
      /^Pod "p1" is invalid: metadata\.deletionTimestamp: Invalid value: .*: field is immutable$/,
    )
    await fixture.request('DELETE', `${p1}?gracePeriodSeconds=30`)
    const terminatingGrace = await fixture.mergePatch(p1, { metadata: { deletionGracePeriodSeconds: 10 } })
    expect(terminatingGrace.json.message).toBe(
      'Pod "p1" is invalid: metadata.deletionGracePeriodSeconds: Invalid value: 10: field is immutable',
    )
  })

  it('spec changes: images, activeDeadlineSeconds and added tolerations pass; anything else is Forbidden', async () => {
    const deadline = await fixture.mergePatch(p1, { spec: { activeDeadlineSeconds: 60 } })
    expect(deadline.status).toBe(200)
    expect(deadline.json.metadata.generation).toBe(2)
    const toleration = { key: 'k', operator: 'Exists', effect: 'NoSchedule' }
    const tolerations = await fixture.mergePatch(p1, { spec: { tolerations: [toleration] } })
    expect(tolerations.status).toBe(200)
    const removeToleration = await fixture.mergePatch(p1, { spec: { tolerations: [] } })
    expect(removeToleration.status).toBe(422)
    for (const spec of [
      { serviceAccountName: 'default' },
      { hostNetwork: true },
      { containers: [{ name: 'x', image: 'y' }] },
    ]) {
      const answer = await fixture.mergePatch(p1, { spec })
      expect(answer.status).toBe(422)
      expect(answer.json.message).toMatch(
        /^Pod "p1" is invalid: spec: Forbidden: pod updates may not change fields other than/,
      )
    }
  })

  it('no new finalizers while deleting: Go-quoted sorted list; removing is allowed', async () => {
    await fixture.mergePatch(p1, { metadata: { finalizers: ['keep/me'] } })
    await fixture.request('DELETE', `${p1}?gracePeriodSeconds=30`)
    const added = await fixture.mergePatch(p1, {
      metadata: { finalizers: ['keep/me', 'z.example.com/b', 'example.com/other'] },
    })
    expect(added.status).toBe(422)
    expect(added.json.message).toBe(
      'Pod "p1" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/other", "z.example.com/b"}',
    )
    const removed = await fixture.mergePatch(p1, { metadata: { finalizers: null } })
    expect(removed.status).toBe(200)
    expect(removed.json.metadata.finalizers).toBeUndefined()
  })

  it('generation grows on spec change and when deletion starts, not on metadata or status changes', async () => {
    const start = (await fixture.request('GET', p1)).json.metadata.generation
    expect(
      (await fixture.mergePatch(p1, { metadata: { labels: { b: '2' } } })).json.metadata.generation,
    ).toBe(start)
    expect(
      (await fixture.mergePatch(`${p1}/status`, { status: { phase: 'Running' } })).json.metadata.generation,
    ).toBe(start)
    const image = await smp(p1, { spec: { containers: [{ name: 'app', image: 'busybox:3' }] } })
    expect(image.json.metadata.generation).toBe(start + 1)
    const deleting = await fixture.request('DELETE', p1)
    expect(deleting.json.metadata.generation).toBe(start + 2)
  })

  it('patching a missing pod is 404 for every patch type', async () => {
    for (const contentType of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
      const answer = await fixture.request('PATCH', `${pods}/nope`, { body: {}, contentType })
      expect(answer.json).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' })
    }
    expect((await jsonPatch(`${pods}/nope`, [])).status).toBe(404)
  })
})

describe('§3.5 pod replace (PUT)', () => {
  it('an empty RV is unconditional, a stale RV is 409; status is ignored; spec and finalizer rules apply', async () => {
    const current = (await fixture.request('GET', p1)).json
    const { resourceVersion: _rv, ...metadata } = current.metadata
    const unconditional = await fixture.request('PUT', p1, {
      body: {
        ...current,
        metadata: { ...metadata, labels: { app: 'x', put: '1' } },
        status: { phase: 'Failed' },
      },
    })
    expect(unconditional.status).toBe(200)
    expect(unconditional.json.metadata.labels.put).toBe('1')
    expect(unconditional.json.status.phase).toBe('Pending')
    const stale = await fixture.request('PUT', p1, { body: current })
    expect(stale.status).toBe(409)
    expect(stale.json.reason).toBe('Conflict')
    const spec = await fixture.request('PUT', p1, {
      body: { ...unconditional.json, spec: { ...unconditional.json.spec, nodeName: 'other' } },
    })
    expect(spec.status).toBe(422)
    expect(spec.json.message).toMatch(/^Pod "p1" is invalid: spec: Forbidden: /)
    expect(
      (await fixture.request('PUT', `${pods}/nope`, { body: { ...current, metadata: { name: 'nope' } } }))
        .status,
    ).toBe(404)
  })
})

describe('§3.6 pod status subresource', () => {
  it('ignores spec, deletionTimestamp and ownerReferences; applies labels and annotations', async () => {
    const before = (await fixture.request('GET', p1)).json
    const answer = await fixture.mergePatch(`${p1}/status`, {
      metadata: {
        labels: { fromStatus: 'yes' },
        deletionTimestamp: '2030-01-01T00:00:00Z',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u' }],
      },
      spec: { nodeName: 'elsewhere' },
      status: { phase: 'Running' },
    })
    expect(answer.status).toBe(200)
    expect(answer.json.metadata.labels.fromStatus).toBe('yes')
    expect(answer.json.metadata.deletionTimestamp).toBeUndefined()
    expect(answer.json.metadata.ownerReferences).toBeUndefined()
    expect(answer.json.spec).toEqual(before.spec)
    expect(answer.json.status.phase).toBe('Running')
    const stale = await fixture.mergePatch(`${p1}/status`, {
      metadata: { resourceVersion: before.metadata.resourceVersion },
      status: { phase: 'Failed' },
    })
    expect(stale.status).toBe(409)
  })
})

describe('§3.7 pod delete', () => {
  it('grace is forced to 0 when unscheduled (even when requested) and for Succeeded/Failed pods', async () => {
    await createPod(p2Body)
    const unscheduled = await fixture.request('DELETE', `${p2}?gracePeriodSeconds=30`)
    expect(unscheduled.status).toBe(200)
    expect(unscheduled.json.kind).toBe('Pod')
    expect((await fixture.request('GET', p2)).status).toBe(404)
    await fixture.control('POST', '/kubelet/ns1/p1', { containers: 'succeeded' })
    const done = await fixture.request('DELETE', p1)
    expect(done.json.metadata.deletionTimestamp).toBeUndefined()
    expect((await fixture.request('GET', p1)).status).toBe(404)
  })

  it('the grace period comes from the request, else the spec; negative becomes 1', async () => {
    await createPod({
      ...p2Body,
      spec: { ...p2Body.spec, nodeName: 'worker-2', terminationGracePeriodSeconds: 45 },
    })
    const now = fixture.kube.clock.now()
    const fromSpec = await fixture.request('DELETE', p2)
    expect(fromSpec.json.metadata.deletionGracePeriodSeconds).toBe(45)
    expect(
      Date.parse(fromSpec.json.metadata.deletionTimestamp) - Math.floor(now / 1000) * 1000,
    ).toBeGreaterThanOrEqual(45_000)
    const negative = await fixture.request('DELETE', `${p1}?gracePeriodSeconds=-5`)
    expect(negative.json.metadata.deletionGracePeriodSeconds).toBe(1)
  })

  it('a DeleteOptions body gives the grace period and preconditions', async () => {
    const current = (await fixture.request('GET', p1)).json
    const body = (preconditions: object, gracePeriodSeconds = 0) => ({
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds, preconditions },
    })
    const uid = await fixture.request('DELETE', p1, body({ uid: 'other-uid' }))
    expect(uid.status).toBe(409)
    expect(uid.json.reason).toBe('Conflict')
    expect(uid.json.message).toMatch(/^Operation cannot be fulfilled on pods "p1": /)
    expect(uid.json.message).toContain(
      `Precondition failed: UID in precondition: other-uid, UID in object meta: ${current.metadata.uid}`,
    )
    const rv = await fixture.request('DELETE', p1, body({ resourceVersion: '1' }))
    expect(rv.status).toBe(409)
    expect(rv.json.message).toContain(
      `Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
    )
    expect((await fixture.request('GET', p1)).json).toEqual(current)
    const graceful = await fixture.request('DELETE', p1, body({ uid: current.metadata.uid }, 7))
    expect(graceful.status).toBe(200)
    expect(graceful.json.metadata.deletionGracePeriodSeconds).toBe(7)
    const gone = await fixture.request(
      'DELETE',
      p1,
      body({ resourceVersion: graceful.json.metadata.resourceVersion }),
    )
    expect(gone.status).toBe(200)
    expect((await fixture.request('GET', p1)).status).toBe(404)
  })

  it('outcomes 1–5 with their watch events', async () => {
    const rv = await listResourceVersion()
    const watch = await fixture.watch(`${pods}?watch=true&resourceVersion=${rv}`)
    // 3: grace 0 with finalizers
    await fixture.mergePatch(p1, { metadata: { finalizers: ['f/1'] } })
    const held = await fixture.request('DELETE', `${p1}?gracePeriodSeconds=0`)
    expect(held.json.metadata.deletionGracePeriodSeconds).toBe(0)
    // deletion starts: generation grows (spec §3.4)
    expect(held.json.metadata.generation).toBe(2)
    expect(held.json.metadata.deletionTimestamp).toBe(formatTime(fixture.kube.clock.now()))
    // 5: nothing changes
    const again = await fixture.request('DELETE', p1)
    expect(again.json).toEqual(held.json)
    const released = await fixture.mergePatch(p1, { metadata: { finalizers: null, labels: { gone: 'yes' } } })
    expect(released.json.metadata).toMatchObject({ labels: { gone: 'yes' } })
    expect(released.json.metadata.finalizers).toBeUndefined()
    expect((await fixture.request('GET', p1)).status).toBe(404)
    // 2 then 4 shortening to a grace > 0, then to 0 without finalizers
    await createPod({ ...p2Body, spec: { ...p2Body.spec, nodeName: 'worker-2' } })
    const started = await fixture.request('DELETE', `${p2}?gracePeriodSeconds=30`)
    const shortened = await fixture.request('DELETE', `${p2}?gracePeriodSeconds=10`)
    expect(shortened.json.metadata.deletionGracePeriodSeconds).toBe(10)
    expect(
      Date.parse(started.json.metadata.deletionTimestamp) -
        Date.parse(shortened.json.metadata.deletionTimestamp),
    ).toBe(20_000)
    const longer = await fixture.request('DELETE', `${p2}?gracePeriodSeconds=20`)
    expect(longer.json.metadata.resourceVersion).toBe(shortened.json.metadata.resourceVersion)
    const removed = await fixture.request('DELETE', `${p2}?gracePeriodSeconds=0&propagationPolicy=Background`)
    expect(removed.status).toBe(200)
    expect(removed.json.kind).toBe('Pod')
    expect((await fixture.request('GET', p2)).status).toBe(404)
    await waitFor(() => watch.events.length >= 7)
    expect(watch.events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual([
      'MODIFIED p1',
      'MODIFIED p1',
      'DELETED p1',
      'ADDED p2',
      'MODIFIED p2',
      'MODIFIED p2',
      'DELETED p2',
    ])
    // the DELETED of a finalizer removal carries the last stored state with a new RV
    const deletedP1 = watch.events[2]?.object
    expect(deletedP1.metadata.finalizers).toEqual(['f/1'])
    expect(deletedP1.metadata.labels.gone).toBeUndefined()
    expect(Number(deletedP1.metadata.resourceVersion)).toBeGreaterThan(
      Number(held.json.metadata.resourceVersion),
    )
  })

  it('emptying finalizers while the grace is still > 0 is an ordinary update; the final delete removes the pod', async () => {
    await fixture.mergePatch(p1, { metadata: { finalizers: ['f/1'] } })
    await fixture.request('DELETE', `${p1}?gracePeriodSeconds=30`)
    const rv = (await fixture.request('GET', p1)).json.metadata.resourceVersion
    const watch = await fixture.watch(`${pods}?watch=true&resourceVersion=${rv}`)
    const emptied = await fixture.mergePatch(p1, { metadata: { finalizers: null } })
    expect(emptied.status).toBe(200)
    expect((await fixture.request('GET', p1)).status).toBe(200)
    await fixture.control('POST', '/kubelet/ns1/p1/terminate')
    expect((await fixture.request('GET', p1)).status).toBe(404)
    await waitFor(() => watch.events.length >= 2)
    expect(watch.events.map((event) => event.type)).toEqual(['MODIFIED', 'DELETED'])
  })
})

describe('§4 watch', () => {
  it('resourceVersion absent, "" or "0": a synthetic ADDED for every object that matches now', async () => {
    await createPod(pod('p2', { labels: { app: 'y' } }))
    for (const query of ['', '&resourceVersion=', '&resourceVersion=0']) {
      const watch = await fixture.watch(`${pods}?watch=1${query}`)
      await waitFor(() => watch.events.length >= 2)
      expect(watch.events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual([
        'ADDED p1',
        'ADDED p2',
      ])
      expect(watch.headers.get('content-type')).toBe('application/json')
      watch.close()
    }
  })

  it('replays every matching change after N in RV order; DELETED carries the deletion RV', async () => {
    const rv = await listResourceVersion()
    await createPod(p2Body)
    await fixture.mergePatch(p2, { metadata: { labels: { a: 'b' } } })
    const deleted = await fixture.request('DELETE', p2)
    const watch = await fixture.watch(
      `${pods}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dp2`,
    )
    await waitFor(() => watch.events.length >= 3)
    expect(watch.events.map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED'])
    expect(watch.events[2]?.object.metadata.resourceVersion).toBe(deleted.json.metadata.resourceVersion)
    expect(watch.events[2]?.object.metadata.labels).toEqual({ a: 'b' })
  })

  it('field-selector transitions: ADDED when starting to match, DELETED when stopping', async () => {
    const rv = await listResourceVersion()
    const watch = await fixture.watch(
      `${pods}?watch=true&resourceVersion=${rv}&fieldSelector=status.phase%3DRunning`,
    )
    await fixture.mergePatch(`${p1}/status`, { status: { phase: 'Running' } })
    await fixture.mergePatch(p1, { metadata: { labels: { still: 'matching' } } })
    await fixture.mergePatch(`${p1}/status`, { status: { phase: 'Failed' } })
    await waitFor(() => watch.events.length >= 3)
    expect(watch.events.map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED'])
    expect(watch.events[2]?.object.status.phase).toBe('Failed')
  })

  it('BOOKMARK carries only kind, apiVersion and the current RV; timeoutSeconds ends the stream', async () => {
    await fixture.control('PUT', '/config', { bookmarkIntervalSeconds: 1 })
    await fixture.mergePatch(p1, { metadata: { labels: { b: '1' } } })
    const rv = await listResourceVersion()
    const watch = await fixture.watch(`${leases}?watch=true&allowWatchBookmarks=true&timeoutSeconds=2`)
    await watch.ended
    const bookmarks = watch.events.filter((event) => event.type === 'BOOKMARK')
    expect(bookmarks.length).toBeGreaterThanOrEqual(1)
    expect(bookmarks[0]).toEqual({
      type: 'BOOKMARK',
      object: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { resourceVersion: rv } },
    })
  })
})

describe('§5 service accounts and TokenRequest', () => {
  it('POST a namespace → 201 Namespace with its default service account; POST/GET service accounts', async () => {
    const namespace = await fixture.request('POST', '/api/v1/namespaces', {
      body: { metadata: { name: 'ns2' } },
    })
    expect(namespace.status).toBe(201)
    expect(namespace.json).toMatchObject({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'ns2' } })
    const defaultSa = await fixture.request('GET', '/api/v1/namespaces/ns2/serviceaccounts/default')
    expect(defaultSa.status).toBe(200)
    const created = await fixture.request('POST', '/api/v1/namespaces/ns2/serviceaccounts', {
      body: { metadata: { name: 'robot' } },
    })
    expect(created.status).toBe(201)
    expect(created.json.kind).toBe('ServiceAccount')
    expect(created.json.apiVersion).toBe('v1')
    expect(Object.keys(created.json.metadata).sort()).toEqual([
      'creationTimestamp',
      'name',
      'namespace',
      'resourceVersion',
      'uid',
    ])
    expect((await fixture.request('GET', '/api/v1/namespaces/ns2/serviceaccounts/robot')).json).toEqual(
      created.json,
    )
    const deleted = await fixture.request('DELETE', '/api/v1/namespaces/ns2/serviceaccounts/robot')
    expect(deleted.json).toMatchObject({ kind: 'ServiceAccount', metadata: { name: 'robot' } })
  })

  it('answers 201 with the request echoed, metadata of the service account and expirationTimestamp', async () => {
    const answer = await fixture.request('POST', tokenPath, {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: ['vault-controller'] },
      },
    })
    expect(answer.status).toBe(201)
    const now = fixture.kube.clock.now()
    expect(answer.json).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'sa', namespace: 'ns1', creationTimestamp: formatTime(now) },
      spec: { audiences: ['vault-controller'], expirationSeconds: 3600 },
    })
    expect(Date.parse(answer.json.status.expirationTimestamp) / 1000).toBeCloseTo(
      Math.floor(now / 1000) + 3600,
      -1,
    )
    expect(answer.json.status.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('empty audiences become the API audiences ([issuer])', async () => {
    const answer = await fixture.request('POST', tokenPath, { body: { spec: { audiences: [] } } })
    expect(answer.json.spec.audiences).toEqual([fixture.kube.issuer])
    const payload = JSON.parse(Buffer.from(answer.json.status.token.split('.')[1], 'base64url').toString())
    expect(payload.aud).toEqual([fixture.kube.issuer])
  })

  it('every TokenRequest error with its text', async () => {
    const request = (spec: object, metadata: object = {}, path = tokenPath) =>
      fixture.request('POST', path, { body: { metadata, spec } })
    const short = await request({ expirationSeconds: 599 })
    expect(short.status).toBe(422)
    expect(short.json.message).toBe(
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    )
    const named = await request({ expirationSeconds: 599 }, { name: 'sa' })
    expect(named.json.message).toMatch(/^TokenRequest\.authentication\.k8s\.io "sa" is invalid: /)
    const long = await request({ expirationSeconds: 2 ** 32 + 1 })
    expect(long.status).toBe(422)
    expect(long.json.message).toBe(
      `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: ${2 ** 32 + 1}: may not specify a duration larger than 2^32 seconds`,
    )
    expect((await request({ expirationSeconds: 2 ** 32 })).status).toBe(201)
    expect((await request({ expirationSeconds: 600 })).status).toBe(201)
    const noSa = await request({}, {}, '/api/v1/namespaces/ns1/serviceaccounts/sa9/token')
    expect(noSa.json).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'serviceaccounts "sa9" not found',
    })
    const ref = (name: string, uid?: string) => ({
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, ...(uid === undefined ? {} : { uid }) },
    })
    const noPod = await request(ref('p9'))
    expect(noPod.json).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "p9" not found' })
    await createPod(p2Body)
    const otherSa = await request(ref('p2'))
    expect(otherSa.json).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'cannot bind token for serviceaccount "sa" to pod running with different serviceaccount name.',
    })
    const uid = await request(ref('p1', 'not-the-uid'))
    expect(uid.status).toBe(409)
    expect(uid.json.reason).toBe('Conflict')
    expect(uid.json.message).toContain(
      'the UID in the bound object reference (not-the-uid) does not match the UID in record. The object might have been deleted and then recreated',
    )
  })
})

describe('§5 token lifetime as a bearer credential', () => {
  it('a pod-bound token for the API audiences authenticates until its pod is gone or replaced, or it expires', async () => {
    const issue = async () =>
      (
        await fixture.request('POST', tokenPath, {
          body: {
            spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1' }, expirationSeconds: 600 },
          },
        })
      ).json.status.token as string
    const jwt = await issue()
    expect((await fixture.request('GET', p1, { token: jwt })).status).toBe(200)
    await fixture.control('POST', '/clock/advance', { seconds: 600 + 58 })
    expect((await fixture.request('GET', p1, { token: jwt })).status).toBe(200)
    await fixture.control('POST', '/clock/advance', { seconds: 3 })
    expect((await fixture.request('GET', p1, { token: jwt })).status).toBe(401)
    const fresh = await issue()
    await fixture.request('DELETE', `${p1}?gracePeriodSeconds=0`)
    expect((await fixture.request('GET', '/api/v1/pods', { token: fresh })).status).toBe(401)
  })
})

describe('§6 discovery and JWKS', () => {
  it('both documents: 200, their content type, Cache-Control public, max-age=3600; jwks_uri', async () => {
    const config = await fixture.request('GET', '/.well-known/openid-configuration')
    expect(config.status).toBe(200)
    expect(config.headers.get('content-type')).toBe('application/json')
    expect(config.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(config.json).toEqual({
      issuer: fixture.kube.issuer,
      jwks_uri: `${fixture.kube.issuer}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    })
    const jwks = await fixture.request('GET', '/openid/v1/jwks')
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(jwks.json.keys).toHaveLength(1)
  })

  it('discoveryRequiresAuth: anonymous 401 when on, 200 when off; requireAuth alone does not open them', async () => {
    await fixture.control('PUT', '/config', { requireAuth: false })
    expect((await fixture.request('GET', '/openid/v1/jwks', { token: null })).status).toBe(401)
    await fixture.control('PUT', '/config', { requireAuth: true, discoveryRequiresAuth: false })
    await enforce()
    expect((await fixture.request('GET', '/openid/v1/jwks', { token: null })).status).toBe(200)
    expect((await fixture.request('GET', '/.well-known/openid-configuration', { token: null })).status).toBe(
      200,
    )
    expect((await fixture.request('GET', p1, { token: null })).status).toBe(401)
  })
})

describe('§7 TokenReview', () => {
  it('without apiVersion/kind, with metadata and status stubs: 201 echoing the request, status an object', async () => {
    const jwt: string = (
      await fixture.request('POST', tokenPath, { body: { spec: { audiences: ['vault-controller'] } } })
    ).json.status.token
    const answer = await fixture.request('POST', tokenReviews, {
      body: { metadata: {}, spec: { token: jwt, audiences: ['vault-controller'] }, status: {} },
    })
    expect(answer.status).toBe(201)
    expect(answer.json).toMatchObject({
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: {},
      spec: { token: jwt, audiences: ['vault-controller'] },
      status: { authenticated: true, audiences: ['vault-controller'] },
    })
    expect(Object.keys(answer.json.status.user.extra).sort()).toEqual([
      'authentication.kubernetes.io/credential-id',
    ])
  })

  it('empty spec.audiences means the API audiences', async () => {
    const apiToken: string = (await fixture.request('POST', tokenPath, { body: { spec: {} } })).json.status
      .token
    const ok = await fixture.request('POST', tokenReviews, { body: { spec: { token: apiToken } } })
    expect(ok.json.status).toMatchObject({ authenticated: true, audiences: [fixture.kube.issuer] })
    const vaultToken: string = (
      await fixture.request('POST', tokenPath, { body: { spec: { audiences: ['vault-controller'] } } })
    ).json.status.token
    const refused = await fixture.request('POST', tokenReviews, { body: { spec: { token: vaultToken } } })
    expect(refused.json.status.authenticated).toBeUndefined()
    expect(refused.json.status.error).toBeTruthy()
  })

  it('a missing or empty token is 400 with the exact text', async () => {
    for (const spec of [{}, { token: '' }]) {
      const answer = await fixture.request('POST', tokenReviews, { body: { spec } })
      expect(answer.status).toBe(400)
      expect(answer.json).toMatchObject({
        reason: 'BadRequest',
        message: 'token is required for TokenReview in authentication',
      })
    }
  })

  it('failure: 201, status {user: {}, error}; no authenticated, no audiences', async () => {
    const answer = await fixture.request('POST', tokenReviews, { body: { spec: { token: 'not-a-jwt' } } })
    expect(answer.status).toBe(201)
    expect(Object.keys(answer.json.status).sort()).toEqual(['error', 'user'])
    expect(answer.json.status.user).toEqual({})
    expect(answer.json.status.error).not.toBe('')
  })

  it('SubjectAccessReview answers allowed from the same RBAC rules', async () => {
    await enforce([{ subjects: [{ user: controllerUser }], verbs: ['get'], resources: ['pods'] }])
    const review = (verb: string) =>
      fixture.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: controllerUser, resourceAttributes: { verb, resource: 'pods', namespace: 'ns1' } },
        },
      })
    const allowed = await review('get')
    expect(allowed.status).toBe(201)
    expect(allowed.json.status.allowed).toBe(true)
    expect((await review('delete')).json.status.allowed).toBe(false)
  })
})

function legacyEvent(name: string, extra: object = {}) {
  return {
    metadata: { name },
    involvedObject: { kind: 'Pod', namespace: 'ns1', name: 'p1', uid: 'u1', apiVersion: 'v1' },
    reason: 'Started',
    message: 'hello',
    type: 'Normal',
    source: { component: 'vault-controller', host: 'h' },
    count: 1,
    ...extra,
  }
}

function newStyleEvent(name: string) {
  return {
    metadata: { name },
    involvedObject: { kind: 'Pod', namespace: 'ns1', name: 'p1' },
    eventTime: '2026-01-01T00:00:00.123000Z',
    reportingComponent: 'vault-controller',
    reportingInstance: 'vc-1',
    action: 'Issue',
    reason: 'Issued',
    type: 'Normal',
  }
}

describe('§8 events', () => {
  it('the server adds uid, resourceVersion, creationTimestamp and the always-present fields, nothing else', async () => {
    const body = { metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', namespace: 'ns1', name: 'p1' } }
    const answer = await fixture.request('POST', events, { body })
    expect(answer.status).toBe(201)
    expect(answer.json).toMatchObject({
      kind: 'Event',
      apiVersion: 'v1',
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
      firstTimestamp: null,
      lastTimestamp: null,
    })
    expect(Object.keys(answer.json.metadata).sort()).toEqual([
      'creationTimestamp',
      'name',
      'namespace',
      'resourceVersion',
      'uid',
    ])
    expect(answer.json.count).toBeUndefined()
    expect(answer.json.source?.component).toBeUndefined()
    expect((await fixture.request('GET', `${events}/e1`)).json).toEqual(answer.json)
  })

  it('legacy validation: involvedObject.namespace must match, empty only in default', async () => {
    const empty = await fixture.request('POST', events, {
      body: legacyEvent('e1', { involvedObject: { kind: 'Node', name: 'worker-2' } }),
    })
    expect(empty.status).toBe(422)
    expect(empty.json.message).toBe(
      'Event "e1" is invalid: involvedObject.namespace: Invalid value: "": does not match event.namespace',
    )
    expect(empty.json.details).toMatchObject({ name: 'e1', kind: 'events' })
    const inDefault = await fixture.request('POST', '/api/v1/namespaces/default/events', {
      body: legacyEvent('e1', { involvedObject: { kind: 'Node', name: 'worker-2' } }),
    })
    expect(inDefault.status).toBe(201)
  })

  it('with eventTime: reportingComponent, reportingInstance, action and reason required; length limits', async () => {
    const {
      reportingComponent: _c,
      reportingInstance: _i,
      action: _a,
      reason: _r,
      ...bare
    } = newStyleEvent('e2')
    const missing = await fixture.request('POST', events, { body: bare })
    expect(missing.status).toBe(422)
    expect(missing.json.message).toBe(
      'Event "e2" is invalid: [reportingComponent: Required value, reportingInstance: Required value, action: Required value, reason: Required value]',
    )
    expect(missing.json.details.causes).toHaveLength(4)
    const long = await fixture.request('POST', events, {
      body: { ...newStyleEvent('e2'), reason: 'r'.repeat(129), message: 'm'.repeat(1025) },
    })
    expect(long.status).toBe(422)
    expect(long.json.details.causes.map((cause: { field: string }) => cause.field)).toEqual([
      'reason',
      'message',
    ])
    const limits = await fixture.request('POST', events, {
      body: { ...newStyleEvent('e2'), reason: 'r'.repeat(128), message: 'm'.repeat(1024) },
    })
    expect(limits.status).toBe(201)
  })

  it('same name twice is 409 AlreadyExists; PATCH and PUT work; DELETE removes at once', async () => {
    expect((await fixture.request('POST', events, { body: legacyEvent('e1') })).status).toBe(201)
    const twice = await fixture.request('POST', events, { body: legacyEvent('e1') })
    expect(twice.json).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'events "e1" already exists',
      details: { name: 'e1', kind: 'events' },
    })
    const patched = await fixture.mergePatch(`${events}/e1`, {
      count: 2,
      lastTimestamp: '2026-01-01T00:01:00Z',
    })
    expect(patched.status).toBe(200)
    expect(patched.json.count).toBe(2)
    const put = await fixture.request('PUT', `${events}/e1`, { body: { ...patched.json, count: 3 } })
    expect(put.status).toBe(200)
    expect(put.json.count).toBe(3)
    expect((await fixture.request('GET', `${events}/e1/status`)).status).toBe(404)
    // no graceful deletion; like kube-apiserver's event registry the answer is a Success Status
    const deleted = await fixture.request('DELETE', `${events}/e1?gracePeriodSeconds=30`)
    expect(deleted.status).toBe(200)
    expect(deleted.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'e1', kind: 'events', uid: put.json.metadata.uid },
    })
    expect((await fixture.request('GET', `${events}/e1`)).status).toBe(404)
  })

  it('event field selectors: every label; others 400', async () => {
    await fixture.request('POST', events, {
      body: legacyEvent('e1', {
        involvedObject: {
          kind: 'Pod',
          namespace: 'ns1',
          name: 'p1',
          uid: 'u1',
          apiVersion: 'v1',
          resourceVersion: '5',
          fieldPath: 'spec.containers{app}',
        },
        reportingComponent: 'rc',
      }),
    })
    await fixture.request('POST', events, { body: legacyEvent('e2', { reason: 'Other', type: 'Warning' }) })
    const names = async (selector: string) => {
      const answer = await fixture.request('GET', `${events}?fieldSelector=${encodeURIComponent(selector)}`)
      expect(answer.status, `${selector}: ${answer.text}`).toBe(200)
      return answer.json.items.map((item: { metadata: { name: string } }) => item.metadata.name).sort()
    }
    expect(await names('involvedObject.kind=Pod')).toEqual(['e1', 'e2'])
    expect(await names('involvedObject.namespace=ns1')).toEqual(['e1', 'e2'])
    expect(await names('involvedObject.name=p1')).toEqual(['e1', 'e2'])
    expect(await names('involvedObject.uid=u1')).toEqual(['e1', 'e2'])
    expect(await names('involvedObject.apiVersion=v1')).toEqual(['e1', 'e2'])
    expect(await names('involvedObject.resourceVersion=5')).toEqual(['e1'])
    expect(await names('involvedObject.fieldPath=spec.containers{app}')).toEqual(['e1'])
    expect(await names('reason=Other')).toEqual(['e2'])
    expect(await names('reportingComponent=rc')).toEqual(['e1'])
    expect(await names('source=vault-controller')).toEqual(['e1', 'e2'])
    expect(await names('type!=Normal')).toEqual(['e2'])
    expect(await names('metadata.name=e1')).toEqual(['e1'])
    expect(await names('metadata.namespace=ns1')).toEqual(['e1', 'e2'])
    const bad = await fixture.request('GET', `${events}?fieldSelector=message%3Dhello`)
    expect(bad.status).toBe(400)
    expect(bad.json.message).toBe('field label not supported: message')
  })
})

describe('§9 leases', () => {
  it('create, get, merge patch, PUT; AlreadyExists and Conflict texts; 404', async () => {
    const body = {
      metadata: { name: 'l' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 },
    }
    const created = await fixture.request('POST', leases, { body })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' })
    const twice = await fixture.request('POST', leases, { body })
    expect(twice.json).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'leases.coordination.k8s.io "l" already exists',
      details: { name: 'l', group: 'coordination.k8s.io', kind: 'leases' },
    })
    const patched = await fixture.mergePatch(`${leases}/l`, {
      spec: { renewTime: '2026-01-01T00:00:00.500000Z' },
    })
    expect(patched.status).toBe(200)
    expect(patched.json.spec.renewTime).toBe('2026-01-01T00:00:00.500000Z')
    const badPatch = await fixture.mergePatch(`${leases}/l`, {
      spec: { renewTime: '2026-01-01T00:00:00.5Z' },
    })
    expect(badPatch.status).toBe(400)
    const stale = await fixture.request('PUT', `${leases}/l`, { body: created.json })
    expect(stale.json).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on leases.coordination.k8s.io "l": the object has been modified; please apply your changes to the latest version and try again',
    })
    const released = await fixture.request('PUT', `${leases}/l`, {
      body: { ...patched.json, spec: { ...patched.json.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
    })
    expect(released.status).toBe(200)
    expect((await fixture.request('GET', `${leases}/l`)).json).toEqual(released.json)
    const list = await fixture.request('GET', leases)
    expect(list.json.kind).toBe('LeaseList')
    expect((await fixture.request('GET', `${leases}/zz`)).json.message).toBe(
      'leases.coordination.k8s.io "zz" not found',
    )
    // leases allow no unconditional update; Go prints the uint64 zero as 0x0
    const { resourceVersion: _rv, ...metadata } = released.json.metadata
    const unconditional = await fixture.request('PUT', `${leases}/l`, {
      body: { ...released.json, metadata },
    })
    expect(unconditional.status).toBe(422)
    expect(unconditional.json.message).toBe(
      'Lease.coordination.k8s.io "l" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    )
    const deleted = await fixture.request('DELETE', `${leases}/l`)
    expect(deleted.json).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'l', group: 'coordination.k8s.io', kind: 'leases' },
    })
    expect((await fixture.request('GET', `${leases}/l`)).status).toBe(404)
  })
})

describe('§11 test-control endpoints', () => {
  it('clock/advance moves every timestamp', async () => {
    const before = fixture.kube.clock.now()
    expect((await fixture.control('POST', '/clock/advance', { seconds: 3600 })).status).toBe(204)
    const created = await createPod(p2Body)
    expect(Date.parse(created.metadata.creationTimestamp)).toBeGreaterThanOrEqual(
      Math.floor(before / 1000) * 1000 + 3_600_000,
    )
    expect((await fixture.control('POST', '/clock/advance', { seconds: -1 })).status).toBe(400)
  })

  it('config: watchHistory bounds the replay; unknown keys and wrong types are 400', async () => {
    await fixture.control('PUT', '/config', { watchHistory: 1 })
    const rv = await listResourceVersion()
    await fixture.mergePatch(p1, { metadata: { labels: { a: '1' } } })
    await fixture.mergePatch(p1, { metadata: { labels: { a: '2' } } })
    const watch = await fixture.watch(`${pods}?watch=true&resourceVersion=${rv}`)
    await watch.ended
    expect(watch.events.map((event) => event.type)).toEqual(['ERROR'])
    expect((await fixture.control('PUT', '/config', { nope: 1 })).status).toBe(400)
    expect((await fixture.control('PUT', '/config', { requireAuth: 'yes' })).status).toBe(400)
    expect((await fixture.control('PUT', '/config', { bookmarkIntervalSeconds: -1 })).status).toBe(400)
  })

  it('identities: static tokens with username, uid and groups', async () => {
    expect(
      (
        await fixture.control('POST', '/identities', {
          token: 'T_x',
          username: 'alice',
          uid: 'u-a',
          groups: ['team'],
        })
      ).status,
    ).toBe(204)
    await enforce([{ subjects: [{ group: 'team' }], verbs: ['get'], resources: ['pods'] }])
    expect((await fixture.request('GET', p1, { token: 'T_x' })).status).toBe(200)
    const review = await fixture.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        spec: { user: 'alice', groups: ['team'], resourceAttributes: { verb: 'get', resource: 'pods' } },
      },
    })
    expect(review.json.status.allowed).toBe(true)
  })

  it('rbac: bad configurations are 400; back to allow-all', async () => {
    expect((await fixture.control('PUT', '/rbac', { mode: 'nope' })).status).toBe(400)
    expect(
      (await fixture.control('PUT', '/rbac', { mode: 'enforce', rules: [{ verbs: ['get'] }] })).status,
    ).toBe(400)
    await enforce()
    expect((await fixture.request('GET', p1, { token: controllerToken })).status).toBe(403)
    await fixture.control('PUT', '/rbac', { mode: 'allow-all' })
    expect((await fixture.request('GET', p1, { token: controllerToken })).status).toBe(200)
  })

  it('nodes: the uid goes into pod-bound token claims', async () => {
    await fixture.control('POST', '/nodes', { name: 'worker-2', uid: 'node-uid-2' })
    const answer = await fixture.request('POST', tokenPath, {
      body: { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1' } } },
    })
    const payload = JSON.parse(Buffer.from(answer.json.status.token.split('.')[1], 'base64url').toString())
    expect(payload['kubernetes.io'].node).toEqual({ name: 'worker-2', uid: 'node-uid-2' })
  })

  it('kubelet: podIP, hostIP, phase, init containers running then succeeded, containers running; one MODIFIED each', async () => {
    const rv = await listResourceVersion()
    const watch = await fixture.watch(`${pods}?watch=true&resourceVersion=${rv}`)
    const kubelet = (body: object) => fixture.control('POST', '/kubelet/ns1/p1', body)
    expect((await kubelet({ podIP: '10.244.1.20', hostIP: '10.0.0.20' })).status).toBe(204)
    let status = (await fixture.request('GET', p1)).json.status
    expect(status).toMatchObject({
      podIP: '10.244.1.20',
      podIPs: [{ ip: '10.244.1.20' }],
      hostIP: '10.0.0.20',
      hostIPs: [{ ip: '10.0.0.20' }],
    })
    await kubelet({ initContainers: 'running' })
    status = (await fixture.request('GET', p1)).json.status
    expect(status.phase).toBe('Pending')
    expect(status.initContainerStatuses[0].state.running).toBeDefined()
    expect(status.containerStatuses[0].state).toEqual({ waiting: { reason: 'PodInitializing' } })
    expect(status.conditions.find((c: { type: string }) => c.type === 'Initialized').status).toBe('False')
    await kubelet({ initContainers: 'succeeded' })
    await kubelet({ containers: 'running' })
    status = (await fixture.request('GET', p1)).json.status
    expect(status.phase).toBe('Running')
    expect(status.containerStatuses[0]).toMatchObject({ ready: true, started: true, restartCount: 0 })
    await kubelet({ phase: 'Failed' })
    expect((await fixture.request('GET', p1)).json.status.phase).toBe('Failed')
    expect((await kubelet({ phase: 'Nope' })).status).toBe(400)
    expect((await fixture.control('POST', '/kubelet/ns1/nope', {})).status).toBe(404)
    await waitFor(() => watch.events.length >= 5)
    expect(watch.events.map((event) => event.type)).toEqual([
      'MODIFIED',
      'MODIFIED',
      'MODIFIED',
      'MODIFIED',
      'MODIFIED',
    ])
  })

  it('watches/drop ends every open watch stream', async () => {
    const watch = await fixture.watch(`${pods}?watch=true`)
    expect((await fixture.control('POST', '/watches/drop')).status).toBe(204)
    await watch.ended
    expect((await fixture.control('GET', '/watches')).json).toEqual({ open: 0 })
  })
})
