import { describe, expect, it } from 'vitest'
import { FaultInjector, FaultSpecError, RequestStats } from './faults.ts'

describe('FaultInjector', () => {
  it('matches by method and path prefix, for the next N calls only', () => {
    const faults = new FaultInjector()
    faults.add({ method: 'post', pathPrefix: '/v1/auth/token/create', status: 503, times: 2 })
    expect(faults.match('GET', '/v1/auth/token/create/x')).toBeUndefined()
    expect(faults.match('POST', '/v1/sys/health')).toBeUndefined()
    expect(faults.match('POST', '/v1/auth/token/create/x')).toEqual({
      latencyMs: 0,
      drop: false,
      status: 503,
    })
    expect(faults.match('POST', '/v1/auth/token/create')).toMatchObject({ status: 503 })
    expect(faults.match('POST', '/v1/auth/token/create')).toBeUndefined()
    expect(faults.list()).toEqual([])
  })

  it('applies a fraction of the time using the given random source', () => {
    const draws = [0.1, 0.9, 0.4]
    const faults = new FaultInjector(() => draws.shift() ?? 0)
    faults.add({ latencyMs: 5, fraction: 0.5 })
    expect(faults.match('GET', '/a')).toEqual({ latencyMs: 5, drop: false })
    expect(faults.match('GET', '/a')).toBeUndefined()
    expect(faults.match('GET', '/a')).toEqual({ latencyMs: 5, drop: false })
  })

  it('matches a path regex and can be removed by id', () => {
    const faults = new FaultInjector()
    const id = faults.add({ pathRegex: '^/api/v1/namespaces/[^/]+/pods$', drop: true })
    expect(faults.match('GET', '/api/v1/namespaces/ns1/pods')).toMatchObject({ drop: true })
    expect(faults.match('GET', '/api/v1/namespaces/ns1/pods/p1')).toBeUndefined()
    expect(faults.remove(id)).toBe(true)
    expect(faults.match('GET', '/api/v1/namespaces/ns1/pods')).toBeUndefined()
  })

  it.each([
    [{ status: 99 }, /status/],
    [{ latencyMs: -1 }, /latencyMs/],
    [{ status: 500, times: 0 }, /times/],
    [{ status: 500, fraction: 0 }, /fraction/],
    [{ pathRegex: '(', status: 500 }, /pathRegex/],
    [{ pathPrefix: '/x' }, /at least one/],
  ])('rejects %j', (spec, message) => {
    expect(() => new FaultInjector().add(spec)).toThrow(FaultSpecError)
    expect(() => new FaultInjector().add(spec)).toThrow(message)
  })
})

describe('RequestStats', () => {
  it('counts by method and route', () => {
    const stats = new RequestStats()
    stats.record('post', '/v1/auth/token/create/:role')
    stats.record('POST', '/v1/auth/token/create/:role')
    stats.record('GET', '/v1/sys/health')
    expect(stats.snapshot()).toEqual({
      total: 3,
      byRoute: { 'GET /v1/sys/health': 1, 'POST /v1/auth/token/create/:role': 2 },
    })
    stats.reset()
    expect(stats.snapshot().total).toBe(0)
  })
})
