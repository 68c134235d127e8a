/**
 * @module
 * What the Dockerfiles put in the images, checked without Docker (none on our machines or in CI):
 * - the controller: `pnpm deploy --prod` of `@vault-controller/controller`, exactly the command
 *   of services/controller/Dockerfile, into a temporary directory, which must hold no development
 *   dependency and start: `node dist/server.js --version` and `--help` load every module, and the
 *   setup command operators run from the image (`node dist/setup/cli.js --help`, docs/install.md) loads;
 * - vault-init: the single bundle, copied alone into an empty directory as the distroless image
 *   holds it, answers `--version` and `--help`.
 * Needs the build (`pnpm run build`, which `pnpm test` runs first).
 */
import { execFile } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const workDir = mkdtempSync(join(tmpdir(), 'vc-images-'))

function versionOf(packageDir: string): string {
  return (JSON.parse(readFileSync(join(ROOT, packageDir, 'package.json'), 'utf8')) as { version: string })
    .version
}

/** pnpm as the running script was started with, else the pinned one through npx. */
function pnpm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const execPath = process.env.npm_execpath
  if (execPath?.includes('pnpm') === true) return run(process.execPath, [execPath, ...args], { cwd: ROOT })
  return run('npx', ['--yes', 'pnpm@10.34.8', ...args], { cwd: ROOT })
}

/**
 * `pnpm deploy` rewrites the workspace's install state (node_modules/.pnpm-workspace-state-v1.json)
 * with its own settings (no dev dependencies…), after which every `pnpm run`/`exec` in the
 * workspace refuses to start (`verifyDepsBeforeRun`) until `pnpm install`. Put it back.
 */
async function deployKeepingWorkspaceState(args: string[]): Promise<void> {
  const state = join(ROOT, 'node_modules', '.pnpm-workspace-state-v1.json')
  const saved = existsSync(state) ? readFileSync(state) : undefined
  try {
    await pnpm(['deploy', ...args])
  } finally {
    if (saved !== undefined) writeFileSync(state, saved)
  }
}

function requireBuilt(path: string): void {
  if (!existsSync(join(ROOT, path))) throw new Error(`${path} is missing: run \`pnpm run build\` first`)
}

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true })
})

describe('controller image contents (pnpm deploy --prod)', () => {
  const deployDir = join(workDir, 'controller')

  beforeAll(async () => {
    requireBuilt('services/controller/dist/server.js')
    requireBuilt('packages/protocol/dist/index.js')
    await deployKeepingWorkspaceState([
      '--filter',
      '@vault-controller/controller',
      '--prod',
      '--legacy',
      deployDir,
    ])
  }, 120_000)

  it('holds the compiled controller and its production dependencies only', () => {
    expect(existsSync(join(deployDir, 'dist', 'server.js'))).toBe(true)
    expect(existsSync(join(deployDir, 'node_modules', 'fastify', 'package.json'))).toBe(true)
    expect(
      existsSync(join(deployDir, 'node_modules', '@vault-controller', 'protocol', 'dist', 'index.js')),
    ).toBe(true)
    for (const development of [
      '@vault-controller/testkit',
      'selfsigned',
      'vitest',
      'typescript',
      'esbuild',
    ]) {
      expect(existsSync(join(deployDir, 'node_modules', development)), development).toBe(false)
    }
  })

  it('starts: --version and --help', async () => {
    // Loading every module takes seconds on a loaded 2-core machine: hence the 60 s.
    const server = join(deployDir, 'dist', 'server.js')
    const options = { cwd: workDir, env: { PATH: process.env.PATH ?? '' } }
    const version = await run(process.execPath, [server, '--version'], options)
    expect(version.stdout.trim()).toBe(versionOf('services/controller'))
    const help = await run(process.execPath, [server, '--help'], options)
    expect(help.stdout).toContain('VAULT_ADDR (required)')
    expect(help.stdout).toContain('ALLOW_LIST_FILE (required)')
  }, 60_000)

  it('runs the setup command from the image directory: node dist/setup/cli.js --help', async () => {
    // As `kubectl run … --command -- node dist/setup/cli.js …` does: the image's WORKDIR is the
    // deploy directory, and the relative path must resolve there.
    const dockerfile = readFileSync(join(ROOT, 'services/controller/Dockerfile'), 'utf8')
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
    expect(runtime).toMatch(/^WORKDIR \/app$/m)
    expect(runtime).toMatch(/^COPY --from=build .*\/prod\/controller \/app$/m)
    const options = { cwd: deployDir, env: { PATH: process.env.PATH ?? '' } }
    const help = await run(process.execPath, ['dist/setup/cli.js', '--help'], options)
    expect(help.stderr).toContain('usage: setup-vault --vault-addr URL')
    expect(help.stderr).toContain('--admin-token-file')
    expect(help.stderr).toContain('--controller-service-account')
  }, 60_000)
})

describe('vault-init image contents (the bundle alone)', () => {
  it('runs from an empty directory: --version and --help', async () => {
    requireBuilt('packages/vault-init/dist/vault-init.mjs')
    const imageDir = join(workDir, 'vault-init')
    const bundle = join(imageDir, 'vault-init.mjs')
    mkdirSync(imageDir)
    copyFileSync(join(ROOT, 'packages/vault-init/dist/vault-init.mjs'), bundle)
    const options = { cwd: imageDir, env: {} }
    const version = await run(process.execPath, [bundle, '--version'], options)
    expect(version.stdout.trim()).toBe(versionOf('packages/vault-init'))
    const help = await run(process.execPath, [bundle, '--help'], options)
    expect(help.stdout).toContain('VAULT_CONTROLLER_ADDR')
  }, 60_000)
})
