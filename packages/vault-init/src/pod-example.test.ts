import { readFileSync } from 'node:fs'
import { DEFAULT_OUTPUT_DIR } from '@vault-controller/protocol'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { parseConfig, parseSidecarConfig } from './config.ts'

// The documented example (docs/examples/pod-with-vault-init.yaml) must stay a valid Pod and Job
// whose containers configure vault-init correctly. yaml and kubernetes-models are the
// workspace root's dev dependencies (as for the chart tests).
const EXAMPLE = new URL('../../../docs/examples/pod-with-vault-init.yaml', import.meta.url)

type Env = { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[]
type Container = {
  name: string
  restartPolicy?: string
  args?: string[]
  env?: Env
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]
}
type PodSpec = {
  restartPolicy?: string
  initContainers: Container[]
  containers: Container[]
  volumes: {
    name: string
    emptyDir?: { medium?: string }
    projected?: { sources: { serviceAccountToken?: { audience: string; expirationSeconds: number } }[] }
  }[]
}
type PodLike = { metadata: { annotations: Record<string, string> }; spec: PodSpec }

const [podDoc, jobDoc] = parseAllDocuments(readFileSync(EXAMPLE, 'utf8')).map((doc) => doc.toJSON())
const FIELDS: Record<string, string> = {
  'metadata.name': 'web',
  'metadata.namespace': 'shop',
  'status.podIP': '10.0.0.7',
}

/** The container's environment as the kubelet would set it. */
function envOf(container: Container): Record<string, string> {
  return Object.fromEntries(
    (container.env ?? []).map((v) => [
      v.name,
      v.value ?? FIELDS[v.valueFrom?.fieldRef.fieldPath ?? ''] ?? '',
    ]),
  )
}

describe('docs/examples/pod-with-vault-init.yaml', () => {
  it('is a valid Pod and a valid Job', async () => {
    const { Pod } = await import('kubernetes-models/v1/Pod')
    const { Job } = await import('kubernetes-models/batch/v1/Job')
    expect(() => new Pod(podDoc).validate()).not.toThrow()
    expect(() => new Job(jobDoc).validate()).not.toThrow()
    expect(jobDoc.spec.template.spec.restartPolicy).toBe('Never')
  })

  it.each([
    ['Pod', podDoc as PodLike],
    ['Job', jobDoc.spec.template as PodLike],
  ])('%s: init container, native sidecar, memory volume, projected token, annotations', (_, pod) => {
    expect(Object.keys(pod.metadata.annotations).sort()).toEqual([
      'vaultproject.io/policies',
      'vaultproject.io/ttl',
    ])
    const [init, sidecar, ...others] = pod.spec.initContainers
    expect(others).toEqual([])
    expect(init?.restartPolicy).toBeUndefined()
    expect(sidecar?.restartPolicy).toBe('Always')
    expect(sidecar?.args).toEqual(['sidecar'])

    const initConfig = parseConfig(envOf(init as Container))
    const sidecarConfig = parseSidecarConfig(envOf(sidecar as Container))
    expect(initConfig.ok && initConfig.warnings).toEqual([])
    expect(sidecarConfig.ok && sidecarConfig.warnings).toEqual([])
    expect(initConfig.ok && sidecarConfig.ok && sidecarConfig.config.outputDir).toBe(
      initConfig.ok ? initConfig.config.outputDir : 'unparsed',
    )

    const volume = pod.spec.volumes.find((v) => v.emptyDir !== undefined)
    expect(volume?.emptyDir?.medium).toBe('Memory')
    for (const container of [...pod.spec.initContainers, ...pod.spec.containers]) {
      const mount = container.volumeMounts.find((m) => m.name === volume?.name)
      expect(mount?.mountPath, container.name).toBe(DEFAULT_OUTPUT_DIR)
      // Only vault-init and its sidecar write there.
      expect(mount?.readOnly === true, container.name).toBe(!container.name.startsWith('vault-'))
    }
    const projected = pod.spec.volumes.flatMap((v) => v.projected?.sources ?? [])
    expect(projected).toEqual([
      { serviceAccountToken: { path: 'token', audience: 'vault-controller', expirationSeconds: 600 } },
    ])
  })
})
