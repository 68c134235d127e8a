/**
 * @module
 * The Kubernetes auth method (spec §9.2): config, roles, and a login that validates the
 * service-account JWT locally (claims, optional signature, bindings) and then for real with a
 * TokenReview against the configured API server, exactly as Vault's plugin does, so vault-dev
 * and kube-dev together authenticate a service account end to end.
 */
import { createPublicKey } from 'node:crypto'
import { compactVerify, decodeJwt, type JWTPayload } from 'jose'
import { addressInCidrs } from './client-address.ts'
import { fieldBool, fieldCommaList, fieldString } from './lenient-fields.ts'
import {
  defaultTokenParams,
  issueLoginToken,
  TOKEN_PARAM_FIELDS,
  type TokenParams,
  tokenParamsData,
  updateTokenParams,
} from './login-token.ts'
import { policyGlobMatch } from './policy-names.ts'
import { EMPTY, type HandlerResult, logical, type Mount, type RequestContext, type Route } from './route.ts'
import { postTokenReview, tokenReviewAccepts } from './token-review-client.ts'
import { badRequest, notFound, permissionDenied, wrappedError } from './vault-error.ts'
import type { VaultState } from './vault-state.ts'

interface KubernetesConfig {
  kubernetesHost: string
  kubernetesCaCert: string
  tokenReviewerJwt: string
  pemKeys: string[]
  issuer: string
  disableIssValidation: boolean
  disableLocalCaJwt: boolean
  useAnnotationsAsAliasMetadata: boolean
}

interface KubernetesRole {
  boundServiceAccountNames: string[]
  boundServiceAccountNamespaces: string[]
  namespaceSelector: string
  audience: string
  aliasNameSource: 'serviceaccount_uid' | 'serviceaccount_name'
  token: TokenParams
}

const CONFIG_FIELDS = [
  'kubernetes_host',
  'kubernetes_ca_cert',
  'token_reviewer_jwt',
  'pem_keys',
  'issuer',
  'disable_iss_validation',
  'disable_local_ca_jwt',
  'use_annotations_as_alias_metadata',
] as const

const ROLE_FIELDS = [
  'name',
  'bound_service_account_names',
  'bound_service_account_namespaces',
  'bound_service_account_namespace_selector',
  'audience',
  'alias_name_source',
  ...TOKEN_PARAM_FIELDS,
] as const

const TOKEN_REVIEW_TIMEOUT_MS = 10_000

function decoded<T>(decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    throw badRequest((error as Error).message)
  }
}

function writeConfig(ctx: RequestContext, setConfig: (config: KubernetesConfig) => void): HandlerResult {
  const body = ctx.body
  const host = decoded(() => fieldString('kubernetes_host', body.kubernetes_host)).trim()
  if (host === '') throw badRequest('no host provided')
  const caCert = decoded(() => fieldString('kubernetes_ca_cert', body.kubernetes_ca_cert))
  if (caCert !== '' && !caCert.includes('-----BEGIN CERTIFICATE-----')) {
    throw badRequest('kubernetes_ca_cert must contain a PEM-encoded certificate')
  }
  const pemKeys = decoded(() => fieldCommaList('pem_keys', body.pem_keys))
  for (const pem of pemKeys) {
    try {
      createPublicKey(pem)
    } catch {
      throw badRequest('data does not contain any valid public keys')
    }
  }
  setConfig({
    kubernetesHost: host,
    kubernetesCaCert: caCert,
    tokenReviewerJwt: decoded(() => fieldString('token_reviewer_jwt', body.token_reviewer_jwt)),
    pemKeys,
    issuer: decoded(() => fieldString('issuer', body.issuer)),
    disableIssValidation:
      body.disable_iss_validation === undefined
        ? true
        : decoded(() => fieldBool('disable_iss_validation', body.disable_iss_validation)),
    disableLocalCaJwt: decoded(() => fieldBool('disable_local_ca_jwt', body.disable_local_ca_jwt)),
    useAnnotationsAsAliasMetadata: decoded(() =>
      fieldBool('use_annotations_as_alias_metadata', body.use_annotations_as_alias_metadata),
    ),
  })
  return EMPTY
}

function readConfig(config: KubernetesConfig | undefined): HandlerResult {
  if (!config) throw notFound()
  return logical({
    data: {
      kubernetes_host: config.kubernetesHost,
      kubernetes_ca_cert: config.kubernetesCaCert,
      pem_keys: config.pemKeys,
      issuer: config.issuer,
      disable_iss_validation: config.disableIssValidation,
      disable_local_ca_jwt: config.disableLocalCaJwt,
      token_reviewer_jwt_set: config.tokenReviewerJwt !== '',
      use_annotations_as_alias_metadata: config.useAnnotationsAsAliasMetadata,
    },
  })
}

function checkStarList(values: readonly string[]): void {
  if (values.length > 1 && values.includes('*')) throw badRequest('can not mix "*" with values')
}

function writeRole(roles: Map<string, KubernetesRole>, ctx: RequestContext): HandlerResult {
  const name = ctx.params.name ?? ''
  const body = ctx.body
  const existing = roles.get(name)
  const role: KubernetesRole = existing
    ? { ...existing }
    : {
        boundServiceAccountNames: [],
        boundServiceAccountNamespaces: [],
        namespaceSelector: '',
        audience: '',
        aliasNameSource: 'serviceaccount_uid',
        token: defaultTokenParams(),
      }
  if (Object.hasOwn(body, 'bound_service_account_names')) {
    role.boundServiceAccountNames = decoded(() =>
      fieldCommaList('bound_service_account_names', body.bound_service_account_names),
    )
  }
  if (Object.hasOwn(body, 'bound_service_account_namespaces')) {
    role.boundServiceAccountNamespaces = decoded(() =>
      fieldCommaList('bound_service_account_namespaces', body.bound_service_account_namespaces),
    )
  }
  if (Object.hasOwn(body, 'bound_service_account_namespace_selector')) {
    role.namespaceSelector = decoded(() =>
      fieldString('bound_service_account_namespace_selector', body.bound_service_account_namespace_selector),
    )
  }
  if (Object.hasOwn(body, 'audience')) role.audience = decoded(() => fieldString('audience', body.audience))
  if (Object.hasOwn(body, 'alias_name_source')) {
    const source = decoded(() => fieldString('alias_name_source', body.alias_name_source))
    if (source !== 'serviceaccount_uid' && source !== 'serviceaccount_name') {
      throw badRequest(`invalid alias_name_source: ${source}`)
    }
    role.aliasNameSource = source
  }
  role.token = updateTokenParams(role.token, body)
  if (role.boundServiceAccountNames.length === 0)
    throw badRequest('"bound_service_account_names" can not be empty')
  if (role.boundServiceAccountNamespaces.length === 0 && role.namespaceSelector === '') {
    throw badRequest(
      '"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set',
    )
  }
  checkStarList(role.boundServiceAccountNames)
  checkStarList(role.boundServiceAccountNamespaces)
  roles.set(name, role)
  return EMPTY
}

function readRole(roles: Map<string, KubernetesRole>, ctx: RequestContext): HandlerResult {
  const role = roles.get(ctx.params.name ?? '')
  if (!role) throw notFound()
  return logical({
    data: {
      bound_service_account_names: role.boundServiceAccountNames,
      bound_service_account_namespaces: role.boundServiceAccountNamespaces,
      bound_service_account_namespace_selector: role.namespaceSelector,
      audience: role.audience,
      alias_name_source: role.aliasNameSource,
      ...tokenParamsData(role.token),
    },
  })
}

function allowedBy(bound: readonly string[], value: string): boolean {
  return bound.some((pattern) => pattern === '*' || pattern === value || policyGlobMatch(pattern, value))
}

interface ServiceAccountClaims {
  namespace: string
  name: string
  uid: string
  secretName: string
}

function serviceAccountClaims(claims: JWTPayload): ServiceAccountClaims {
  const projected = claims['kubernetes.io']
  if (typeof projected === 'object' && projected !== null) {
    const record = projected as { namespace?: unknown; serviceaccount?: { name?: unknown; uid?: unknown } }
    return {
      namespace: String(record.namespace ?? ''),
      name: String(record.serviceaccount?.name ?? ''),
      uid: String(record.serviceaccount?.uid ?? ''),
      secretName: '',
    }
  }
  return {
    namespace: String(claims['kubernetes.io/serviceaccount/namespace'] ?? ''),
    name: String(claims['kubernetes.io/serviceaccount/service-account.name'] ?? ''),
    uid: String(claims['kubernetes.io/serviceaccount/service-account.uid'] ?? ''),
    secretName: String(claims['kubernetes.io/serviceaccount/secret.name'] ?? ''),
  }
}

function audiencesOf(claims: JWTPayload): string[] {
  if (typeof claims.aud === 'string') return [claims.aud]
  return Array.isArray(claims.aud) ? claims.aud.map(String) : []
}

async function verifySignature(jwt: string, pemKeys: readonly string[]): Promise<void> {
  for (const pem of pemKeys) {
    try {
      await compactVerify(jwt, createPublicKey(pem))
      return
    } catch {
      // Try the next key.
    }
  }
  throw wrappedError(403, 'failed to validate JWT: no known key successfully validated the token signature')
}

async function login(
  state: VaultState,
  mount: { path: string; accessor: string },
  config: KubernetesConfig | undefined,
  roles: Map<string, KubernetesRole>,
  ctx: RequestContext,
): Promise<HandlerResult> {
  const roleName = decoded(() => fieldString('role', ctx.body.role))
  if (roleName === '') throw badRequest('missing role')
  const jwt = decoded(() => fieldString('jwt', ctx.body.jwt))
  if (jwt === '') throw badRequest('missing jwt')
  const role = roles.get(roleName)
  if (!role) throw badRequest(`invalid role name "${roleName}"`)
  if (!config) throw badRequest('could not load backend configuration')
  if (
    role.token.tokenBoundCidrs.length > 0 &&
    !addressInCidrs(ctx.remoteAddress, role.token.tokenBoundCidrs)
  ) {
    throw permissionDenied()
  }

  // Step 3: the JWT itself.
  let claims: JWTPayload
  try {
    claims = decodeJwt(jwt)
  } catch (error) {
    throw wrappedError(403, `failed to parse JWT: ${(error as Error).message}`)
  }
  if (config.pemKeys.length > 0) await verifySignature(jwt, config.pemKeys)
  const nowSeconds = Math.floor(state.clock.now() / 1000)
  if (typeof claims.exp === 'number' && nowSeconds >= claims.exp) {
    throw wrappedError(403, 'token is expired (exp)')
  }
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) {
    throw wrappedError(403, 'token not valid yet (nbf)')
  }
  if (!config.disableIssValidation) {
    const expectedIssuer = config.issuer || 'kubernetes/serviceaccount'
    if (claims.iss !== expectedIssuer) throw wrappedError(403, 'invalid issuer (iss) claim')
  }
  const jwtAudiences = audiencesOf(claims)
  if (role.audience !== '' && !jwtAudiences.includes(role.audience)) {
    throw wrappedError(
      403,
      'invalid audience (aud) claim: audience claim does not match any expected audience',
    )
  }

  // Step 4: bindings.
  const account = serviceAccountClaims(claims)
  if (!allowedBy(role.boundServiceAccountNames, account.name)) {
    throw wrappedError(403, 'service account name not authorized')
  }
  if (!allowedBy(role.boundServiceAccountNamespaces, account.namespace)) {
    throw wrappedError(403, 'namespace not authorized')
  }

  // Step 5: TokenReview against the API server.
  const audiences = role.audience !== '' ? [role.audience] : jwtAudiences
  let accepted = false
  try {
    const reply = await postTokenReview({
      kubernetesHost: config.kubernetesHost,
      caCertPem: config.kubernetesCaCert,
      bearerToken: config.tokenReviewerJwt !== '' ? config.tokenReviewerJwt : jwt,
      jwt,
      audiences,
      timeoutMs: TOKEN_REVIEW_TIMEOUT_MS,
    })
    accepted = tokenReviewAccepts(reply, audiences, account)
  } catch {
    accepted = false
  }
  if (!accepted) throw permissionDenied()

  // Step 6: the token.
  const result = issueLoginToken(state, {
    mountPath: mount.path,
    mountAccessor: mount.accessor,
    params: role.token,
    metadata: {
      role: roleName,
      service_account_name: account.name,
      service_account_namespace: account.namespace,
      service_account_secret_name: account.secretName,
      service_account_uid: account.uid,
    },
    displayName: `${account.namespace}-${account.name}`,
    aliasName:
      role.aliasNameSource === 'serviceaccount_name' ? `${account.namespace}/${account.name}` : account.uid,
  })
  return logical({ auth: result.auth, warnings: result.warnings })
}

/** A Kubernetes auth mount at `path` (e.g. `auth/kubernetes/`). */
export function kubernetesMount(state: VaultState, path: string, accessor: string): Mount {
  let config: KubernetesConfig | undefined
  const roles = new Map<string, KubernetesRole>()
  const routes: Route[] = [
    {
      pattern: /^config$/,
      label: `${path}config`,
      fields: CONFIG_FIELDS,
      handlers: {
        read: () => readConfig(config),
        write: (ctx) =>
          writeConfig(ctx, (next) => {
            config = next
          }),
      },
    },
    {
      pattern: /^role\/?$/,
      label: `${path}role`,
      handlers: {
        list: () => {
          const keys = [...roles.keys()].sort()
          if (keys.length === 0) throw notFound()
          return logical({ data: { keys } })
        },
      },
    },
    {
      pattern: /^role\/(?<name>\w(?:[\w.-]*\w)?)$/,
      label: `${path}role/:name`,
      fields: ROLE_FIELDS,
      handlers: {
        read: (ctx) => readRole(roles, ctx),
        write: (ctx) => writeRole(roles, ctx),
        delete: (ctx) => {
          roles.delete(ctx.params.name ?? '')
          return EMPTY
        },
      },
    },
    {
      pattern: /^login$/,
      label: `${path}login`,
      fields: ['role', 'jwt'],
      unauthenticated: true,
      handlers: { write: (ctx) => login(state, { path, accessor }, config, roles, ctx) },
    },
  ]
  return { path, type: 'kubernetes', routes }
}
