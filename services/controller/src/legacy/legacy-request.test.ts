import { describe, expect, it } from 'vitest'
import { readLegacyRequest } from './legacy-request.ts'

const parts = (url: string, extra: { method?: string; contentType?: string; body?: string } = {}) => ({
  method: extra.method ?? 'POST',
  url,
  contentType: extra.contentType,
  body: extra.body ?? '',
})

describe('readLegacyRequest (Go FormValue semantics)', () => {
  it('reads name and namespace from the query', () => {
    expect(readLegacyRequest(parts('/token?name=web-1&namespace=shop'))).toEqual({
      ok: true,
      namespace: 'shop',
      name: 'web-1',
    })
  })

  it('defaults the namespace to "default" when absent or empty', () => {
    expect(readLegacyRequest(parts('/token?name=web-1'))).toMatchObject({ namespace: 'default' })
    expect(readLegacyRequest(parts('/token?name=web-1&namespace='))).toMatchObject({ namespace: 'default' })
  })

  it.each(['/token', '/token?name=', '/token?namespace=shop'])('%s: missing or empty name', (url) => {
    expect(readLegacyRequest(parts(url))).toEqual({ ok: false, problem: 'missing-name' })
  })

  it('accepts any method (the query is read for GET too)', () => {
    expect(readLegacyRequest(parts('/token?name=a', { method: 'GET' }))).toMatchObject({
      ok: true,
      name: 'a',
    })
  })

  it('prefers a form body over the query for POST, PUT and PATCH', () => {
    for (const method of ['POST', 'PUT', 'PATCH']) {
      expect(
        readLegacyRequest(
          parts('/token?name=from-query&namespace=q', {
            method,
            contentType: 'application/x-www-form-urlencoded; charset=utf-8',
            body: 'name=from-body',
          }),
        ),
      ).toEqual({ ok: true, name: 'from-body', namespace: 'q' })
    }
  })

  it('ignores the body for other methods and other content types', () => {
    const form = { contentType: 'application/x-www-form-urlencoded', body: 'name=from-body' }
    expect(readLegacyRequest(parts('/token?name=q', { ...form, method: 'GET' }))).toMatchObject({ name: 'q' })
    expect(
      readLegacyRequest(parts('/token?name=q', { contentType: 'application/json', body: 'name=x' })),
    ).toMatchObject({ name: 'q' })
    expect(readLegacyRequest(parts('/token?name=q', { contentType: '', body: '' }))).toMatchObject({
      name: 'q',
    })
  })

  it.each([
    ['/token?name=../../secrets', 'name'],
    ['/token?name=Web', 'name'],
    ['/token?name=web&namespace=a.b', 'namespace'],
    ['/token?name=web&namespace=kube%2Fsystem', 'namespace'],
  ])('%s: refuses a value that is not a Kubernetes name (%s)', (url, which) => {
    const reading = readLegacyRequest(parts(url))
    expect(reading).toMatchObject({ ok: false, problem: 'invalid' })
    expect(reading.ok === false && reading.problem === 'invalid' && reading.message).toContain(which)
  })
})
