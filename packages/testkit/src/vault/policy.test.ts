import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY, PolicyParseError, parsePolicy, RESPONSE_WRAPPING_POLICY } from './policy.ts'

describe('parsePolicy', () => {
  it('reads the HCL and JSON forms of spec §2.2 alike', () => {
    const hcl = parsePolicy(`path "auth/token/create/pod-*" {
  capabilities = ["update"]
  max_wrapping_ttl = "5m"
}`)
    const json = parsePolicy(
      '{"path":{"auth/token/create/pod-*":{"capabilities":["update"],"max_wrapping_ttl":"5m"}}}',
    )
    const expected = {
      rules: [{ path: 'auth/token/create/pod-*', capabilities: ['update'], maxWrappingTtlSeconds: 300 }],
    }
    expect(hcl).toEqual(expected)
    expect(json).toEqual(expected)
  })

  it('reads the conformance fixture policies', () => {
    const ctl = parsePolicy(`
# controller
path "auth/token/create/pod-*" { capabilities = ["update"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
`)
    expect(ctl.rules.map((rule) => rule.path)).toEqual([
      'auth/token/create/pod-*',
      'auth/token/lookup-accessor',
      'auth/token/revoke-accessor',
    ])
    const broker = parsePolicy('path "auth/token/create-orphan" { capabilities = ["create", "update"] }')
    expect(broker.rules).toEqual([{ path: 'auth/token/create-orphan', capabilities: ['create', 'update'] }])
    expect(parsePolicy('path "x/*" {capabilities=["read"]}').rules).toEqual([
      { path: 'x/*', capabilities: ['read'] },
    ])
  })

  it('accepts comments, commas, one-line blocks, repeated paths and numbers', () => {
    const policy = parsePolicy(`
      /* block
         comment */
      path "a" { capabilities = ["read",], max_wrapping_ttl = 300 } // trailing
      path "a" {
        # hash comment
        capabilities = [
          "update", # inside a list
          "read"
        ]
        min_wrapping_ttl = "1m"
        comment = "ignored"
      },
      name = "ignored"
      path "/b/+/c" { capabilities = ["list", "list"] min_wrapping_ttl = 1.9 }
    `)
    expect(policy.rules).toEqual([
      { path: 'a', capabilities: ['read'], maxWrappingTtlSeconds: 300 },
      { path: 'a', capabilities: ['update', 'read'], minWrappingTtlSeconds: 60 },
      { path: 'b/+/c', capabilities: ['list'], minWrappingTtlSeconds: 1 },
    ])
  })

  it('reads deny, old-style policies and parameter constraints', () => {
    const policy = parsePolicy(`
      path "d" { capabilities = ["read", "deny", "bogus"] max_wrapping_ttl = "nonsense" }
      path "w" { policy = "write" }
      path "r" { policy = "read" capabilities = ["sudo"] }
      path "p" {
        capabilities = ["create"]
        allowed_parameters = { "*" = [] "/a/*" = ["x", 1] }
        denied_parameters = { "secret" = [] }
        required_parameters = ["name"]
      }
      path "e" {}
    `)
    expect(policy.rules).toEqual([
      { path: 'd', capabilities: ['deny'] },
      { path: 'w', capabilities: ['create', 'read', 'update', 'delete', 'list'] },
      { path: 'r', capabilities: ['sudo', 'read', 'list'] },
      { path: 'p', capabilities: ['create'] },
      { path: 'e', capabilities: [] },
    ])
  })

  it('reads JSON lists of path objects and keeps negative limits', () => {
    const policy = parsePolicy(`{
      "path": [
        {"a/*": {"capabilities": ["read"], "max_wrapping_ttl": -300}},
        {"b": {"capabilities": ["update"], "min_wrapping_ttl": 60}}
      ]
    }`)
    expect(policy.rules).toEqual([
      { path: 'a/*', capabilities: ['read'], maxWrappingTtlSeconds: -300 },
      { path: 'b', capabilities: ['update'], minWrappingTtlSeconds: 60 },
    ])
  })

  it('reads an empty document', () => {
    expect(parsePolicy('')).toEqual({ rules: [] })
    expect(parsePolicy('# nothing\n')).toEqual({ rules: [] })
    expect(parsePolicy('{}')).toEqual({ rules: [] })
  })

  it.each([
    ['path "x" {', 'At 1:11: object expected closing RBRACE got: EOF'],
    ['path "x" { capabilities = ["read"]', 'At 1:35: object expected closing RBRACE got: EOF'],
    ['path "x" { capabilities = ["read", "bogus"] }', 'path "x": invalid capability "bogus"'],
    ['path "x" { capabilities = ["READ"] }', 'path "x": invalid capability "READ"'],
    ['path "x" { policy = "admin" }', 'path "x": invalid policy "admin"'],
    ['path "a/+*" { capabilities = ["read"] }', `path "a/+*": invalid use of wildcards ('+*' is forbidden)`],
    [
      'foo = 1\nbar "x" { }',
      '2 errors occurred:\n\t* invalid key "foo" on line 1\n\t* invalid key "bar" on line 0\n\n',
    ],
    [
      'path "x" {\n  capabilities = ["read"]\n  max_wrap = "1m"\n}',
      '1 error occurred:\n\t* path "x": invalid key "max_wrap" on line 3\n\n',
    ],
    [
      'path "x" { capabilities = ["read"] min_wrapping_ttl = "5m" max_wrapping_ttl = "1m" }',
      'max_wrapping_ttl cannot be less than min_wrapping_ttl',
    ],
    [
      'path "x" { capabilities = ["read"] max_wrapping_ttl = "abc" }',
      'error parsing max_wrapping_ttl: time: invalid duration "abc"',
    ],
    [
      'path "x" { capabilities = ["read"] min_wrapping_ttl = true }',
      'error parsing min_wrapping_ttl: could not parse duration from input',
    ],
    ['path "x" { capabilities = "read" }', 'path "x": At 1:27: unknown slice type: *ast.LiteralType'],
    [
      'path "x" { capabilities = [true] }',
      'path "x": At 1:28: root.capabilities[0]: unknown type for string *ast.LiteralType',
    ],
    [
      'path "x" { capabilities = ["a"] capabilities = ["b"] }',
      'path "x": At 1:33: duplicate key "capabilities"',
    ],
    ['path "x" = "read"', 'At 1:10: nested object expected: LBRACE got: ASSIGN'],
    ['path = "read"', 'path "path": cannot check HCL keys of type *ast.LiteralType'],
    [
      'path "x" { capabilities = ["read"] allowed_parameters = { "a*" = [] } }',
      'path "x": allowed_parameters: parameter key "a*" cannot contain non-tail wildcards',
    ],
    ['path "x" { capabilities ["read"] }', 'At 1:25: expected: IDENT | STRING | ASSIGN | LBRACE got: LBRACK'],
    [
      'path "x" { capabilities }',
      `At 1:25: key 'capabilities' expected start of object ('{') or assignment ('=')`,
    ],
    [
      'path "x" { capabilities = read }',
      'At 1:27: Unknown token: {Type:IDENT Pos:{Filename: Offset:26 Line:1 Column:27} Text:read JSON:false}',
    ],
    [
      'path "x" { capabilities = ["read" "list"] }',
      'At 1:35: error parsing list, expected comma or list end, got: STRING',
    ],
    ['path "x\n" {}', 'At 1:6: literal not terminated'],
    ['/* open', 'At 1:1: comment not terminated'],
    ['path "x" { capabilities = ["a\\q"] }', 'At 1:30: illegal char escape'],
    ['path "x" @', 'At 1:10: illegal char'],
    ['}', 'At 1:1: expected: IDENT | STRING | ASSIGN | LBRACE got: RBRACE'],
    ['{"path": {"x": {"capabilities": ["read"]}}', 'At 1:43: expected: COMMA got: EOF'],
    ['{"path": {"x": {"capabilities": ["bogus"]}}}', 'path "x": invalid capability "bogus"'],
  ])('%j fails: %j', (text, message) => {
    let caught: unknown
    try {
      parsePolicy(text)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(PolicyParseError)
    expect((caught as Error).message).toBe(message)
  })
})

describe('built-in policies', () => {
  it('default grants what spec §2.4 lists, and nothing of the lookup/revoke endpoints', () => {
    const rules = new Map(parsePolicy(DEFAULT_POLICY).rules.map((rule) => [rule.path, rule.capabilities]))
    expect(rules.get('auth/token/lookup-self')).toEqual(['read'])
    for (const path of [
      'auth/token/renew-self',
      'auth/token/revoke-self',
      'sys/capabilities-self',
      'sys/leases/renew',
      'sys/leases/lookup',
      'sys/renew',
      'sys/wrapping/wrap',
      'sys/wrapping/lookup',
      'sys/wrapping/unwrap',
      'sys/tools/hash',
      'sys/tools/hash/*',
    ]) {
      expect(rules.get(path), path).toEqual(['update'])
    }
    expect(rules.get('cubbyhole/*')).toEqual(['create', 'read', 'update', 'delete', 'list'])
    expect(rules.get('sys/internal/ui/resultant-acl')).toEqual(['read'])
    for (const path of [
      'auth/token/lookup',
      'auth/token/lookup-accessor',
      'auth/token/revoke-accessor',
      'sys/wrapping/rewrap',
    ]) {
      expect(rules.has(path), path).toBe(false)
    }
  })

  it('response-wrapping grants the cubbyhole response and unwrap', () => {
    expect(parsePolicy(RESPONSE_WRAPPING_POLICY).rules).toEqual([
      { path: 'cubbyhole/response', capabilities: ['create', 'read'] },
      { path: 'sys/wrapping/unwrap', capabilities: ['update'] },
    ])
  })
})
