/**
 * @module
 * Just enough RBAC to prove a ClusterRole is sufficient and minimal (spec §1.1, §11): in
 * `allow-all` mode every authenticated identity may do everything; in `enforce` mode only what a
 * rule grants (verb × API group × resource[/subresource] × namespace × names, or verb ×
 * non-resource URL). `system:masters` (the admin token) may always do everything, and
 * `system:serviceaccounts` may always read the OIDC discovery documents. Whether anonymous requests
 * get this far at all is the authenticator's decision (`requireAuth`). Denials carry the real
 * server's 403 messages.
 */
import type { UserInfo } from './authentication.ts'
import type { RequestInfo } from './request-info.ts'
import { forbidden, type KubeStatusError, qualifiedResource, type StatusDetails } from './status-errors.ts'

export interface RbacSubject {
  user?: string
  group?: string
}

export interface RbacRule {
  subjects: RbacSubject[]
  verbs: string[]
  apiGroups?: string[]
  resources?: string[]
  namespaces?: string[]
  resourceNames?: string[]
  nonResourceURLs?: string[]
}

export type RbacConfig = { mode: 'allow-all' } | { mode: 'enforce'; rules: RbacRule[] }

/** Thrown for a configuration that makes no sense; the control API answers 400 with it. */
export class RbacConfigError extends Error {}

const discoveryRule: RbacRule = {
  subjects: [{ group: 'system:serviceaccounts' }],
  verbs: ['get'],
  nonResourceURLs: ['/.well-known/openid-configuration', '/openid/v1/jwks'],
}

function stringList(value: unknown, field: string, required: boolean): string[] | undefined {
  if (value === undefined && !required) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new RbacConfigError(`${field} must be a list of strings`)
  }
  return value
}

/** Validates a `PUT /__testkit/rbac` body. */
export function parseRbacConfig(body: unknown): RbacConfig {
  if (typeof body !== 'object' || body === null) throw new RbacConfigError('body must be a JSON object')
  const { mode, rules } = body as { mode?: unknown; rules?: unknown }
  if (mode === 'allow-all') return { mode }
  if (mode !== 'enforce') throw new RbacConfigError('mode must be "allow-all" or "enforce"')
  if (rules === undefined) return { mode, rules: [] }
  if (!Array.isArray(rules)) throw new RbacConfigError('rules must be a list')
  return {
    mode,
    rules: rules.map((rule, index) => {
      if (typeof rule !== 'object' || rule === null)
        throw new RbacConfigError(`rules[${index}] must be an object`)
      const raw = rule as Record<string, unknown>
      if (!Array.isArray(raw.subjects) || raw.subjects.length === 0) {
        throw new RbacConfigError(`rules[${index}].subjects must be a non-empty list`)
      }
      const subjects = raw.subjects.map((subject, subjectIndex) => {
        const { user, group } = (subject ?? {}) as RbacSubject
        if ((typeof user !== 'string') === (typeof group !== 'string')) {
          throw new RbacConfigError(
            `rules[${index}].subjects[${subjectIndex}] needs exactly one of user, group`,
          )
        }
        return typeof user === 'string' ? { user } : { group: group as string }
      })
      const parsed: RbacRule = { subjects, verbs: stringList(raw.verbs, `rules[${index}].verbs`, true) ?? [] }
      for (const field of [
        'apiGroups',
        'resources',
        'namespaces',
        'resourceNames',
        'nonResourceURLs',
      ] as const) {
        const list = stringList(raw[field], `rules[${index}].${field}`, false)
        if (list !== undefined) parsed[field] = list
      }
      if (parsed.nonResourceURLs === undefined && parsed.resources === undefined) {
        throw new RbacConfigError(`rules[${index}] needs resources or nonResourceURLs`)
      }
      return parsed
    }),
  }
}

function includes(list: string[] | undefined, value: string): boolean {
  return list !== undefined && (list.includes('*') || list.includes(value))
}

function ruleApplies(rule: RbacRule, user: UserInfo, info: RequestInfo): boolean {
  if (
    !rule.subjects.some((s) =>
      s.user !== undefined ? s.user === user.username : user.groups.includes(s.group ?? ''),
    )
  ) {
    return false
  }
  if (!includes(rule.verbs, info.verb)) return false
  if (!info.isResource) {
    return (rule.nonResourceURLs ?? []).some((url) =>
      url.endsWith('*') ? info.path.startsWith(url.slice(0, -1)) : url === info.path,
    )
  }
  if (rule.resources === undefined) return false
  if (!includes(rule.apiGroups ?? [''], info.apiGroup)) return false
  const resource = info.subresource === undefined ? info.resource : `${info.resource}/${info.subresource}`
  const resourceMatches =
    rule.resources.includes('*') ||
    rule.resources.includes(resource) ||
    (info.subresource !== undefined && rule.resources.includes(`${info.resource}/*`)) ||
    (info.subresource !== undefined && rule.resources.includes(`*/${info.subresource}`))
  if (!resourceMatches) return false
  if (rule.namespaces !== undefined && rule.namespaces.length > 0) {
    if (info.namespace === undefined || !rule.namespaces.includes(info.namespace)) return false
  }
  if (rule.resourceNames !== undefined && rule.resourceNames.length > 0) {
    if (info.name === undefined || !rule.resourceNames.includes(info.name)) return false
  }
  return true
}

export class RbacAuthorizer {
  #config: RbacConfig = { mode: 'allow-all' }

  get config(): RbacConfig {
    return this.#config
  }

  configure(config: RbacConfig): void {
    this.#config = config
  }

  allows(user: UserInfo, info: RequestInfo): boolean {
    if (user.groups.includes('system:masters')) return true
    if (ruleApplies(discoveryRule, user, info)) return true
    if (this.#config.mode === 'allow-all') return true
    return this.#config.rules.some((rule) => ruleApplies(rule, user, info))
  }

  /** Throws the 403 the real server answers when `user` may not do `info`. */
  authorize(user: UserInfo, info: RequestInfo): void {
    if (!this.allows(user, info)) throw forbiddenFor(user, info)
  }
}

/** The real server's wording for a denied request. */
export function forbiddenFor(user: UserInfo, info: RequestInfo): KubeStatusError {
  if (!info.isResource) {
    return forbidden(`forbidden: User "${user.username}" cannot ${info.verb} path "${info.path}"`, {})
  }
  const target = qualifiedResource({ group: info.apiGroup, resource: info.resource })
  const subject = info.name === undefined ? target : `${target} "${info.name}"`
  const resource = info.subresource === undefined ? info.resource : `${info.resource}/${info.subresource}`
  const scope = info.namespace === undefined ? 'at the cluster scope' : `in the namespace "${info.namespace}"`
  const details: StatusDetails = {}
  if (info.name !== undefined) details.name = info.name
  if (info.apiGroup !== '') details.group = info.apiGroup
  details.kind = info.resource
  return forbidden(
    `${subject} is forbidden: User "${user.username}" cannot ${info.verb} resource "${resource}" in API group "${info.apiGroup}" ${scope}`,
    details,
  )
}
