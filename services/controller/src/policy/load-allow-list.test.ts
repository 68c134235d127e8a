import { describe, expect, it } from 'vitest'
import { AllowListError, DEFAULT_MOUNT_MAX_TTL_SECONDS, loadAllowList } from './load-allow-list.ts'

/** The example of the design brief and of docs/allow-list.md. */
const EXAMPLE_FILE = `
# vault-controller allow-list. Default deny: a pod whose namespace and service account match no rule gets nothing.
rules:
  - name: shop-web                      # unique; appears in audit lines and errors
    namespaces: ["shop", "shop-*"]
    serviceAccounts: ["web"]
    policies: ["web", "shop-*"]
    ttl:
      default: 1h
      max: 24h
  - name: batch-fixed
    namespaces: ["batch"]
    serviceAccounts: ["*"]
    policies: ["batch-reader"]
    fixedTtl: 24h
    tokenRole: pod-tokens-24h
`

/** The problems of a refused file; fails the test when the file is accepted. */
function problemsOf(yamlText: string, options = {}): readonly string[] {
  try {
    loadAllowList(yamlText, options)
  } catch (error) {
    if (error instanceof AllowListError) return error.problems
    throw error
  }
  throw new Error('the file was accepted')
}

/** A one-rule file with some fields replaced (`undefined` removes a field). */
function oneRule(overrides: Record<string, unknown> = {}): string {
  const rule: Record<string, unknown> = {
    name: 'r',
    namespaces: ['ns'],
    serviceAccounts: ['sa'],
    policies: ['p'],
    ttl: { default: '1h', max: '2h' },
    ...overrides,
  }
  for (const [key, value] of Object.entries(rule)) if (value === undefined) delete rule[key]
  return JSON.stringify({ rules: [rule] }) // JSON is YAML
}

describe('loadAllowList: good files', () => {
  it('compiles the example', () => {
    const allowList = loadAllowList(EXAMPLE_FILE)
    expect(allowList.mountMaxTtlSeconds).toBe(DEFAULT_MOUNT_MAX_TTL_SECONDS)
    expect(JSON.parse(JSON.stringify(allowList.rules))).toEqual([
      {
        index: 0,
        name: 'shop-web',
        namespaces: ['shop', 'shop-*'],
        serviceAccounts: ['web'],
        policies: ['web', 'shop-*'],
        ttl: { kind: 'per-token', defaultSeconds: 3600, maxSeconds: 86_400 },
      },
      {
        index: 1,
        name: 'batch-fixed',
        namespaces: ['batch'],
        serviceAccounts: ['*'],
        policies: ['batch-reader'],
        ttl: { kind: 'fixed', seconds: 86_400 },
        tokenRole: 'pod-tokens-24h',
      },
    ])
  })

  it('finds the first matching rule and only that one', () => {
    const allowList = loadAllowList(EXAMPLE_FILE)
    expect(allowList.findRule('shop', 'web')?.name).toBe('shop-web')
    expect(allowList.findRule('shop-eu', 'web')?.name).toBe('shop-web')
    expect(allowList.findRule('shop', 'api')).toBeUndefined()
    expect(allowList.findRule('shopping', 'web')).toBeUndefined()
    expect(allowList.findRule('batch', 'anything')?.name).toBe('batch-fixed')
    expect(allowList.findRule('', 'web')).toBeUndefined()
    expect(allowList.findRule('batch', '')).toBeUndefined()
  })

  it.each([
    ['an empty file', ''],
    ['only whitespace', '  \n\n'],
    ['only comments', '# nothing allowed yet\n'],
    ['an empty list of rules', 'rules: []\n'],
  ])('accepts %s as "no rules": everything is denied', (_, text) => {
    const allowList = loadAllowList(text)
    expect(allowList.rules).toEqual([])
    expect(allowList.findRule('any', 'any')).toBeUndefined()
  })

  it.each([
    [{ ttl: { default: 3600, max: 7200 } }, { kind: 'per-token', defaultSeconds: 3600, maxSeconds: 7200 }],
    [
      { ttl: { default: '30m', max: '2d' } },
      { kind: 'per-token', defaultSeconds: 1800, maxSeconds: 172_800 },
    ],
    [
      { ttl: { default: '768h', max: '768h' } },
      { kind: 'per-token', defaultSeconds: 2_764_800, maxSeconds: 2_764_800 },
    ],
    [
      { ttl: undefined, fixedTtl: 600, tokenRole: 'r' },
      { kind: 'fixed', seconds: 600 },
    ],
  ])('reads durations %j', (overrides, ttl) => {
    expect(loadAllowList(oneRule(overrides)).rules[0]?.ttl).toEqual(ttl)
  })

  it('accepts tokenRole together with ttl (per-token period through another role)', () => {
    const rule = loadAllowList(oneRule({ tokenRole: 'pod-tokens.v2_x' })).rules[0]
    expect(rule?.tokenRole).toBe('pod-tokens.v2_x')
    expect(rule?.ttl.kind).toBe('per-token')
  })

  it('accepts "default" and policy globs that cannot match root', () => {
    const rule = loadAllowList(
      oneRule({ policies: ['default', 'team/*', 'reader-*', '*-ro', 'ro', 'rooted', 'x.y_z'] }),
    ).rules[0]
    expect(rule?.allowsPolicy('team/app')).toBe(true)
    expect(rule?.allowsPolicy('root')).toBe(false)
  })

  it('takes a configurable mount max TTL', () => {
    expect(
      loadAllowList(oneRule({ ttl: { default: '1h', max: '1000h' } }), { mountMaxTtlSeconds: 1000 * 3600 })
        .rules,
    ).toHaveLength(1)
    expect(problemsOf(oneRule({ ttl: { default: '1h', max: '2h' } }), { mountMaxTtlSeconds: 3600 })).toEqual([
      "rules[0] (r): ttl.max: 2h is above Vault's max TTL for tokens (1h); Vault would cap it silently",
    ])
    expect(() => loadAllowList('', { mountMaxTtlSeconds: 0 })).toThrow(RangeError)
  })

  it('freezes what it returns', () => {
    const allowList = loadAllowList(EXAMPLE_FILE)
    expect(Object.isFrozen(allowList)).toBe(true)
    expect(Object.isFrozen(allowList.rules)).toBe(true)
    expect(Object.isFrozen(allowList.rules[0])).toBe(true)
    expect(Object.isFrozen(allowList.rules[0]?.policies)).toBe(true)
  })
})

describe('loadAllowList: bad files', () => {
  it.each([
    // YAML syntax, with line numbers
    [
      'duplicate keys',
      'rules:\n  - name: a\n    name: b\n',
      ['YAML line 3, column 5: Map keys must be unique'],
    ],
    [
      'an unclosed flow sequence',
      'rules:\n  - name: a\n    namespaces: [a\n',
      [
        'YAML line 4, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
    [
      'bad indentation',
      'rules:\n  - name: a\n   namespaces: [a]\n',
      [expect.stringMatching(/^YAML line 3, column \d+: /)],
    ],
    [
      'two documents',
      'rules: []\n---\nrules: []\n',
      ['YAML line 2, column 1: the file must hold a single YAML document (found a "---" separator)'],
    ],
    // Top level
    ['a list at the top', '- name: a\n', ['top level: must be a mapping with a "rules" list']],
    ['a scalar at the top', 'hello\n', ['top level: must be a mapping with a "rules" list']],
    ['rules not a list', 'rules: {}\n', ['top level: rules: must be a list']],
    ['rules empty', 'rules:\n', ['top level: rules: must be a list']],
    [
      'a misspelt key',
      'rule: []\n',
      ['top level: missing required field "rules"', 'top level: unknown field "rule"'],
    ],
    // Structure of a rule
    ['a rule that is not a mapping', 'rules: [7]\n', ['rules[0]: must be a mapping']],
    ['an unknown key in a rule', oneRule({ extra: 1 }), ['rules[0] (r): unknown field "extra"']],
    [
      'an unknown key in ttl',
      oneRule({ ttl: { default: '1h', max: '2h', min: '1m' } }),
      ['rules[0] (r): ttl: unknown field "min"'],
    ],
    ['a missing name', oneRule({ name: undefined }), ['rules[0]: missing required field "name"']],
    [
      'missing globs',
      oneRule({ namespaces: undefined, serviceAccounts: undefined, policies: undefined }),
      [
        'rules[0] (r): missing required field "namespaces"',
        'rules[0] (r): missing required field "serviceAccounts"',
        'rules[0] (r): missing required field "policies"',
      ],
    ],
    ['an empty glob list', oneRule({ policies: [] }), ['rules[0] (r): policies: must not be empty']],
    [
      'a glob list that is a string',
      oneRule({ namespaces: 'ns' }),
      ['rules[0] (r): namespaces: must be a list'],
    ],
    [
      'a glob that is a number',
      oneRule({ serviceAccounts: [1] }),
      ['rules[0] (r): serviceAccounts[0]: must be a string'],
    ],
    [
      'a missing ttl.max',
      oneRule({ ttl: { default: '1h' } }),
      ['rules[0] (r): ttl: missing required field "max"'],
    ],
    [
      'a duration of the wrong type',
      oneRule({ ttl: { default: 1.5, max: true } }),
      [
        'rules[0] (r): ttl.default: must be a duration such as "1h" or "90s", or a whole number of seconds',
        'rules[0] (r): ttl.max: must be a duration such as "1h" or "90s", or a whole number of seconds',
      ],
    ],
    // Meaning of a rule
    [
      'ttl and fixedTtl together',
      oneRule({ fixedTtl: '24h', tokenRole: 'r24' }),
      ['rules[0] (r): ttl and fixedTtl are mutually exclusive'],
    ],
    [
      'neither ttl nor fixedTtl',
      oneRule({ ttl: undefined }),
      [
        "rules[0] (r): needs either ttl {default, max} (per-token period) or fixedTtl with tokenRole (the role's own period)",
      ],
    ],
    [
      'fixedTtl without tokenRole',
      oneRule({ ttl: undefined, fixedTtl: '24h' }),
      ['rules[0] (r): fixedTtl needs tokenRole: the Vault token role whose token_period is that period'],
    ],
    [
      'default above max',
      oneRule({ ttl: { default: '48h', max: '24h' } }),
      ['rules[0] (r): ttl.default (48h) is above ttl.max (24h)'],
    ],
    [
      'a duration above the mount max',
      oneRule({ ttl: { default: '1h', max: '769h' } }),
      ["rules[0] (r): ttl.max: 769h is above Vault's max TTL for tokens (768h); Vault would cap it silently"],
    ],
    [
      'bad durations',
      oneRule({ ttl: { default: '0s', max: '1w' } }),
      [
        'rules[0] (r): ttl.default: invalid duration "0s": must be greater than zero',
        'rules[0] (r): ttl.max: invalid duration "1w": unknown unit "w" (Vault knows ns, us, ms, s, m, h)',
      ],
    ],
    [
      'a zero or negative number of seconds',
      oneRule({ ttl: { default: 0, max: -5 } }),
      [
        'rules[0] (r): ttl.default: 0 is not a positive whole number of seconds',
        'rules[0] (r): ttl.max: -5 is not a positive whole number of seconds',
      ],
    ],
    [
      'a sub-second fixedTtl',
      oneRule({ ttl: undefined, fixedTtl: '500ms', tokenRole: 'x' }),
      ['rules[0] (r): fixedTtl: invalid duration "500ms": shorter than one second'],
    ],
    [
      'a bad rule name',
      oneRule({ name: 'has space' }),
      [
        'rules[0] (has space): name: must be 1 to 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
      ],
    ],
    [
      'an empty rule name',
      oneRule({ name: '' }),
      [
        'rules[0]: name: must be 1 to 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
      ],
    ],
    [
      'a bad token role',
      oneRule({ tokenRole: 'pod-tokens-' }),
      [
        'rules[0] (r): tokenRole: "pod-tokens-" is not a valid Vault token role name (letters, digits, "_", "-", ".", starting and ending with a letter, digit or "_")',
      ],
    ],
    ['an empty glob', oneRule({ namespaces: [''] }), ['rules[0] (r): namespaces[0]: must not be empty']],
    [
      'an uppercase namespace glob',
      oneRule({ namespaces: ['ok', 'Shop-*'] }),
      [
        'rules[0] (r): namespaces[1]: "Shop-*" has characters no name can contain; use lowercase letters, digits, "-" and "*" (names are lowercase: write "shop-*")',
      ],
    ],
    [
      'a namespace glob with a dot',
      oneRule({ namespaces: ['a.b'] }),
      [
        'rules[0] (r): namespaces[0]: "a.b" has characters no name can contain; use lowercase letters, digits, "-" and "*"',
      ],
    ],
    [
      'a regex in a service-account glob',
      oneRule({ serviceAccounts: ['web|api', '.+'] }),
      [
        'rules[0] (r): serviceAccounts[0]: "web|api" has characters no name can contain; use lowercase letters, digits, "-", "." and "*"',
        'rules[0] (r): serviceAccounts[1]: ".+" has characters no name can contain; use lowercase letters, digits, "-", "." and "*"',
      ],
    ],
    [
      'an uppercase policy glob',
      oneRule({ policies: ['Web'] }),
      [
        'rules[0] (r): policies[0]: "Web" has characters no name can contain; use lowercase letters, digits, "_", "-", ".", "/" and "*" (names are lowercase: write "web")',
      ],
    ],
    [
      'response-wrapping as a policy',
      oneRule({ policies: ['response-wrapping'] }),
      [
        'rules[0] (r): policies[0]: "response-wrapping" cannot be granted: Vault reserves it for wrapping tokens',
      ],
    ],
    [
      'policy globs that could match root',
      oneRule({ policies: ['web', '*', 'r*', '*t', 'ro*t', 'root', '**'] }),
      ['*', 'r*', '*t', 'ro*t', 'root', '**'].map(
        (glob, i) =>
          `rules[0] (r): policies[${i + 1}]: ${JSON.stringify(glob)} would match "root", which is never grantable; list the policies or narrower globs (e.g. "team-*") instead`,
      ),
    ],
  ])('refuses %s', (_, text, problems) => {
    expect(problemsOf(text)).toEqual(problems)
  })

  it('refuses duplicate names', () => {
    const text = `rules:
  - { name: a, namespaces: [x], serviceAccounts: [y], policies: [p], ttl: { default: 1h, max: 1h } }
  - { name: b, namespaces: [x2], serviceAccounts: [y], policies: [p], ttl: { default: 1h, max: 1h } }
  - { name: a, namespaces: [x3], serviceAccounts: [y], policies: [p], ttl: { default: 1h, max: 1h } }
`
    expect(problemsOf(text)).toEqual(['rules[2] (a): name "a" is already used by rules[0]'])
  })

  it.each([
    [['*'], ['*'], ['anything'], ['anything'], true],
    [['shop-*'], ['*'], ['shop-eu'], ['web'], true],
    [['shop*'], ['web'], ['shop-*', 'shop'], ['web'], true],
    [['shop', 'shop-*'], ['web', 'api'], ['shop-eu'], ['api'], true],
    [['shop-*'], ['web'], ['shop'], ['web'], false],
    [['shop-*'], ['web'], ['shop-eu'], ['api'], false],
    [['*'], ['web'], ['shop'], ['*'], false],
  ])(
    'refuses a rule that can never apply: earlier %j/%j, later %j/%j → %s',
    (ns1, sa1, ns2, sa2, shadowed) => {
      const text = JSON.stringify({
        rules: [
          {
            name: 'first',
            namespaces: ns1,
            serviceAccounts: sa1,
            policies: ['p'],
            ttl: { default: '1h', max: '1h' },
          },
          {
            name: 'second',
            namespaces: ns2,
            serviceAccounts: sa2,
            policies: ['q'],
            ttl: { default: '1h', max: '1h' },
          },
        ],
      })
      if (shadowed) {
        expect(problemsOf(text)).toEqual([
          'rules[1] (second): can never apply: rules[0] (first) comes first and matches every namespace and service account this rule matches (the first matching rule decides)',
        ])
      } else {
        expect(loadAllowList(text).rules).toHaveLength(2)
      }
    },
  )

  it('lists every problem of every rule at once, in file order', () => {
    const text = `rules:
  - name: shop-web
    namespaces: ["shop", "Shop-*"]
    serviceAccounts: []
    policies: ["web", "*"]
    ttl: { default: 48h, max: 24h }
    extra: 1
  - name: fine
    namespaces: ["fine"]
    serviceAccounts: ["*"]
    policies: ["fine"]
    ttl: { default: 1h, max: 1h }
  - name: batch-fixed
    namespaces: ["batch"]
    serviceAccounts: ["*"]
    policies: ["batch-reader"]
    ttl: { default: 1h, max: 800h }
    fixedTtl: 24h
    tokenRole: "bad role"
  - name: shop-web
    namespaces: [other]
    serviceAccounts: [x]
    policies: [a]
    fixedTtl: 1w
rule: 1
`
    expect(problemsOf(text)).toEqual([
      'top level: unknown field "rule"',
      'rules[0] (shop-web): unknown field "extra"',
      'rules[0] (shop-web): serviceAccounts: must not be empty',
      'rules[0] (shop-web): namespaces[1]: "Shop-*" has characters no name can contain; use lowercase letters, digits, "-" and "*" (names are lowercase: write "shop-*")',
      'rules[0] (shop-web): policies[1]: "*" would match "root", which is never grantable; list the policies or narrower globs (e.g. "team-*") instead',
      'rules[0] (shop-web): ttl.default (48h) is above ttl.max (24h)',
      'rules[2] (batch-fixed): ttl and fixedTtl are mutually exclusive',
      "rules[2] (batch-fixed): ttl.max: 800h is above Vault's max TTL for tokens (768h); Vault would cap it silently",
      'rules[2] (batch-fixed): tokenRole: "bad role" is not a valid Vault token role name (letters, digits, "_", "-", ".", starting and ending with a letter, digit or "_")',
      'rules[3] (shop-web): name "shop-web" is already used by rules[0]',
      'rules[3] (shop-web): fixedTtl needs tokenRole: the Vault token role whose token_period is that period',
      'rules[3] (shop-web): fixedTtl: invalid duration "1w": unknown unit "w" (Vault knows ns, us, ms, s, m, h)',
    ])
  })

  it('puts every problem into the message too', () => {
    let error: unknown
    try {
      loadAllowList(oneRule({ ttl: undefined, policies: ['*'] }))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AllowListError)
    expect((error as Error).message).toBe(
      'invalid allow-list (2 problems):\n' +
        '  - rules[0] (r): policies[0]: "*" would match "root", which is never grantable; list the policies or narrower globs (e.g. "team-*") instead\n' +
        "  - rules[0] (r): needs either ttl {default, max} (per-token period) or fixedTtl with tokenRole (the role's own period)",
    )
  })

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
rules: [*e]
`
    expect(problemsOf(bomb)).toEqual([expect.stringMatching(/^YAML: .*alias/i)])
  })
})
