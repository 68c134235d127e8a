import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
// @ts-expect-error: the bundle script is plain JavaScript without types.
import { bundleVaultInit } from '../scripts/bundle.mjs'
import { VAULT_INIT_VERSION } from './version.ts'

const run = promisify(execFile)
const dir = await mkdtemp(join(tmpdir(), 'vault-init-bundle-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('single-file bundle', () => {
  it('builds one executable ESM file that runs with nothing beside it', async () => {
    const outfile = join(dir, 'vault-init.mjs')
    await bundleVaultInit(outfile)
    const text = await readFile(outfile, 'utf8')
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true)
    // ~200 KB today (typebox ~166 KB); undici alone was ~730 KB.
    expect((await stat(outfile)).size).toBeLessThan(300_000)
    // An ESM import of node:http loads Node's internal undici at start-up (~35 ms).
    expect(text).not.toMatch(/from\s*["']node:http["']/)
    const version = await run(process.execPath, [outfile, '--version'], { cwd: dir })
    expect(version.stdout).toBe(`${VAULT_INIT_VERSION}\n`)
    const help = await run(process.execPath, [outfile, '--help'], { cwd: dir })
    expect(help.stdout).toContain('VAULT_CONTROLLER_ADDR')
    expect(help.stdout).toContain('143')
    expect(help.stdout).toContain('sidecar')
    expect(help.stdout).toContain('VAULT_INIT_MODE')
  })

  it('runs the sidecar mode from an argument or VAULT_INIT_MODE, and refuses to start without the files', async () => {
    const outfile = join(dir, 'vault-init.mjs')
    const env = { VAULT_ADDR: 'http://127.0.0.1:1', VAULT_INIT_OUTPUT_DIR: dir }
    for (const [args, extra] of [
      [['sidecar'], {}],
      [[], { VAULT_INIT_MODE: 'sidecar' }],
    ] as const) {
      const failure = await run(process.execPath, [outfile, ...args], {
        cwd: dir,
        env: { ...env, ...extra },
      }).catch((e) => e)
      expect(failure.code).toBe(7)
      expect(failure.stderr).toContain('NO_TOKEN_FILES')
      expect(failure.stderr).toContain('the vault-init init container must run')
    }
    const conflict = await run(process.execPath, [outfile, 'sidecar'], {
      cwd: dir,
      env: { ...env, VAULT_INIT_MODE: 'init' },
    }).catch((e) => e)
    expect(conflict.code).toBe(1)
    const missing = await run(process.execPath, [outfile, 'sidecar'], { cwd: dir, env: {} }).catch((e) => e)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('VAULT_ADDR: required')
    expect(missing.stderr).not.toContain('VAULT_CONTROLLER_ADDR')
  })

  it('exits 1 and names every bad variable', async () => {
    const outfile = join(dir, 'vault-init.mjs')
    const failure = await run(process.execPath, [outfile], { cwd: dir, env: { POD_NAME: 'web' } }).catch(
      (e) => e,
    )
    expect(failure.code).toBe(1)
    expect(failure.stderr).toContain('POD_NAMESPACE: required')
    expect(failure.stderr).toContain('VAULT_ADDR: required')
    expect(failure.stderr).toContain('VAULT_CONTROLLER_ADDR: required')
  })

  it('keeps the version in step with package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
    expect(pkg.version).toBe(VAULT_INIT_VERSION)
  })
})
