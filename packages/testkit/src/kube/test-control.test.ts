/**
 * The test-control API beyond the conformance cases: faults and stats per the common rules,
 * config validation, identities.
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

describe('/__testkit', () => {
  it('faults: a status fault without body answers a Status; faults never touch /__testkit', async () => {
    const added = await fixture.control('POST', '/faults', {
      pathPrefix: '/api/v1/pods',
      status: 503,
      times: 1,
    })
    expect(added.status).toBe(201)
    expect(added.json).toEqual({ id: expect.any(Number) })
    const failed = await fixture.request('GET', '/api/v1/pods')
    expect(failed.status).toBe(503)
    expect(failed.json).toMatchObject({ kind: 'Status', code: 503, reason: 'ServiceUnavailable' })
    expect((await fixture.request('GET', '/api/v1/pods')).status).toBe(200)
    expect((await fixture.control('POST', '/faults', { status: 99 })).status).toBe(400)
    await fixture.control('POST', '/faults', { status: 500 })
    expect((await fixture.control('GET', '/faults')).json).toHaveLength(1)
    expect((await fixture.control('GET', '/stats')).status).toBe(200)
    expect((await fixture.control('DELETE', '/faults')).status).toBe(204)
    expect((await fixture.control('DELETE', '/faults/999')).status).toBe(404)
  })

  it('stats count API requests by route and reset', async () => {
    await fixture.control('POST', '/stats/reset')
    await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p1')
    await fixture.request('GET', '/api/v1/namespaces/ns1/pods/p1')
    const snapshot = (await fixture.control('GET', '/stats')).json
    expect(snapshot).toEqual({ total: 2, byRoute: { 'GET /api/v1/namespaces/:namespace/pods/:name': 2 } })
  })

  it('config and identities are validated', async () => {
    expect((await fixture.control('PUT', '/config', { watchHistory: -1 })).status).toBe(400)
    expect((await fixture.control('PUT', '/config', { nope: true })).status).toBe(400)
    expect((await fixture.control('POST', '/identities', { token: 't' })).status).toBe(400)
    expect((await fixture.control('POST', '/identities', { token: 't', username: 'alice' })).status).toBe(204)
    expect((await fixture.request('GET', '/api/v1/pods', { token: 't' })).status).toBe(200)
    expect((await fixture.control('GET', '/nope')).status).toBe(404)
  })

  it('requireAuth false lets anonymous requests through in allow-all mode', async () => {
    await fixture.control('PUT', '/config', { requireAuth: false })
    expect((await fixture.request('GET', '/api/v1/pods', { token: null })).status).toBe(200)
    expect((await fixture.request('GET', '/api/v1/pods', { token: 'wrong' })).status).toBe(401)
  })
})
