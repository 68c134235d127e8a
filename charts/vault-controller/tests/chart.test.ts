/**
 * @module
 * The Helm chart, rendered by a real Helm (scripts/helm.ts) over a matrix of values: `helm lint
 * --strict`; every rendered object validated against the Kubernetes schemas (`kubernetes-models`,
 * generated from Kubernetes' OpenAPI; cert-manager and Prometheus Operator models for their
 * objects) and for unknown fields (`unknown-fields.ts`); the hardened security context; RBAC equal to what e2e runs the controller with
 * (`controllerRbacRules`, imported so the two cannot drift); selectors that match the pods'
 * labels; toggles; the strict values schema; the rendered environment accepted by the
 * controller's own `loadConfig`; legacy mode on and off; and every setting of `ConfigSchema`
 * reachable from values (rendered by some case, or listed as extraEnv-only with a reason).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { controllerRbacRules } from '../../../e2e/src/harness/controller-rbac.ts'
import { ensureHelm } from '../../../scripts/helm.ts'
import { ConfigSchema, loadConfig } from '../../../services/controller/src/config.ts'
import { loadAllowList } from '../../../services/controller/src/policy/index.ts'
import { unknownFields } from './unknown-fields.ts'

const run = promisify(execFile)
const CHART = fileURLToPath(new URL('..', import.meta.url))
const NAMESPACE = 'vault-controller'

interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read field by field below
  spec?: any
  // biome-ignore lint/suspicious/noExplicitAny: ClusterRole rules, ConfigMap data, …
  [field: string]: any
}

type Values = Record<string, string>

/** The values matrix: each entry is a set of `--set` flags. */
const MATRIX: Record<string, Values> = {
  defaults: {},
  'token-review mode': { 'controller.identityMode': 'token-review' },
  'network policy': { 'networkPolicy.enabled': 'true' },
  'service monitor': { 'serviceMonitor.enabled': 'true', 'serviceMonitor.caSecret': 'vault-controller-ca' },
  'cert-manager': { 'tls.certManager.enabled': 'true', 'tls.certManager.issuerRef.name': 'cluster-ca' },
  'existing TLS secret': { 'tls.secretName': 'my-controller-tls' },
  'TLS off, approle, Vault CA': {
    'tls.enabled': 'false',
    'vault.auth.method': 'approle',
    'vault.auth.approleSecret': 'vault-approle',
    'vault.caSecret': 'vault-ca',
  },
  'token file, auth delegator': {
    'vault.auth.method': 'token',
    'vault.auth.tokenSecret': 'vault-token',
    'vault.authDelegator': 'true',
  },
  'Vault audience, no PDB, no anti-affinity': {
    'vault.auth.tokenAudience': 'vault',
    'podDisruptionBudget.enabled': 'false',
    'podAntiAffinity.enabled': 'false',
    'controller.deliveryMode': 'response-body',
    'networkPolicy.enabled': 'true',
  },
  'issuer, JWKS URL, auth mount, tuning': {
    'controller.oidcIssuer': 'https://kubernetes.default.svc.cluster.local',
    'controller.jwksUrl': 'https://kubernetes.default.svc/openid/v1/jwks',
    'vault.auth.mount': 'kubernetes-prod',
    'controller.maxConcurrentIssuances': '64',
    'controller.configReloadInterval': '30s',
  },
  // docs/migration.md: the legacy-only release, plain HTTP on the Service port the old inits call,
  // sharing the main release's ServiceAccount (the one Vault's login role binds).
  'legacy on': {
    'legacy.enabled': 'true',
    'legacy.callbackTimeout': '15s',
    'legacy.checkCallerIp': 'false',
    'tls.enabled': 'false',
    'service.port': '80',
    'serviceAccount.create': 'false',
    'serviceAccount.name': 'vault-controller',
    fullnameOverride: 'vault-controller-legacy',
    'controller.terminationGracePeriodSeconds': '60',
    'networkPolicy.enabled': 'true',
  },
  'legacy off': { 'legacy.enabled': 'false', 'legacy.callbackPort': '8080' },
}

/**
 * Settings no values case renders, reachable only through `controller.extraEnv`, with the reason
 * (values.yaml says the same beside `extraEnv`). Every other setting of ConfigSchema must be
 * rendered by some case of the matrix.
 */
const EXTRA_ENV_ONLY: Record<string, string> = {
  KUBECONFIG: 'the chart always runs the controller in-cluster, with its mounted service-account token',
  AUDIT_LOG_FILE: 'audit lines go to stdout with the logs; a file would also need a volume of your own',
}

/** The LEGACY_* variables rendered, as the controller reads them. */
function legacyEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('LEGACY_')))
}

let helm: string

function setFlags(values: Values): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`])
}

async function helmRun(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(helm, args, { cwd: CHART, maxBuffer: 16 * 1024 * 1024 })
}

async function render(values: Values, extra: string[] = []): Promise<KubeObject[]> {
  const { stdout } = await helmRun([
    'template',
    'vault-controller',
    CHART,
    '--namespace',
    NAMESPACE,
    ...setFlags(values),
    ...extra,
  ])
  return parseAllDocuments(stdout)
    .map((document) => document.toJSON() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null)
}

async function renderError(values: Values, extra: string[] = []): Promise<string> {
  try {
    await render(values, extra)
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error)
  }
  throw new Error('helm template succeeded')
}

function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1)
  return found[0] as KubeObject
}

function kinds(objects: KubeObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()
}

/** The kubernetes-models module holding an object's model class. */
function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  if (group === 'cert-manager.io') return `@kubernetes-models/cert-manager/${apiVersion}/${kind}`
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`
  return group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${apiVersion}/${kind}`
}

/**
 * Validates an object against its Kubernetes schema (types, required fields, enums) and, for
 * built-in kinds, refuses fields Kubernetes does not know; throws naming every problem.
 */
async function validateObject(object: KubeObject): Promise<void> {
  const unknown = unknownFields(object)
  if (object.apiVersion.includes('.k8s.io') || !object.apiVersion.includes('.')) {
    expect(unknown, `${object.kind}: built-in kinds are checked for unknown fields`).toBeDefined()
  }
  if (unknown !== undefined && unknown.length > 0) throw new Error(unknown.join('\n'))
  const module = (await import(modelModule(object.apiVersion, object.kind))) as Record<
    string,
    new (
      data: unknown,
    ) => { validate(): void }
  >
  const Model = module[object.kind]
  if (Model === undefined) throw new Error(`no model for ${object.apiVersion} ${object.kind}`)
  new Model(object).validate()
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value)
}

function controllerContainer(objects: KubeObject[]) {
  return only(objects, 'Deployment').spec.template.spec.containers[0]
}

/** The controller's environment as the kubelet would set it (field references filled in). */
function renderedEnv(objects: KubeObject[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const variable of controllerContainer(objects).env as { name: string; value?: string }[]) {
    env[variable.name] = variable.value ?? 'vault-controller-7d9f8-abcde'
  }
  return env
}

beforeAll(() => {
  helm = ensureHelm()
})

describe('helm lint --strict', () => {
  it.each(Object.entries(MATRIX))('%s', async (_name, values) => {
    const { stdout } = await helmRun([
      'lint',
      '--strict',
      CHART,
      '--namespace',
      NAMESPACE,
      ...setFlags(values),
    ])
    expect(stdout).toContain('0 chart(s) failed')
  })
})

describe.each(Object.entries(MATRIX))('helm template: %s', (_name, values) => {
  let objects: KubeObject[]
  beforeAll(async () => {
    objects = await render(values)
  })

  it('renders objects that the Kubernetes schemas accept', async () => {
    expect(objects.length).toBeGreaterThan(5)
    for (const object of objects) {
      await expect(validateObject(object), `${object.kind}/${object.metadata.name}`).resolves.toBeUndefined()
      if (!['ClusterRole', 'ClusterRoleBinding'].includes(object.kind)) {
        expect(object.metadata.namespace, `${object.kind} namespace`).toBe(NAMESPACE)
      }
    }
  })

  it('runs the controller hardened', () => {
    const pod = only(objects, 'Deployment').spec.template.spec
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    })
    expect(pod.automountServiceAccountToken).toBe(false)
    expect(pod.hostNetwork).toBeUndefined()
    const container = controllerContainer(objects)
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    })
    expect(container.resources.requests).toEqual({ cpu: '100m', memory: '256Mi' })
    expect(container.resources.limits).toEqual({ cpu: '2', memory: '768Mi' })
    for (const probe of ['startupProbe', 'livenessProbe'])
      expect(container[probe].httpGet.path).toBe('/livez')
    expect(container.readinessProbe.httpGet.path).toBe('/readyz')
    const port = container.ports[0]
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect(container[probe].httpGet.port).toBe(port.name)
      expect(container[probe].httpGet.scheme).toBe(values['tls.enabled'] === 'false' ? 'HTTP' : 'HTTPS')
    }
  })

  it('grants exactly the RBAC e2e runs the controller with', () => {
    const role = only(objects, 'ClusterRole')
    const mode = values['controller.identityMode'] === 'token-review' ? 'token-review' : 'jwks'
    expect(role.rules).toEqual(controllerRbacRules(mode))
    const account = only(objects, 'Deployment').spec.template.spec.serviceAccountName
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding')
    const roleRefs = bindings.map((binding) => binding.roleRef.name).sort()
    const expected = [role.metadata.name, 'system:service-account-issuer-discovery']
    if (values['vault.authDelegator'] === 'true') expected.push('system:auth-delegator')
    expect(roleRefs).toEqual(expected.sort())
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account, namespace: NAMESPACE }])
    }
    expect(objects.some((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toBe(false)
  })

  it('selects its own pods everywhere', () => {
    const deployment = only(objects, 'Deployment')
    const podLabels = deployment.spec.template.metadata.labels
    const selector = deployment.spec.selector.matchLabels
    expect(matches(selector, podLabels)).toBe(true)
    const service = only(objects, 'Service')
    expect(service.spec.selector).toEqual(selector)
    expect(service.spec.ports[0].targetPort).toBe(controllerContainer(objects).ports[0].name)
    for (const kind of ['PodDisruptionBudget', 'NetworkPolicy']) {
      for (const object of objects.filter((o) => o.kind === kind)) {
        const own = kind === 'NetworkPolicy' ? object.spec.podSelector : object.spec.selector
        expect(own.matchLabels, kind).toEqual(selector)
      }
    }
    for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
      expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true)
      expect(monitor.spec.endpoints[0].port).toBe(service.spec.ports[0].name)
    }
    const pod = deployment.spec.template.spec
    expect(pod.topologySpreadConstraints[0].labelSelector.matchLabels).toEqual(selector)
  })

  it('gives the controller a configuration it accepts, with every variable a setting', () => {
    const env = renderedEnv(objects)
    const settings = new Set(Object.keys(ConfigSchema.properties))
    for (const name of Object.keys(env)) expect(settings.has(name), name).toBe(true)
    const config = loadConfig(env)
    expect(config.identity.mode).toBe(values['controller.identityMode'] ?? 'jwks')
    expect(config.vault.auth.method).toBe(values['vault.auth.method'] ?? 'kubernetes')
    expect(config.listen.tls === undefined).toBe(values['tls.enabled'] === 'false')
    expect(config.legacy.enabled).toBe(values['legacy.enabled'] === 'true')
    expect(config.reload.intervalMs).toBe(
      values['controller.configReloadInterval'] === '30s' ? 30_000 : 10_000,
    )
    expect(config.limits.maxConcurrentIssuances).toBe(
      Number(values['controller.maxConcurrentIssuances'] ?? 256),
    )
  })

  it('mounts the allow-list as a directory and every secret read-only', () => {
    const container = controllerContainer(objects)
    const mounts = container.volumeMounts as {
      name: string
      mountPath: string
      subPath?: string
      readOnly?: boolean
    }[]
    for (const mount of mounts) {
      expect(mount.subPath, mount.name).toBeUndefined()
      if (mount.name !== 'tmp') expect(mount.readOnly, mount.name).toBe(true)
    }
    const allowList = mounts.find((mount) => mount.name === 'allow-list')
    const env = renderedEnv(objects)
    expect(env.ALLOW_LIST_FILE).toBe(`${allowList?.mountPath}/allow-list.yaml`)
    const files = Object.entries(env).filter(([name]) => name.endsWith('_FILE') || name === 'VAULT_CACERT')
    if (
      (values['vault.auth.method'] ?? 'kubernetes') === 'kubernetes' &&
      env.VAULT_AUTH_TOKEN_FILE === undefined
    ) {
      files.push(['VAULT_AUTH_TOKEN_FILE', '/var/run/secrets/kubernetes.io/serviceaccount/token'])
    }
    for (const [name, path] of files) {
      expect(
        mounts.some((mount) => path.startsWith(`${mount.mountPath}/`)),
        `${name}=${path} lies in a mounted volume`,
      ).toBe(true)
    }
  })
})

describe('toggles', () => {
  it('renders only the core objects by default', async () => {
    const objects = await render({})
    expect(kinds(objects)).toEqual([
      'ClusterRole/vault-controller',
      'ClusterRoleBinding/vault-controller',
      'ClusterRoleBinding/vault-controller-issuer-discovery',
      'ConfigMap/vault-controller-allow-list',
      'Deployment/vault-controller',
      'PodDisruptionBudget/vault-controller',
      'Service/vault-controller',
      'ServiceAccount/vault-controller',
    ])
    const deployment = only(objects, 'Deployment')
    expect(deployment.spec.replicas).toBe(2)
    expect(deployment.spec.template.spec.affinity.podAntiAffinity).toBeDefined()
    expect(only(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false)
  })

  it.each([
    ['networkPolicy.enabled', 'NetworkPolicy'],
    ['serviceMonitor.enabled', 'ServiceMonitor'],
    ['tls.certManager.enabled', 'Certificate'],
  ])('%s adds a %s', async (toggle, kind) => {
    const objects = await render({ [toggle]: 'true', 'tls.certManager.issuerRef.name': 'ca' })
    expect(objects.filter((o) => o.kind === kind)).toHaveLength(1)
  })

  it('podDisruptionBudget.enabled=false and serviceAccount.create=false remove them', async () => {
    const objects = await render({ 'podDisruptionBudget.enabled': 'false', 'serviceAccount.create': 'false' })
    expect(objects.filter((o) => ['PodDisruptionBudget', 'ServiceAccount'].includes(o.kind))).toEqual([])
  })

  it('cert-manager writes the Secret the pods mount, for the Service names', async () => {
    const objects = await render({
      'tls.certManager.enabled': 'true',
      'tls.certManager.issuerRef.name': 'ca',
    })
    const certificate = only(objects, 'Certificate')
    const volumes = only(objects, 'Deployment').spec.template.spec.volumes as {
      name: string
      secret?: { secretName: string }
    }[]
    expect(volumes.find((volume) => volume.name === 'tls')?.secret?.secretName).toBe(
      certificate.spec.secretName,
    )
    expect(certificate.spec.dnsNames).toContain(`vault-controller.${NAMESPACE}.svc`)
  })

  it('the default allow-list is empty and loads: default deny', async () => {
    const data = only(await render({}), 'ConfigMap').data['allow-list.yaml']
    expect(loadAllowList(data).rules).toEqual([])
  })

  it('an allow-list in values lands in the ConfigMap as written', async () => {
    const objects = await render({}, ['-f', `${CHART}/examples/allow-list-values.yaml`])
    const data = only(objects, 'ConfigMap').data['allow-list.yaml']
    expect(loadAllowList(data).rules.map((rule) => rule.name)).toEqual(['shop-web'])
    expect(parseAllDocuments(data)[0]?.toJSON()).toEqual({
      rules: [
        {
          name: 'shop-web',
          namespaces: ['shop'],
          serviceAccounts: ['web'],
          policies: ['web', 'shop-*'],
          ttl: { default: '1h', max: '24h' },
        },
      ],
    })
  })
})

describe('legacy protocol (docs/migration.md)', () => {
  it('legacy on: every LEGACY_ setting from values, and the controller serves the original protocol', async () => {
    const env = renderedEnv(await render(MATRIX['legacy on'] as Values))
    expect(legacyEnv(env)).toEqual({
      LEGACY_PROTOCOL: 'enabled',
      LEGACY_CALLBACK_PORT: '80',
      LEGACY_CALLBACK_TIMEOUT: '15s',
      LEGACY_CHECK_CALLER_IP: 'disabled',
    })
    expect(env.TLS_CERT_FILE).toBeUndefined()
    expect(loadConfig(env).legacy).toEqual({
      enabled: true,
      callbackPort: 80,
      callbackTimeoutMs: 15_000,
      checkCallerIp: false,
    })
  })

  it('legacy on keeps the caller-IP check by default', async () => {
    const env = renderedEnv(await render({ 'legacy.enabled': 'true', 'tls.enabled': 'false' }))
    expect(legacyEnv(env)).toEqual({
      LEGACY_PROTOCOL: 'enabled',
      LEGACY_CALLBACK_PORT: '80',
      LEGACY_CALLBACK_TIMEOUT: '10s',
      LEGACY_CHECK_CALLER_IP: 'enabled',
    })
  })

  it('legacy off (the default): LEGACY_PROTOCOL=disabled and no other LEGACY_ setting', async () => {
    for (const values of [{}, MATRIX['legacy off'] as Values]) {
      const env = renderedEnv(await render(values))
      expect(legacyEnv(env)).toEqual({ LEGACY_PROTOCOL: 'disabled' })
      expect(loadConfig(env).legacy.enabled).toBe(false)
    }
  })

  it('refuses legacy on a TLS release: the original init speaks plain HTTP', async () => {
    expect(await renderError({ 'legacy.enabled': 'true' })).toContain(
      'legacy.enabled needs tls.enabled=false',
    )
  })

  it('the legacy release reuses the main ServiceAccount, serves port 80 and may push to the pods', async () => {
    const objects = await render(MATRIX['legacy on'] as Values)
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([])
    expect(only(objects, 'Deployment').spec.template.spec.serviceAccountName).toBe('vault-controller')
    const service = only(objects, 'Service')
    expect(service.metadata.name).toBe('vault-controller-legacy')
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }])
    const egressPorts = only(objects, 'NetworkPolicy').spec.egress.flatMap(
      (rule: { ports: { port: number }[] }) => rule.ports.map((port) => port.port),
    )
    expect(egressPorts).toContain(80)
    const defaults = only(await render({ 'networkPolicy.enabled': 'true' }), 'NetworkPolicy')
    expect(JSON.stringify(defaults.spec.egress)).not.toContain('"port":80,')
  })
})

describe('every controller setting is reachable from values', () => {
  it('each ConfigSchema key is rendered by some values case, or is extraEnv-only with a reason', async () => {
    const rendered = new Set<string>()
    for (const values of Object.values(MATRIX)) {
      for (const name of Object.keys(renderedEnv(await render(values)))) rendered.add(name)
    }
    const valuesYaml = readFileSync(`${CHART}/values.yaml`, 'utf8')
    for (const key of Object.keys(ConfigSchema.properties)) {
      const reason = EXTRA_ENV_ONLY[key]
      if (reason === undefined) {
        expect(
          rendered.has(key),
          `${key}: rendered by no values case; map it or list it in EXTRA_ENV_ONLY`,
        ).toBe(true)
      } else {
        expect(rendered.has(key), `${key} is rendered: remove it from EXTRA_ENV_ONLY`).toBe(false)
        expect(reason.length).toBeGreaterThan(20)
        expect(valuesYaml, `values.yaml names ${key} beside extraEnv`).toContain(key)
      }
    }
    for (const key of Object.keys(EXTRA_ENV_ONLY)) expect(ConfigSchema.properties).toHaveProperty(key)
  }, 120_000)

  it('an extraEnv-only setting reaches the controller through controller.extraEnv', async () => {
    const env = renderedEnv(
      await render({
        'controller.extraEnv[0].name': 'AUDIT_LOG_FILE',
        'controller.extraEnv[0].value': '/tmp/audit.log',
      }),
    )
    expect(loadConfig(env).auditLogFile).toBe('/tmp/audit.log')
  })
})

describe('NOTES', () => {
  /** NOTES.txt as `helm install` prints it (a client-side dry run: no cluster). */
  async function notes(values: Values): Promise<string> {
    const { stdout } = await helmRun([
      'install',
      '--dry-run=client',
      'vault-controller',
      CHART,
      '--namespace',
      NAMESPACE,
      ...setFlags(values),
    ])
    return stdout.slice(stdout.indexOf('NOTES:'))
  }

  it('runs setup-vault from the controller image, the admin token on stdin', async () => {
    const text = await notes({ 'vault.caSecret': 'vault-ca' })
    expect(text).toContain(
      `kubectl -n ${NAMESPACE} run vault-controller-setup --rm -i --restart=Never \\\n       --image vault-controller/controller:`,
    )
    expect(text).toContain('--command -- node dist/setup/cli.js --admin-token-file /dev/stdin')
    expect(text).toContain('--ca-file /etc/vault-ca/ca.crt')
    expect(text).toContain('"secretName":"vault-ca"')
    expect(text).toContain(
      `--controller-namespace ${NAMESPACE} --controller-service-account vault-controller`,
    )
    expect(text).not.toMatch(/VAULT_TOKEN=/)
  })

  it('uses docker for approle, so the role_id and secret_id files land locally', async () => {
    const text = await notes({ 'vault.auth.method': 'approle', 'vault.auth.approleSecret': 'vault-approle' })
    expect(text).toContain('--entrypoint node \\\n       vault-controller/controller:')
    expect(text).toContain('--approle-role-id-file /out/role-id --approle-secret-id-file /out/secret-id')
    expect(text).toContain('create secret generic vault-approle')
  })

  it('warns when the legacy protocol is on', async () => {
    const text = await notes({ 'legacy.enabled': 'true', 'tls.enabled': 'false', 'service.port': '80' })
    expect(text).toContain('LEGACY PROTOCOL ON')
    expect(text).toContain(`at http://vault-controller.${NAMESPACE}.svc and pushes`)
    expect(await notes({})).not.toContain('LEGACY')
  })
})

describe('values schema', () => {
  it.each([
    [{ unknownKey: 'x' }, "additional properties 'unknownKey' not allowed"],
    [{ 'vault.auth.rol': 'x' }, "additional properties 'rol' not allowed"],
    [{ 'controller.identityMode': 'tokenreview' }, 'value must be one of'],
    [{ 'vault.addr': 'vault:8200' }, '/vault/addr'],
    [{ 'controller.requestDeadline': '30 seconds' }, '/controller/requestDeadline'],
    [{ containerPort: '443' }, '/containerPort'],
    [{ 'legacy.enable': 'true' }, "additional properties 'enable' not allowed"],
    [{ 'legacy.checkCallerIp': 'enabled' }, '/legacy/checkCallerIp'],
    [{ 'legacy.callbackTimeout': '10 seconds' }, '/legacy/callbackTimeout'],
    [{ 'controller.configReloadInterval': 'often' }, '/controller/configReloadInterval'],
  ])('refuses %j', async (values, message) => {
    expect(await renderError(values)).toContain(message)
  })

  it('names the missing Secret of the approle and token methods', async () => {
    expect(await renderError({ 'vault.auth.method': 'approle' })).toContain(
      'vault.auth.approleSecret is required',
    )
    expect(await renderError({ 'vault.auth.method': 'token' })).toContain(
      'vault.auth.tokenSecret is required',
    )
  })
})

describe('examples', () => {
  it('the application pod is a valid Pod with the pieces vault-init needs', async () => {
    const text = readFileSync(`${CHART}/examples/app-pod.yaml`, 'utf8')
    const pod = parseAllDocuments(text)[0]?.toJSON() as KubeObject
    await validateObject(pod)
    const [init, sidecar] = pod.spec.initContainers
    expect(init.restartPolicy).toBeUndefined()
    expect(sidecar.restartPolicy).toBe('Always')
    expect(sidecar.args).toEqual(['sidecar'])
    const volumes = pod.spec.volumes as { name: string; emptyDir?: { medium: string }; projected?: unknown }[]
    expect(volumes.find((v) => v.name === 'vault-token')?.emptyDir?.medium).toBe('Memory')
    expect(JSON.stringify(volumes.find((v) => v.name === 'vault-identity'))).toContain(
      '"audience":"vault-controller"',
    )
  })
})

describe('the schema check itself', () => {
  it('catches a wrong type and a misplaced field', async () => {
    const objects = await render({})
    const deployment = structuredClone(only(objects, 'Deployment'))
    deployment.spec.replicas = 'two'
    await expect(validateObject(deployment)).rejects.toThrow(/replicas must be integer/)
    const misplaced = structuredClone(only(objects, 'Deployment'))
    misplaced.spec.template.spec.containers[0].readOnlyRootFilesystem = true
    await expect(validateObject(misplaced)).rejects.toThrow(
      /containers\[0\]\.readOnlyRootFilesystem: unknown field/,
    )
  })
})
