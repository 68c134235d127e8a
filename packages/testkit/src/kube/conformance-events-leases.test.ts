/**
 * Spec §12 conformance cases 25 (Leases) and 38–41 (Events).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Fixture, startFixture } from './conformance-fixture.ts'

let fixture: Fixture
beforeEach(async () => {
  fixture = await startFixture()
})
afterEach(async () => {
  await fixture.close()
})

const leases = '/apis/coordination.k8s.io/v1/namespaces/ns1/leases'
const events = '/api/v1/namespaces/ns1/events'

function eventBody(involvedNamespace = 'ns1'): Record<string, unknown> {
  return {
    metadata: { name: 'p1.1' },
    involvedObject: {
      kind: 'Pod',
      namespace: involvedNamespace,
      name: 'p1',
      uid: fixture.podUid,
      apiVersion: 'v1',
    },
    reason: 'VaultTokenIssued',
    message: 'issued',
    type: 'Normal',
    source: { component: 'vault-controller' },
    firstTimestamp: '2026-01-01T00:00:00.123Z',
    lastTimestamp: '2026-01-01T00:00:00Z',
    count: 1,
  }
}

describe('Leases (case 25)', () => {
  it('25: create, duplicate, MicroTime precision, RV rules, missing', async () => {
    const body = {
      metadata: { name: 'l' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.123000Z' },
    }
    const created = await fixture.request('POST', leases, { body })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' })
    expect(created.json.spec.renewTime).toBe('2026-01-01T00:00:00.123000Z')
    const duplicate = await fixture.request('POST', leases, { body })
    expect(duplicate.status).toBe(409)
    expect(duplicate.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'leases.coordination.k8s.io "l" already exists',
    })
    const rv = created.json.metadata.resourceVersion
    const millis = await fixture.request('PUT', `${leases}/l`, {
      body: { ...created.json, spec: { ...body.spec, renewTime: '2026-01-01T00:00:01.123Z' } },
    })
    expect(millis.status).toBe(400)
    expect(millis.json.reason).toBe('BadRequest')
    expect(millis.json.message).toMatch(/^Lease in version "v1" cannot be handled as a Lease: /)
    const renewed = await fixture.request('PUT', `${leases}/l`, {
      body: { ...created.json, spec: { ...body.spec, renewTime: '2026-01-01T00:00:01.123000Z' } },
    })
    expect(renewed.status).toBe(200)
    expect(Number(renewed.json.metadata.resourceVersion)).toBeGreaterThan(Number(rv))
    const stale = await fixture.request('PUT', `${leases}/l`, {
      body: { ...created.json, spec: { ...body.spec, holderIdentity: 'b' } },
    })
    expect(stale.status).toBe(409)
    expect(stale.json.message).toBe(
      'Operation cannot be fulfilled on leases.coordination.k8s.io "l": the object has been modified; please apply your changes to the latest version and try again',
    )
    const missing = await fixture.request('GET', `${leases}/zz`)
    expect(missing.status).toBe(404)
    expect(missing.json.message).toBe('leases.coordination.k8s.io "zz" not found')
  })
})

describe('Events (cases 38–41)', () => {
  it('38: create answers the server-added fields and normalised times', async () => {
    const answer = await fixture.request('POST', events, { body: eventBody() })
    expect(answer.status).toBe(201)
    expect(answer.json).toMatchObject({
      kind: 'Event',
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:00Z',
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
      reason: 'VaultTokenIssued',
      message: 'issued',
      type: 'Normal',
      count: 1,
      source: { component: 'vault-controller' },
    })
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp'])
      expect(answer.json.metadata[field]).toBeTruthy()
  })

  it('39: a foreign involvedObject.namespace is 422', async () => {
    const answer = await fixture.request('POST', events, { body: eventBody('ns2') })
    expect(answer.status).toBe(422)
    expect(answer.json.reason).toBe('Invalid')
    expect(answer.json.message).toBe(
      'Event "p1.1" is invalid: involvedObject.namespace: Invalid value: "ns2": does not match event.namespace',
    )
  })

  it('40: field selectors select by involved object; unknown labels are 400', async () => {
    await fixture.request('POST', events, { body: eventBody() })
    const selector = encodeURIComponent(
      `involvedObject.name=p1,involvedObject.namespace=ns1,involvedObject.uid=${fixture.podUid}`,
    )
    const list = await fixture.request('GET', `${events}?fieldSelector=${selector}`)
    expect(list.status).toBe(200)
    expect(list.json.kind).toBe('EventList')
    expect(list.json.items).toHaveLength(1)
    expect(list.json.items[0].kind).toBeUndefined()
    const none = await fixture.request(
      'GET',
      `${events}?fieldSelector=${encodeURIComponent('involvedObject.name=p9')}`,
    )
    expect(none.json.items).toEqual([])
    const bad = await fixture.request('GET', `${events}?fieldSelector=foo%3Dbar`)
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ reason: 'BadRequest', message: 'field label not supported: foo' })
  })

  it('41: an event without a name is 422', async () => {
    const { metadata: _metadata, ...body } = eventBody()
    const answer = await fixture.request('POST', events, { body })
    expect(answer.status).toBe(422)
    expect(answer.json.message).toBe(
      'Event "" is invalid: metadata.name: Required value: name or generateName is required',
    )
  })
})
