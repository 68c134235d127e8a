/**
 * @module
 * The `sys/` mount: ACL policy management (spec §2.1), wrapping (wrapping.ts), sealing and
 * enabling auth methods (spec §8, §9.1). Health, seal-status and unseal are served before the
 * seal check and live in seal-status.ts.
 */
import { randomBytes } from 'node:crypto'
import { appRoleMount } from './auth-approle.ts'
import { kubernetesMount } from './auth-kubernetes.ts'
import { fieldString } from './lenient-fields.ts'
import { PolicyParseError } from './policy.ts'
import { RESPONSE_WRAPPING } from './policy-store.ts'
import { EMPTY, type HandlerResult, logical, type Mount, type RequestContext, type Route } from './route.ts'
import { badRequest, notFound } from './vault-error.ts'
import type { AuthMount, VaultState } from './vault-state.ts'
import { wrappingRoutes } from './wrapping.ts'

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function policyText(ctx: RequestContext): string {
  const raw = ctx.body.policy ?? ctx.body.rules
  let text: string
  try {
    text = fieldString('policy', raw)
  } catch (error) {
    throw badRequest((error as Error).message)
  }
  if (text.trim() === '') throw badRequest("'policy' parameter not supplied or empty")
  if (STRICT_BASE64.test(text)) text = Buffer.from(text, 'base64').toString('utf8')
  return text
}

function writePolicy(state: VaultState, ctx: RequestContext): HandlerResult {
  const requestedName = ctx.params.name ?? ''
  const name = requestedName.toLowerCase()
  const warnings = name === requestedName ? [] : [`policy name was converted to ${name}`]
  const text = policyText(ctx)
  if (name === 'root' || name === RESPONSE_WRAPPING) throw badRequest(`cannot update "${name}" policy`)
  try {
    state.policies.set(name, text)
  } catch (error) {
    if (error instanceof PolicyParseError) {
      const message = error.message.startsWith('failed to parse policy: ')
        ? error.message
        : `failed to parse policy: ${error.message}`
      throw badRequest(message)
    }
    throw error
  }
  return warnings.length > 0 ? logical({ warnings }) : EMPTY
}

function readPolicy(state: VaultState, ctx: RequestContext, textKey: 'rules' | 'policy'): HandlerResult {
  const name = (ctx.params.name ?? '').toLowerCase()
  const text = state.policies.get(name)
  if (text === undefined) throw notFound()
  return logical({ data: { name, [textKey]: text } })
}

function deletePolicy(state: VaultState, ctx: RequestContext): HandlerResult {
  const name = (ctx.params.name ?? '').toLowerCase()
  if (name === 'default' || name === 'root') throw badRequest(`cannot delete "${name}" policy`)
  state.policies.delete(name)
  return EMPTY
}

function policyRoutes(state: VaultState): Route[] {
  return [
    {
      pattern: /^policy\/?$/,
      label: 'sys/policy',
      copyDataToTopLevel: true,
      handlers: {
        read: () => logical({ data: { keys: state.policies.names(), policies: state.policies.names() } }),
        list: () => logical({ data: { keys: state.policies.names(), policies: state.policies.names() } }),
      },
    },
    {
      pattern: /^policy\/(?<name>.+)$/,
      label: 'sys/policy/:name',
      fields: ['name', 'policy', 'rules'],
      copyDataToTopLevel: true,
      handlers: {
        read: (ctx) => readPolicy(state, ctx, 'rules'),
        write: (ctx) => writePolicy(state, ctx),
        delete: (ctx) => deletePolicy(state, ctx),
      },
    },
    {
      pattern: /^policies\/acl\/?$/,
      label: 'sys/policies/acl',
      handlers: { list: () => logical({ data: { keys: state.policies.names() } }) },
    },
    {
      pattern: /^policies\/acl\/(?<name>.+)$/,
      label: 'sys/policies/acl/:name',
      fields: ['name', 'policy'],
      handlers: {
        read: (ctx) => readPolicy(state, ctx, 'policy'),
        write: (ctx) => writePolicy(state, ctx),
        delete: (ctx) => deletePolicy(state, ctx),
      },
    },
  ]
}

function mountPathOf(raw: string): string {
  return `${raw.replace(/^\/+|\/+$/g, '')}/`
}

function enableAuth(state: VaultState, ctx: RequestContext): HandlerResult {
  const relative = mountPathOf(ctx.params.path ?? '')
  let type: string
  try {
    type = fieldString('type', ctx.body.type).trim()
  } catch (error) {
    throw badRequest((error as Error).message)
  }
  const path = `auth/${relative}`
  if (relative === 'token/' || state.authMounts.has(path))
    throw badRequest(`path is already in use at ${relative}`)
  const accessor = `auth_${type}_${randomBytes(4).toString('hex')}`
  let mount: Mount
  if (type === 'kubernetes') mount = kubernetesMount(state, path, accessor)
  else if (type === 'approle') mount = appRoleMount(state, path, accessor)
  else throw badRequest(`plugin not found in the catalog: ${type}`)
  const authMount: AuthMount = { ...mount, type, accessor }
  state.authMounts.set(path, authMount)
  return EMPTY
}

function listAuth(state: VaultState): HandlerResult {
  const data: Record<string, unknown> = {
    'token/': {
      type: 'token',
      description: 'token based credentials',
      accessor: 'auth_token_dev',
      local: false,
    },
  }
  for (const [path, mount] of state.authMounts) {
    data[path.slice('auth/'.length)] = {
      type: mount.type,
      description: '',
      accessor: mount.accessor,
      local: false,
    }
  }
  return logical({ data })
}

export function sysMount(state: VaultState): Mount {
  const routes: Route[] = [
    ...policyRoutes(state),
    ...wrappingRoutes(state),
    {
      pattern: /^seal$/,
      label: 'sys/seal',
      rootProtected: true,
      handlers: {
        write: () => {
          state.sealed = true
          return EMPTY
        },
      },
    },
    {
      pattern: /^auth\/?$/,
      label: 'sys/auth',
      handlers: { read: () => listAuth(state) },
    },
    {
      pattern: /^auth\/(?<path>.+)$/,
      label: 'sys/auth/:path',
      rootProtected: true,
      fields: ['path', 'type', 'description', 'config', 'local', 'seal_wrap', 'plugin_name', 'options'],
      handlers: {
        write: (ctx) => enableAuth(state, ctx),
        delete: (ctx) => {
          const relative = mountPathOf(ctx.params.path ?? '')
          if (relative === 'token/') throw badRequest('token credential backend cannot be disabled')
          state.authMounts.delete(`auth/${relative}`)
          return EMPTY
        },
      },
    },
  ]
  return { path: 'sys/', type: 'system', routes }
}
