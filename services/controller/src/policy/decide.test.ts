import { describe, expect, it } from 'vitest'
import { DENIAL_REASONS, type Decision, decide, type PodRequestFacts } from './decide.ts'
import { compileGlob } from './glob.ts'
import { loadAllowList } from './load-allow-list.ts'

const allowList = loadAllowList(`
rules:
  - name: shop-web
    namespaces: ["shop", "shop-*"]
    serviceAccounts: ["web"]
    policies: ["web", "shop-*", "db.read", "team/app"]
    ttl: { default: 1h, max: 24h }
  - name: shop-other
    namespaces: ["shop"]
    serviceAccounts: ["*"]
    policies: ["common"]
    ttl: { default: 30m, max: 1h }
  - name: batch-fixed
    namespaces: ["batch"]
    serviceAccounts: ["*"]
    policies: ["batch-reader"]
    fixedTtl: 24h
    tokenRole: pod-tokens-24h
  - name: mid-glob
    namespaces: ["team-*-prod"]
    serviceAccounts: ["svc-*"]
    policies: ["team-*-read"]
    ttl: { default: 2h, max: 2h }
    tokenRole: prod-tokens
`)

function facts(
  namespace: string,
  serviceAccount: string,
  annotations: Record<string, string | undefined>,
): PodRequestFacts {
  return { namespace, serviceAccount, annotations }
}
const policies = (value: string | undefined, ttl?: string) => ({
  'vaultproject.io/policies': value,
  ...(ttl === undefined ? {} : { 'vaultproject.io/ttl': ttl }),
})

describe('decide: allowed', () => {
  it.each<[string, PodRequestFacts, Decision]>([
    [
      'a subset, rule default TTL',
      facts('shop', 'web', policies('web')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['web'],
        ttlSeconds: 3600,
        period: { kind: 'per-token', seconds: 3600 },
      },
    ],
    [
      'every allowed policy, normalised and sorted',
      facts('shop-eu', 'web', policies(' Shop-Cart ,WEB,web,, shop-x')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['shop-cart', 'shop-x', 'web'],
        ttlSeconds: 3600,
        period: { kind: 'per-token', seconds: 3600 },
      },
    ],
    [
      'default is not counted against the rule and is kept only when asked for',
      facts('shop', 'web', policies('default,web')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['default', 'web'],
        ttlSeconds: 3600,
        period: { kind: 'per-token', seconds: 3600 },
      },
    ],
    [
      'only default',
      facts('shop', 'web', policies('default')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['default'],
        ttlSeconds: 3600,
        period: { kind: 'per-token', seconds: 3600 },
      },
    ],
    [
      'names with "." and "/"',
      facts('shop', 'web', policies('db.read,team/app')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['db.read', 'team/app'],
        ttlSeconds: 3600,
        period: { kind: 'per-token', seconds: 3600 },
      },
    ],
    [
      'a TTL below the max',
      facts('shop', 'web', policies('web', '90m')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['web'],
        ttlSeconds: 5400,
        period: { kind: 'per-token', seconds: 5400 },
      },
    ],
    [
      'a TTL equal to the max',
      facts('shop', 'web', policies('web', '24h')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['web'],
        ttlSeconds: 86_400,
        period: { kind: 'per-token', seconds: 86_400 },
      },
    ],
    [
      'a bare number of seconds (not milliseconds)',
      facts('shop', 'web', policies('web', '10')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['web'],
        ttlSeconds: 10,
        period: { kind: 'per-token', seconds: 10 },
      },
    ],
    [
      'a day suffix',
      facts('shop', 'web', policies('web', '1d')),
      {
        allowed: true,
        rule: 'shop-web',
        policies: ['web'],
        ttlSeconds: 86_400,
        period: { kind: 'per-token', seconds: 86_400 },
      },
    ],
    [
      'the first rule that matches the identity decides',
      facts('shop', 'api', policies('common')),
      {
        allowed: true,
        rule: 'shop-other',
        policies: ['common'],
        ttlSeconds: 1800,
        period: { kind: 'per-token', seconds: 1800 },
      },
    ],
    [
      'a fixed rule without a TTL annotation',
      facts('batch', 'job', policies('batch-reader')),
      {
        allowed: true,
        rule: 'batch-fixed',
        policies: ['batch-reader'],
        ttlSeconds: 86_400,
        period: { kind: 'role', seconds: 86_400 },
        tokenRole: 'pod-tokens-24h',
      },
    ],
    [
      'a fixed rule asked for exactly its period, spelt differently',
      facts('batch', 'job', policies('batch-reader', '1440m')),
      {
        allowed: true,
        rule: 'batch-fixed',
        policies: ['batch-reader'],
        ttlSeconds: 86_400,
        period: { kind: 'role', seconds: 86_400 },
        tokenRole: 'pod-tokens-24h',
      },
    ],
    [
      'a per-token rule with its own role, globs with * in the middle',
      facts('team-a-prod', 'svc-api', policies('team-a-read,team-b-read')),
      {
        allowed: true,
        rule: 'mid-glob',
        policies: ['team-a-read', 'team-b-read'],
        ttlSeconds: 7200,
        period: { kind: 'per-token', seconds: 7200 },
        tokenRole: 'prod-tokens',
      },
    ],
  ])('%s', (_, request, expected) => {
    expect(decide(allowList, request)).toEqual(expected)
  })
})

describe('decide: denied', () => {
  it.each<[string, PodRequestFacts, Omit<Extract<Decision, { allowed: false }>, 'allowed'>]>([
    // Identity
    [
      'no rule for the namespace',
      facts('payments', 'web', policies('web')),
      {
        reason: 'no-matching-rule',
        message:
          'no allow-list rule matches namespace "payments", service account "web"; nothing is granted by default',
      },
    ],
    [
      '"shop-*" does not match "shop" alone, nor "shopping"',
      facts('shopping', 'web', policies('web')),
      {
        reason: 'no-matching-rule',
        message:
          'no allow-list rule matches namespace "shopping", service account "web"; nothing is granted by default',
      },
    ],
    [
      'a service account outside the rule',
      facts('shop-eu', 'api', policies('web')),
      {
        reason: 'no-matching-rule',
        message:
          'no allow-list rule matches namespace "shop-eu", service account "api"; nothing is granted by default',
      },
    ],
    [
      '* in the middle needs its prefix and suffix',
      facts('team-prod', 'svc-api', policies('team-a-read')),
      {
        reason: 'no-matching-rule',
        message:
          'no allow-list rule matches namespace "team-prod", service account "svc-api"; nothing is granted by default',
      },
    ],
    // Policies
    [
      'one policy outside the rule',
      facts('shop', 'web', policies('web,db-admin')),
      {
        rule: 'shop-web',
        reason: 'policy-not-allowed',
        message:
          'policy "db-admin" not allowed for namespace "shop", service account "web" by rule "shop-web"',
      },
    ],
    [
      'several policies outside the rule',
      facts('shop', 'web', policies('web,db-admin,shop,shop-x')),
      {
        rule: 'shop-web',
        reason: 'policy-not-allowed',
        message:
          'policies "db-admin", "shop" not allowed for namespace "shop", service account "web" by rule "shop-web"',
      },
    ],
    [
      'first match decides: a later rule allowing the policy is not consulted',
      facts('shop', 'web', policies('common')),
      {
        rule: 'shop-web',
        reason: 'policy-not-allowed',
        message: expect.stringContaining('"common" not allowed'),
      },
    ],
    [
      'a "." in a glob is literal, not "any character"',
      facts('shop', 'web', policies('dbxread')),
      { rule: 'shop-web', reason: 'policy-not-allowed', message: expect.stringContaining('"dbxread"') },
    ],
    [
      'regex characters in a request are refused before any matching',
      facts('shop', 'web', policies('web,shop-(.*),db.read+')),
      {
        reason: 'invalid-policies-annotation',
        message: expect.stringContaining('invalid policy names "db.read+", "shop-(.*)"'),
      },
    ],
    [
      'response-wrapping',
      facts('shop', 'web', policies('web,response-wrapping')),
      {
        reason: 'policy-not-allowed',
        message: 'policy "response-wrapping" cannot be granted: Vault reserves it for wrapping tokens',
      },
    ],
    // Root
    ...['root', ' ROOT ', 'Root', 'default,root', 'web,root', 'rOOt,web', ',root,', 'root,bad name'].map(
      (value): [string, PodRequestFacts, Omit<Extract<Decision, { allowed: false }>, 'allowed'>] => [
        `root spelt ${JSON.stringify(value)}`,
        facts('shop', 'web', policies(value)),
        { reason: 'root-forbidden', message: 'policy "root" is never granted' },
      ],
    ),
    [
      'root from a pod without any rule',
      facts('nowhere', 'x', policies('root')),
      { reason: 'root-forbidden', message: 'policy "root" is never granted' },
    ],
    // Policies annotation
    [
      'no policies annotation',
      facts('shop', 'web', {}),
      { reason: 'invalid-policies-annotation', message: 'annotation vaultproject.io/policies is missing' },
    ],
    [
      'an empty policies annotation',
      facts('shop', 'web', policies(' , ')),
      {
        reason: 'invalid-policies-annotation',
        message: 'annotation vaultproject.io/policies names no policy (expected e.g. "web,db-read")',
      },
    ],
    [
      'a policy name Vault should never see',
      facts('shop', 'web', policies('web,shop-*')),
      {
        reason: 'invalid-policies-annotation',
        message: expect.stringContaining('invalid policy name "shop-*"'),
      },
    ],
    // TTL
    [
      'a TTL above the max is refused, not capped',
      facts('shop', 'web', policies('web', '25h')),
      {
        rule: 'shop-web',
        reason: 'ttl-above-max',
        message: 'the pod asked for a TTL of 25h; rule "shop-web" allows at most 24h',
      },
    ],
    [
      'one second above the max',
      facts('shop', 'web', policies('web', '86401')),
      {
        rule: 'shop-web',
        reason: 'ttl-above-max',
        message: 'the pod asked for a TTL of 24h1s; rule "shop-web" allows at most 24h',
      },
    ],
    [
      'a fixed rule asked for another period',
      facts('batch', 'job', policies('batch-reader', '1h')),
      {
        rule: 'batch-fixed',
        reason: 'ttl-not-allowed',
        message:
          'rule "batch-fixed" grants a fixed TTL of 24h; the pod asked for 1h (omit vaultproject.io/ttl or set it to 24h)',
      },
    ],
    ...[
      ['-5m', 'must be positive'],
      ['0s', 'must be greater than zero'],
      ['0', 'must be greater than zero'],
      ['abc', 'expected a number before each unit'],
      ['1w', 'unknown unit "w" (Vault knows ns, us, ms, s, m, h)'],
      ['500ms', 'shorter than one second'],
      ['', 'empty'],
      ['1.5s', 'not a whole number of seconds'],
      [' 1h', 'surrounding whitespace is not allowed'],
    ].map(
      ([ttl = '', why = '']): [
        string,
        PodRequestFacts,
        Omit<Extract<Decision, { allowed: false }>, 'allowed'>,
      ] => [
        `a malformed TTL ${JSON.stringify(ttl)}`,
        facts('shop', 'web', policies('web', ttl)),
        {
          reason: 'invalid-ttl-annotation',
          message: `annotation vaultproject.io/ttl: invalid duration ${JSON.stringify(ttl)}: ${why}; expected a Vault duration such as "1h", "90m" or "3600" (seconds)`,
        },
      ],
    ),
    [
      'a malformed TTL is reported even without a matching rule',
      facts('nowhere', 'x', policies('web', '1w')),
      { reason: 'invalid-ttl-annotation', message: expect.stringContaining('unknown unit "w"') },
    ],
  ])('%s', (_, request, expected) => {
    const decision = decide(allowList, request)
    expect(decision).toEqual({ allowed: false, ...expected })
    expect(DENIAL_REASONS).toContain((decision as { reason: string }).reason)
  })

  it('denies everything with an empty allow-list', () => {
    expect(decide(loadAllowList(''), facts('shop', 'web', policies('web')))).toMatchObject({
      allowed: false,
      reason: 'no-matching-rule',
    })
  })

  it('denies an empty identity even against "*" rules', () => {
    const open = loadAllowList(
      'rules: [{name: any, namespaces: ["*"], serviceAccounts: ["*"], policies: [p], ttl: {default: 1h, max: 1h}}]',
    )
    expect(decide(open, facts('', 'web', policies('p')))).toMatchObject({ reason: 'no-matching-rule' })
    expect(decide(open, facts('ns', '', policies('p')))).toMatchObject({ reason: 'no-matching-rule' })
    expect(decide(open, facts('ns', 'web', policies('p')))).toMatchObject({ allowed: true })
  })
})

describe('decide: invariant 2 (granted ⊆ the rule, never root, TTL ≤ max)', () => {
  /** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed
    return () => {
      state = (state + 0x6d2b79f5) | 0
      let t = Math.imul(state ^ (state >>> 15), 1 | state)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
    }
  }
  const vocabulary = [
    'web',
    'WEB',
    ' web ',
    'shop-cart',
    'shop-',
    'shop',
    'Shop-X',
    'db.read',
    'dbxread',
    'db-read',
    'team/app',
    'team/(a)',
    'root',
    'ROOT',
    ' Root',
    'r00t',
    'rooted',
    'default',
    'Default',
    'response-wrapping',
    'common',
    'batch-reader',
    'team-a-read',
    'team--read',
    'admin',
    '',
    ' ',
    'a b',
    '*',
    'shop-*',
    'é',
  ]
  /** Identities, each with names its rule allows, so that a fair share of requests is granted. */
  const identities: [string, string, string[]][] = [
    ['shop', 'web', ['web', 'WEB', ' web ', 'shop-cart', 'Shop-X', 'db.read', 'team/app', 'default']],
    ['shop-eu', 'web', ['web', 'shop-a', 'default']],
    ['shop', 'api', ['common', 'Common', 'default']],
    ['batch', 'job', ['batch-reader', 'default']],
    ['team-x-prod', 'svc-a', ['team-a-read', 'team--read', 'default']],
    ['other', 'web', ['web']],
  ]
  const ttls = [
    undefined,
    undefined,
    undefined,
    '1h',
    '24h',
    '25h',
    '10',
    '1440m',
    '2h',
    '0s',
    '-1h',
    '1w',
    '86400',
    '1.5h',
    '',
  ]

  it('holds for 1,000 random requests', () => {
    const next = random(20_240_601)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
    const allowedCount = { yes: 0, no: 0 }
    for (let i = 0; i < 1000; i++) {
      const [namespace, serviceAccount, likely] = pick(identities)
      const requested = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
        next() < 0.8 ? pick(likely) : pick(vocabulary),
      ).join(',')
      const request = facts(namespace, serviceAccount, policies(requested, pick(ttls)))
      const decision = decide(allowList, request)
      if (!decision.allowed) {
        allowedCount.no++
        if (requested.split(',').some((name) => name.trim().toLowerCase() === 'root')) {
          expect(decision.reason, requested).toBe('root-forbidden')
        }
        continue
      }
      allowedCount.yes++
      const rule = allowList.rules.find((candidate) => candidate.name === decision.rule)
      expect(rule).toBeDefined()
      if (rule === undefined) continue
      // The deciding rule is the first one that applies to the identity.
      expect(allowList.rules.find((candidate) => candidate.appliesTo(namespace, serviceAccount))).toBe(rule)
      expect(decision.policies.length).toBeGreaterThan(0)
      expect(decision.policies).not.toContain('root')
      expect(decision.policies).not.toContain('response-wrapping')
      expect(decision.policies).toEqual([...new Set(decision.policies)].sort())
      for (const policy of decision.policies) {
        if (policy === 'default') continue
        // Checked against the rule's globs independently of the compiled matcher.
        expect(
          rule.policies.some((glob) => compileGlob(glob)(policy)),
          policy,
        ).toBe(true)
      }
      const limit = rule.ttl.kind === 'fixed' ? rule.ttl.seconds : rule.ttl.maxSeconds
      expect(decision.ttlSeconds).toBeLessThanOrEqual(limit)
      expect(decision.ttlSeconds).toBeGreaterThan(0)
      expect(decision.period.seconds).toBe(decision.ttlSeconds)
      expect(decision.period.kind).toBe(rule.ttl.kind === 'fixed' ? 'role' : 'per-token')
    }
    // The generator must exercise both sides, or the test proves nothing.
    expect(allowedCount.yes).toBeGreaterThan(50)
    expect(allowedCount.no).toBeGreaterThan(50)
  })

  it('never grants root, whatever the file says', () => {
    // A file cannot contain a root-matching glob, so reach past the loader: a rule that allows anything.
    const rule = allowList.rules[0]
    if (rule === undefined) throw new Error('no rule')
    const permissive = {
      ...allowList,
      findRule: () => ({ ...rule, allowsPolicy: () => true }),
    }
    for (const value of ['root', 'web,root', ' ROOT ']) {
      expect(decide(permissive, facts('shop', 'web', policies(value)))).toMatchObject({
        allowed: false,
        reason: 'root-forbidden',
      })
    }
    expect(decide(permissive, facts('shop', 'web', policies('anything')))).toMatchObject({ allowed: true })
  })

  it('decides thousands of requests without trouble (sanity, not a benchmark)', () => {
    const request = facts('team-x-prod', 'svc-a', policies('team-x-read,default', '1h'))
    let allowed = 0
    for (let i = 0; i < 20_000; i++) if (decide(allowList, request).allowed) allowed++
    expect(allowed).toBe(20_000)
  })
})
