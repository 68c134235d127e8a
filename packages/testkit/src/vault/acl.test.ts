import { describe, expect, it } from 'vitest'
import { Acl, type AclOperation, capabilityFor } from './acl.ts'
import { DEFAULT_POLICY, type ParsedPolicy, parsePolicy, RESPONSE_WRAPPING_POLICY } from './policy.ts'

const SECRET_READ = 'path "secret/*" { capabilities = ["read"] }'

/** The policies of conformance fixture §13.1. */
const FIXTURES = {
  default: parsePolicy(DEFAULT_POLICY),
  p1: parsePolicy(SECRET_READ),
  p2: parsePolicy(SECRET_READ),
  broker: parsePolicy(`
    path "auth/token/create-orphan" { capabilities = ["create", "update"] }
    path "auth/token/lookup-accessor" { capabilities = ["update"] }
    path "auth/token/revoke-accessor" { capabilities = ["update"] }`),
  creator: parsePolicy('path "auth/token/create" { capabilities = ["update"] }'),
  ctl: parsePolicy(`
    path "auth/token/create/pod-*" { capabilities = ["update"] }
    path "auth/token/lookup-accessor" { capabilities = ["update"] }
    path "auth/token/revoke-accessor" { capabilities = ["update"] }`),
} satisfies Record<string, ParsedPolicy>

function acl(...texts: string[]): Acl {
  return new Acl(texts.map(parsePolicy))
}

type Row = [path: string, operation: AclOperation, allowed: boolean, sudo?: boolean]

function expectDecisions(subject: Acl, rows: readonly Row[]): void {
  for (const [path, operation, allowed, sudo = false] of rows) {
    expect(subject.check({ path, operation }), `${operation} ${path}`).toEqual({ allowed, sudo })
  }
}

describe('Acl: conformance fixtures (§13)', () => {
  it('B (broker, default, p1, p2) may create orphans but has no sudo (cases 5, 6, 18)', () => {
    const b = new Acl([FIXTURES.broker, FIXTURES.default, FIXTURES.p1, FIXTURES.p2])
    expectDecisions(b, [
      ['auth/token/create-orphan', 'update', true],
      ['auth/token/lookup-accessor', 'update', true],
      ['auth/token/revoke-accessor', 'update', true],
      ['auth/token/create', 'update', false],
      ['sys/wrapping/wrap', 'update', true],
      ['secret/anything', 'read', true],
    ])
  })

  it('D (default, p1) may not create tokens (case 9)', () => {
    const d = new Acl([FIXTURES.default, FIXTURES.p1])
    expectDecisions(d, [
      ['auth/token/create-orphan', 'update', false],
      ['auth/token/lookup-self', 'read', true],
    ])
  })

  it('P (creator, p1, default) creates children; revoke-orphan without sudo (case 28)', () => {
    const p = new Acl([FIXTURES.creator, FIXTURES.p1, FIXTURES.default])
    expectDecisions(p, [
      ['auth/token/create', 'update', true],
      ['auth/token/create-orphan', 'update', false],
    ])
    const revoker = acl('path "auth/token/revoke-orphan" { capabilities = ["update"] }', DEFAULT_POLICY)
    expectDecisions(revoker, [['auth/token/revoke-orphan', 'update', true, false]])
    expectDecisions(acl(DEFAULT_POLICY), [['auth/token/revoke-orphan', 'update', false]])
  })

  it('C (ctl, default) creates only on pod-* roles, without sudo (cases 32, 40)', () => {
    const c = new Acl([FIXTURES.ctl, FIXTURES.default])
    expectDecisions(c, [
      ['auth/token/create/pod-tokens', 'update', true],
      ['auth/token/create/pod-', 'update', true],
      ['auth/token/create/other', 'update', false],
      ['auth/token/create/pod-tokens', 'create', false],
      ['auth/token/lookup-accessor', 'update', true],
      ['auth/token/create', 'update', false],
    ])
  })

  it('enforces max/min wrapping TTLs and lets root through (case 13)', () => {
    const max = acl('path "auth/token/create-orphan" { capabilities = ["update"] max_wrapping_ttl = "90s" }')
    const check = (subject: Acl, wrapTtlSeconds?: number) =>
      subject.check({
        path: 'auth/token/create-orphan',
        operation: 'update',
        ...(wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds }),
      }).allowed
    expect(check(max, 60)).toBe(true)
    expect(check(max, 90)).toBe(true)
    expect(check(max, 120)).toBe(false)
    expect(check(max)).toBe(false)
    const min = acl('path "auth/token/create-orphan" { capabilities = ["update"] min_wrapping_ttl = "30s" }')
    expect(check(min, 10)).toBe(false)
    expect(check(min)).toBe(false)
    expect(check(min, 30)).toBe(true)
    expect(check(min, 3600)).toBe(true)
    const root = new Acl([], { root: true })
    expect(
      root.check({ path: 'auth/token/create-orphan', operation: 'update', wrapTtlSeconds: 120 }),
    ).toEqual({
      allowed: true,
      sudo: true,
    })
  })
})

describe('Acl: built-in policies', () => {
  it('default allows self-service and wrapping, not lookups of others', () => {
    expectDecisions(acl(DEFAULT_POLICY), [
      ['auth/token/lookup-self', 'read', true],
      ['auth/token/lookup-self', 'update', false],
      ['auth/token/renew-self', 'update', true],
      ['auth/token/revoke-self', 'update', true],
      ['sys/wrapping/unwrap', 'update', true],
      ['sys/wrapping/lookup', 'update', true],
      ['sys/wrapping/rewrap', 'update', false],
      ['auth/token/lookup', 'update', false],
      ['auth/token/lookup-accessor', 'update', false],
      ['cubbyhole/foo', 'list', true],
      ['cubbyhole/a/b', 'delete', true],
      ['sys/tools/hash/sha2-256', 'update', true],
      ['identity/oidc/provider/p/authorize', 'read', true],
      // Templated paths need an entity, which vault-dev tokens do not have.
      ['identity/entity/id/{{identity.entity.id}}', 'read', false],
    ])
  })

  it('response-wrapping reads the cubbyhole response and unwraps', () => {
    expectDecisions(acl(RESPONSE_WRAPPING_POLICY), [
      ['cubbyhole/response', 'read', true],
      ['cubbyhole/response', 'create', true],
      ['cubbyhole/response', 'update', false],
      ['sys/wrapping/unwrap', 'update', true],
      ['sys/wrapping/lookup', 'update', false],
    ])
  })

  it('root allows everything with sudo; no policy allows nothing', () => {
    expect(new Acl([], { root: true }).check({ path: 'sys/seal', operation: 'update' })).toEqual({
      allowed: true,
      sudo: true,
    })
    expect(new Acl([]).check({ path: 'sys/seal', operation: 'update' })).toEqual({
      allowed: false,
      sudo: false,
    })
  })
})

describe('Acl: which rule applies (§2.3)', () => {
  it('uses an exact rule alone, even when a glob grants more', () => {
    const subject = acl(
      'path "secret/foo" { capabilities = ["read"] }',
      'path "secret/*" { capabilities = ["read", "update", "sudo"] }',
    )
    expectDecisions(subject, [
      ['secret/foo', 'read', true],
      ['secret/foo', 'update', false],
      ['secret/bar', 'update', true, true],
    ])
  })

  it('an exact deny beats a glob grant', () => {
    expectDecisions(acl('path "secret/foo" { capabilities = ["deny"] }', SECRET_READ), [
      ['secret/foo', 'read', false],
      ['secret/foo2', 'read', true],
    ])
  })

  it('takes the longest prefix; * matches slashes and nothing', () => {
    const subject = acl(SECRET_READ, 'path "secret/team/*" { capabilities = ["update"] }')
    expectDecisions(subject, [
      ['secret/', 'read', true],
      ['secret/a/b/c', 'read', true],
      ['secret/team/x', 'read', false],
      ['secret/team/x', 'update', true],
      ['secret/team', 'read', true],
      ['secrets', 'read', false],
    ])
  })

  it('a + rule beats a * rule whose star is not later', () => {
    const subject = acl(SECRET_READ, 'path "secret/+/config" { capabilities = ["update"] }')
    expectDecisions(subject, [
      ['secret/a/config', 'update', true],
      ['secret/a/config', 'read', false],
      ['secret/a/other', 'read', true],
    ])
  })

  it('a prefix rule beats a + rule whose wildcard comes earlier', () => {
    const subject = acl(
      'path "secret/a/*" { capabilities = ["read"] }',
      'path "secret/+/b" { capabilities = ["update"] }',
    )
    expectDecisions(subject, [
      ['secret/a/b', 'read', true],
      ['secret/a/b', 'update', false],
      ['secret/c/b', 'update', true],
    ])
  })

  it('with the same first wildcard: no trailing *, then fewer +, then longer', () => {
    expectDecisions(
      acl('path "a/+/c*" { capabilities = ["read"] }', 'path "a/+/c" { capabilities = ["update"] }'),
      [
        ['a/b/c', 'update', true],
        ['a/b/cd', 'read', true],
      ],
    )
    expectDecisions(
      acl('path "a/+/+" { capabilities = ["read"] }', 'path "a/+/c" { capabilities = ["update"] }'),
      [
        ['a/b/c', 'update', true],
        ['a/b/d', 'read', true],
      ],
    )
    expectDecisions(
      acl('path "a/+/c*" { capabilities = ["read"] }', 'path "a/+/cd*" { capabilities = ["update"] }'),
      [
        ['a/b/cde', 'update', true],
        ['a/b/cxx', 'read', true],
      ],
    )
  })

  it('+ matches exactly one segment; a trailing * after + matches the rest', () => {
    expectDecisions(
      acl('path "a/+/c" { capabilities = ["read"] }', 'path "x/+/*" { capabilities = ["read"] }'),
      [
        ['a/b/c', 'read', true],
        ['a/b/x/c', 'read', false],
        ['a/c', 'read', false],
        ['x/y/z/w', 'read', true],
        ['x/y/', 'read', true],
        ['x/y', 'read', false],
      ],
    )
  })

  it('a bare * rule is only a fallback behind matching + rules', () => {
    const subject = acl('path "*" { capabilities = ["read"] }', 'path "a/+" { capabilities = ["update"] }')
    expectDecisions(subject, [
      ['a/b', 'update', true],
      ['a/b', 'read', false],
      ['x/y', 'read', true],
    ])
  })

  it('unites capabilities of the same path string across policies; deny wins', () => {
    expectDecisions(acl('path "x" { capabilities = ["read"] }', 'path "x" { capabilities = ["update"] }'), [
      ['x', 'read', true],
      ['x', 'update', true],
    ])
    for (const order of [
      [SECRET_READ, 'path "secret/*" { capabilities = ["deny"] }'],
      ['path "secret/*" { capabilities = ["deny"] }', 'path "secret/*" { capabilities = ["read", "sudo"] }'],
    ]) {
      expectDecisions(acl(...order), [['secret/x', 'read', false, false]])
    }
    // Same text, different kind of rule: "x" (exact) and "x*" (prefix) are not merged.
    expectDecisions(acl('path "x" { capabilities = ["read"] }', 'path "x*" { capabilities = ["update"] }'), [
      ['x', 'update', false],
      ['xy', 'update', true],
    ])
  })

  it('list requests carry a trailing slash; an exact rule matches with or without it', () => {
    expectDecisions(acl('path "secret/" { capabilities = ["list"] }'), [
      ['secret', 'list', true],
      ['secret/', 'list', true],
    ])
    expectDecisions(acl('path "secret" { capabilities = ["list", "read"] }'), [
      ['secret', 'list', true],
      ['secret/', 'list', true],
      ['secret', 'read', true],
      ['secret/', 'read', false],
    ])
    expectDecisions(acl('path "secret/*" { capabilities = ["list"] }'), [
      ['secret', 'list', true],
      ['secret/a', 'list', true],
    ])
    expectDecisions(acl('path "auth/token/roles/+" { capabilities = ["list"] }'), [
      // The empty last segment of the trailing slash counts as one segment, as in Vault.
      ['auth/token/roles', 'list', true],
    ])
  })

  it('reports sudo of the applying rule whatever the operation', () => {
    const subject = acl('path "auth/token/create/pod-*" { capabilities = ["update", "sudo"] }')
    expectDecisions(subject, [
      ['auth/token/create/pod-tokens', 'update', true, true],
      ['auth/token/create/pod-tokens', 'read', false, true],
      ['auth/token/create/other', 'update', false, false],
    ])
  })
})

describe('Acl: wrapping limits across policies', () => {
  const decide = (subject: Acl, wrapTtlSeconds?: number) =>
    subject.check({
      path: 'x',
      operation: 'update',
      ...(wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds }),
    }).allowed

  it('keeps the smaller max and the smaller min', () => {
    const subject = acl(
      'path "x" { capabilities = ["update"] max_wrapping_ttl = 300 min_wrapping_ttl = 30 }',
      'path "x" { capabilities = ["update"] max_wrapping_ttl = 60 min_wrapping_ttl = 10 }',
    )
    expect(decide(subject, 120)).toBe(false)
    expect(decide(subject, 60)).toBe(true)
    expect(decide(subject, 20)).toBe(true)
    expect(decide(subject, 5)).toBe(false)
    expect(decide(subject)).toBe(false)
  })

  it('denies everything when the merged max is below the merged min', () => {
    const subject = acl(
      'path "x" { capabilities = ["update"] max_wrapping_ttl = 60 }',
      'path "x" { capabilities = ["update"] min_wrapping_ttl = 120 }',
    )
    for (const ttl of [undefined, 30, 60, 90, 120, 600]) expect(decide(subject, ttl), String(ttl)).toBe(false)
  })

  it('ignores non-positive limits like Vault', () => {
    expect(decide(acl('path "x" { capabilities = ["update"] max_wrapping_ttl = "-5m" }'))).toBe(true)
  })

  it('checks the capability before the limits', () => {
    expect(decide(acl('path "x" { capabilities = ["read"] max_wrapping_ttl = 60 }'), 30)).toBe(false)
  })
})

describe('capabilityFor', () => {
  it.each([
    ['read', 'read'],
    ['list', 'list'],
    ['create', 'create'],
    ['update', 'update'],
    ['delete', 'delete'],
    ['patch', 'patch'],
  ] as const)('%s needs %s', (operation, capability) => {
    expect(capabilityFor(operation)).toBe(capability)
  })
})

describe('Acl: memoised lookups', () => {
  it('gives the same answers when asked again, for list and non-list alike', () => {
    const subject = acl(
      'path "secret" { capabilities = ["list"] }',
      'path "secret/*" { capabilities = ["read"] }',
    )
    for (let i = 0; i < 3; i++) {
      expectDecisions(subject, [
        ['secret/', 'list', true],
        ['secret/', 'read', true],
        ['secret', 'read', false],
      ])
    }
    for (let i = 0; i < 3000; i++) subject.check({ path: `secret/${i}`, operation: 'read' })
    expectDecisions(subject, [['secret/', 'list', true]])
  })
})

describe('Acl: a * that is not at the end', () => {
  it('is kept and matched literally, as Vault does', () => {
    const acl = new Acl([parsePolicy('path "a/*/b" { capabilities = ["read"] }')])
    expect(acl.check({ path: 'a/*/b', operation: 'read' }).allowed).toBe(true)
    expect(acl.check({ path: 'a/x/b', operation: 'read' }).allowed).toBe(false)
  })
})
