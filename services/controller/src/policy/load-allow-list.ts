/**
 * @module
 * Turns the platform team's allow-list file (YAML) into a compiled, immutable `AllowList`, or refuses
 * it with every problem listed at once.
 *
 * The allow-list is the controller's authority on who may get which policies for how long, so a file
 * that is even slightly wrong is refused as a whole: no rule is skipped, nothing is guessed. A caller
 * that hot-reloads the file keeps the previous `AllowList` when a new version is refused. Each message
 * names the rule by index and name, and the field, e.g.
 * `rules[2] (batch-fixed): ttl and fixedTtl are mutually exclusive`.
 *
 * Besides the structure (see `allow-list-schema.ts`), the loader refuses:
 * - a policy glob that could match `root` (`*`, `r*`, `*t`, `root`): root is never grantable, and a
 *   rule that looks as if it grants everything is not a reviewable rule (`decide()` refuses root at
 *   request time anyway, whatever a file says);
 * - `response-wrapping` as a policy (Vault cannot assign it);
 * - globs with characters that can never occur in a namespace, service-account or policy name
 *   (e.g. uppercase), because such a glob silently matches nothing;
 * - durations Vault would reject, zero, above the mount's max TTL (768h unless configured),
 *   and a default TTL above the max;
 * - `ttl` together with `fixedTtl`, neither of them, or `fixedTtl` without `tokenRole`;
 * - role names Vault would not accept (`\w([\w-.]*\w)?`);
 * - duplicate rule names, and rules that can never apply because an earlier rule already matches
 *   every namespace and service account they match (first match wins).
 */
import { parseDocument } from 'yaml'
import { allowListFileValidator, type RuleSource, ruleValidator } from './allow-list-schema.ts'
import { compileGlob, compileGlobList, globSurelyCovers } from './glob.ts'
import { RESPONSE_WRAPPING_POLICY, ROOT_POLICY } from './policy-names.ts'
import { DurationSyntaxError, describeDuration, parseVaultDurationSeconds } from './vault-duration.ts'

/** Vault's default max TTL for the token mount (768h), the ceiling for every TTL in the file. */
export const DEFAULT_MOUNT_MAX_TTL_SECONDS = 768 * 3600

/** How a rule sets the token's period. */
export type RuleTtl =
  /** The pod may ask for a period up to `maxSeconds`; the controller sends it per token (needs sudo). */
  | { readonly kind: 'per-token'; readonly defaultSeconds: number; readonly maxSeconds: number }
  /** The period is the token role's own `token_period`; the controller sends none (no sudo). */
  | { readonly kind: 'fixed'; readonly seconds: number }

/** One compiled rule. Plain data plus two matchers; serialises to JSON without the matchers. */
export interface AllowListRule {
  /** Position in the file, from 0. */
  readonly index: number
  readonly name: string
  readonly namespaces: readonly string[]
  readonly serviceAccounts: readonly string[]
  /** Policy globs this rule may grant (lowercase). `default` never needs to be listed. */
  readonly policies: readonly string[]
  readonly ttl: RuleTtl
  /** The Vault token role to mint through; absent means the controller's configured role. */
  readonly tokenRole?: string
  /** `true` when this rule is about this pod identity. */
  appliesTo(namespace: string, serviceAccount: string): boolean
  /** `true` when one of the rule's policy globs matches this (normalised) policy name. */
  allowsPolicy(policy: string): boolean
}

/** The compiled allow-list: immutable, safe to share between concurrent requests. */
export interface AllowList {
  readonly rules: readonly AllowListRule[]
  readonly mountMaxTtlSeconds: number
  /** The first rule, in file order, that applies to this identity: the only one consulted. */
  findRule(namespace: string, serviceAccount: string): AllowListRule | undefined
}

export interface LoadAllowListOptions {
  /** The token mount's max TTL in seconds (Vault's `max_lease_ttl`); default 768h. */
  mountMaxTtlSeconds?: number
}

/** The file was refused. `problems` lists every problem found, each naming its rule and field. */
export class AllowListError extends Error {
  override readonly name = 'AllowListError'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    super(`invalid allow-list (${count}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.problems = problems
  }
}

const RULE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/
/** Vault's token role names: `\w([\w-.]*\w)?`, where Go's `\w` is ASCII `[0-9A-Za-z_]`. */
const TOKEN_ROLE_NAME = /^\w(?:[\w.-]*\w)?$/
const MAX_GLOB_LENGTH = 253

const GLOB_KINDS = {
  namespaces: { pattern: /^[a-z0-9*-]+$/, allowed: 'lowercase letters, digits, "-" and "*"' },
  serviceAccounts: { pattern: /^[a-z0-9.*-]+$/, allowed: 'lowercase letters, digits, "-", "." and "*"' },
  policies: { pattern: /^[a-z0-9_./*-]+$/, allowed: 'lowercase letters, digits, "_", "-", ".", "/" and "*"' },
} as const

/**
 * Parses and validates an allow-list file. An empty file (or one with only comments) has no rules,
 * so every request is denied.
 * @throws AllowListError listing every problem at once.
 */
export function loadAllowList(yamlText: string, options: LoadAllowListOptions = {}): AllowList {
  const mountMaxTtlSeconds = options.mountMaxTtlSeconds ?? DEFAULT_MOUNT_MAX_TTL_SECONDS
  if (!Number.isSafeInteger(mountMaxTtlSeconds) || mountMaxTtlSeconds <= 0) {
    throw new RangeError(`mountMaxTtlSeconds must be a positive whole number, got ${mountMaxTtlSeconds}`)
  }

  const document = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true })
  const yamlProblems = [...document.errors, ...document.warnings].map(describeYamlError)
  if (yamlProblems.length > 0) throw new AllowListError(yamlProblems)
  let content: unknown
  try {
    content = document.toJS({ maxAliasCount: 100 })
  } catch (error) {
    throw new AllowListError([`YAML: ${error instanceof Error ? error.message : String(error)}`])
  }
  if (content === null || content === undefined) return compileAllowList([], mountMaxTtlSeconds)

  const problems: string[] = []
  if (!isRecord(content)) throw new AllowListError(['top level: must be a mapping with a "rules" list'])
  if (!allowListFileValidator.Check(content)) {
    problems.push(
      ...[...allowListFileValidator.Errors(content)].flatMap((error) =>
        describeSchemaError(error, 'top level'),
      ),
    )
  }
  // The rules are checked even when the top level has other problems, so that every problem is listed.
  const rawRules = Array.isArray(content.rules) ? content.rules : []

  const rules: AllowListRule[] = []
  const validRules: { index: number; source: RuleSource }[] = []
  const firstIndexByName = new Map<string, number>()

  rawRules.forEach((raw: unknown, index) => {
    const label = ruleLabel(index, raw)
    const name = isRecord(raw) && typeof raw.name === 'string' ? raw.name : undefined
    if (name !== undefined) {
      const earlier = firstIndexByName.get(name)
      if (earlier === undefined) firstIndexByName.set(name, index)
      else problems.push(`${label}: name ${JSON.stringify(name)} is already used by rules[${earlier}]`)
    }
    const ruleProblems: string[] = []
    if (!ruleValidator.Check(raw)) {
      problems.push(...[...ruleValidator.Errors(raw)].flatMap((error) => describeSchemaError(error, label)))
      // What is well-formed in a malformed rule is still checked, so that every problem is listed.
      if (isRecord(raw)) checkRuleMeaning(raw, mountMaxTtlSeconds, ruleProblems)
      problems.push(...ruleProblems.map((problem) => `${label}: ${problem}`))
      return
    }
    const ttl = checkRuleMeaning(raw, mountMaxTtlSeconds, ruleProblems)
    problems.push(...ruleProblems.map((problem) => `${label}: ${problem}`))
    if (ruleProblems.length > 0 || ttl === undefined) return
    problems.push(...findShadowingRule(raw, index, validRules))
    validRules.push({ index, source: raw })
    rules.push(compileRule(raw, index, ttl))
  })

  if (problems.length > 0) throw new AllowListError(problems)
  return compileAllowList(rules, mountMaxTtlSeconds)
}

function compileAllowList(rules: readonly AllowListRule[], mountMaxTtlSeconds: number): AllowList {
  const frozenRules = Object.freeze([...rules])
  return Object.freeze({
    rules: frozenRules,
    mountMaxTtlSeconds,
    findRule(namespace: string, serviceAccount: string): AllowListRule | undefined {
      // An empty identity never matches, not even `*`.
      if (namespace === '' || serviceAccount === '') return undefined
      return frozenRules.find((rule) => rule.appliesTo(namespace, serviceAccount))
    },
  })
}

/**
 * What the values of a rule mean, checked on whatever is well-formed (the schema reports the rest).
 * Returns the rule's TTL when it is consistent.
 */
function checkRuleMeaning(
  raw: Record<string, unknown>,
  mountMaxTtlSeconds: number,
  problems: string[],
): RuleTtl | undefined {
  if (typeof raw.name === 'string' && !RULE_NAME.test(raw.name)) {
    problems.push(
      'name: must be 1 to 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
    )
  }
  for (const field of ['namespaces', 'serviceAccounts', 'policies'] as const) {
    const globs = raw[field]
    if (!Array.isArray(globs)) continue
    globs.forEach((glob: unknown, position) => {
      const problem = typeof glob === 'string' ? globProblem(field, glob) : undefined
      if (problem !== undefined) problems.push(`${field}[${position}]: ${problem}`)
    })
  }
  const ttl = checkTtl(raw, mountMaxTtlSeconds, problems)
  if (typeof raw.tokenRole === 'string' && !TOKEN_ROLE_NAME.test(raw.tokenRole)) {
    problems.push(
      `tokenRole: ${JSON.stringify(raw.tokenRole)} is not a valid Vault token role name ` +
        '(letters, digits, "_", "-", ".", starting and ending with a letter, digit or "_")',
    )
  }
  return ttl
}

/** Compiles a rule that passed every check: globs become matchers, everything is frozen. */
function compileRule(source: RuleSource, index: number, ttl: RuleTtl): AllowListRule {
  const matchesNamespace = compileGlobList(source.namespaces)
  const matchesServiceAccount = compileGlobList(source.serviceAccounts)
  const matchesPolicy = compileGlobList(source.policies)
  return Object.freeze({
    index,
    name: source.name,
    namespaces: Object.freeze([...source.namespaces]),
    serviceAccounts: Object.freeze([...source.serviceAccounts]),
    policies: Object.freeze([...source.policies]),
    ttl: Object.freeze(ttl),
    ...(source.tokenRole === undefined ? {} : { tokenRole: source.tokenRole }),
    appliesTo: (namespace: string, serviceAccount: string) =>
      matchesNamespace(namespace) && matchesServiceAccount(serviceAccount),
    // Root is refused here too, so the invariant does not rest on the load-time check alone.
    allowsPolicy: (policy: string) => policy !== ROOT_POLICY && matchesPolicy(policy),
  })
}

function globProblem(field: keyof typeof GLOB_KINDS, glob: string): string | undefined {
  const quoted = JSON.stringify(glob)
  if (glob === '') return 'must not be empty'
  if (glob.length > MAX_GLOB_LENGTH) return `longer than ${MAX_GLOB_LENGTH} characters`
  const kind = GLOB_KINDS[field]
  if (!kind.pattern.test(glob)) {
    const hint =
      glob !== glob.toLowerCase() ? ` (names are lowercase: write ${JSON.stringify(glob.toLowerCase())})` : ''
    return `${quoted} has characters no name can contain; use ${kind.allowed}${hint}`
  }
  if (field === 'policies') {
    if (compileGlob(glob)(ROOT_POLICY)) {
      return `${quoted} would match "root", which is never grantable; list the policies or narrower globs (e.g. "team-*") instead`
    }
    if (glob === RESPONSE_WRAPPING_POLICY)
      return '"response-wrapping" cannot be granted: Vault reserves it for wrapping tokens'
  }
  return undefined
}

function checkTtl(
  raw: Record<string, unknown>,
  mountMaxTtlSeconds: number,
  problems: string[],
): RuleTtl | undefined {
  const hasTtl = raw.ttl !== undefined
  const hasFixedTtl = raw.fixedTtl !== undefined
  if (hasTtl && hasFixedTtl) problems.push('ttl and fixedTtl are mutually exclusive')
  if (!hasTtl && !hasFixedTtl) {
    problems.push(
      "needs either ttl {default, max} (per-token period) or fixedTtl with tokenRole (the role's own period)",
    )
  }
  if (hasFixedTtl && raw.tokenRole === undefined) {
    problems.push('fixedTtl needs tokenRole: the Vault token role whose token_period is that period')
  }

  let ttl: RuleTtl | undefined
  if (isRecord(raw.ttl)) {
    const defaultSeconds = durationSeconds(raw.ttl.default, 'ttl.default', mountMaxTtlSeconds, problems)
    const maxSeconds = durationSeconds(raw.ttl.max, 'ttl.max', mountMaxTtlSeconds, problems)
    if (defaultSeconds !== undefined && maxSeconds !== undefined) {
      if (defaultSeconds > maxSeconds) {
        problems.push(
          `ttl.default (${describeDuration(defaultSeconds)}) is above ttl.max (${describeDuration(maxSeconds)})`,
        )
      } else {
        ttl = { kind: 'per-token', defaultSeconds, maxSeconds }
      }
    }
  }
  const fixedSeconds = durationSeconds(raw.fixedTtl, 'fixedTtl', mountMaxTtlSeconds, problems)
  if (fixedSeconds !== undefined) ttl = { kind: 'fixed', seconds: fixedSeconds }
  return hasTtl && hasFixedTtl ? undefined : ttl
}

/** A duration field's value in seconds; `undefined` when absent, of the wrong type (the schema says so) or wrong. */
function durationSeconds(
  value: unknown,
  field: string,
  mountMaxTtlSeconds: number,
  problems: string[],
): number | undefined {
  let seconds: number
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined
    if (!Number.isSafeInteger(value) || value <= 0) {
      problems.push(`${field}: ${value} is not a positive whole number of seconds`)
      return undefined
    }
    seconds = value
  } else if (typeof value === 'string') {
    try {
      seconds = parseVaultDurationSeconds(value)
    } catch (error) {
      if (!(error instanceof DurationSyntaxError)) throw error
      problems.push(`${field}: ${error.message}`)
      return undefined
    }
  } else {
    return undefined
  }
  if (seconds > mountMaxTtlSeconds) {
    problems.push(
      `${field}: ${describeDuration(seconds)} is above Vault's max TTL for tokens (${describeDuration(mountMaxTtlSeconds)}); ` +
        'Vault would cap it silently',
    )
    return undefined
  }
  return seconds
}

/**
 * A rule is unreachable when an earlier rule surely matches every namespace and every service account
 * it matches: first match wins, so it could never decide anything.
 */
function findShadowingRule(
  source: RuleSource,
  index: number,
  earlierRules: readonly { index: number; source: RuleSource }[],
): string[] {
  const covers = (outer: readonly string[], inner: readonly string[]) =>
    inner.every((glob) => outer.some((candidate) => globSurelyCovers(candidate, glob)))
  const shadow = earlierRules.find(
    (earlier) =>
      covers(earlier.source.namespaces, source.namespaces) &&
      covers(earlier.source.serviceAccounts, source.serviceAccounts),
  )
  if (shadow === undefined) return []
  return [
    `${ruleLabel(index, source)}: can never apply: ${ruleLabel(shadow.index, shadow.source)} comes first and ` +
      'matches every namespace and service account this rule matches (the first matching rule decides)',
  ]
}

function ruleLabel(index: number, raw: unknown): string {
  const name = isRecord(raw) ? raw.name : undefined
  if (typeof name !== 'string' || name === '') return `rules[${index}]`
  return `rules[${index}] (${name.length > 63 ? `${name.slice(0, 63)}…` : name})`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `line 3, column 5: <what yaml says>`; the yaml library's own message repeats the position. */
function describeYamlError(error: {
  code: string
  message: string
  linePos?: [{ line: number; col: number }] | [{ line: number; col: number }, { line: number; col: number }]
}): string {
  const firstLine = error.message.split('\n')[0] ?? error.message
  const text =
    error.code === 'MULTIPLE_DOCS'
      ? 'the file must hold a single YAML document (found a "---" separator)'
      : firstLine.replace(/ at line \d+, column \d+:?$/, '')
  const position = error.linePos?.[0]
  return position === undefined
    ? `YAML: ${text}`
    : `YAML line ${position.line}, column ${position.col}: ${text}`
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
}

interface SchemaError {
  keyword: string
  schemaPath: string
  instancePath: string
  params: unknown
  message: string
}

/** One TypeBox error as a problem line, or none for the noise TypeBox adds around unions and extra keys. */
function describeSchemaError(error: SchemaError, label: string): string[] {
  const field = instancePathToField(error.instancePath)
  const where = field === '' ? label : `${label}: ${field}`
  const params = isRecord(error.params) ? error.params : {}
  switch (error.keyword) {
    case 'boolean': // `additionalProperties: false` reports each extra key twice; keep the other report
      return []
    case 'additionalProperties':
      return stringList(params.additionalProperties).map(
        (key) => `${field === '' ? label : where}: unknown field ${JSON.stringify(key)}`,
      )
    case 'required':
      return stringList(params.requiredProperties).map(
        (key) => `${field === '' ? label : where}: missing required field ${JSON.stringify(key)}`,
      )
    case 'minItems':
      return [`${where}: must not be empty`]
    case 'type':
      if (error.schemaPath.includes('/anyOf/')) return []
      return [`${where}: must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)}`]
    case 'anyOf':
      return [`${where}: must be a duration such as "1h" or "90s", or a whole number of seconds`]
    default:
      return [`${where}: ${error.message}`]
  }
}

/** `/ttl/max` → `ttl.max`; `/namespaces/0` → `namespaces[0]`. */
function instancePathToField(pointer: string): string {
  if (pointer === '') return ''
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (path, segment) =>
        /^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`,
      '',
    )
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : []
}
