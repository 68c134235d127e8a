import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '@vault-controller/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AllowListError } from '../policy/index.ts'
import { AllowListSource, sha256Hex } from './allow-list-source.ts'
import { type ReloadLog, watchFiles } from './watch-files.ts'

const SHOP_ONLY = `rules:
  - name: shop-web
    namespaces: ["shop"]
    serviceAccounts: ["web"]
    policies: ["web"]
    ttl: { default: 1h, max: 24h }
`
const SHOP_AND_BATCH = `${SHOP_ONLY}  - name: batch
    namespaces: ["batch"]
    serviceAccounts: ["job"]
    policies: ["batch-reader"]
    ttl: { default: 1h, max: 2h }
`
const GRANTS_EVERYTHING = `rules:
  - name: everything
    namespaces: ["*"]
    serviceAccounts: ["*"]
    policies: ["*"]
    ttl: { default: 1h, max: 24h }
`

interface LogLine {
  level: string
  fields: Record<string, unknown>
  message: string
}

function recordingLog(): ReloadLog & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: string) => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message })
  }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

let dir: string
const sources: AllowListSource[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'allow-list-reload-'))
})

afterEach(() => {
  for (const source of sources.splice(0)) source.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A source on `file`, watched with events only (the poll is too slow to matter) unless told. */
function watched(file: string, options: { intervalMs?: number; events?: boolean } = {}) {
  const log = recordingLog()
  const source = new AllowListSource(file, readFileSync(file, 'utf8'))
  sources.push(source)
  const reloads: string[] = []
  source.watch({
    intervalMs: options.intervalMs ?? 60_000,
    log,
    debounceMs: 20,
    onReload: (outcome) => reloads.push(outcome),
    ...(options.events === undefined ? {} : { events: options.events }),
  })
  return { source, log, reloads }
}

const grantsBatch = (source: AllowListSource) => source.current().findRule('batch', 'job') !== undefined

describe('AllowListSource', () => {
  it('refuses an invalid file at start', () => {
    expect(() => new AllowListSource('/x.yaml', GRANTS_EVERYTHING)).toThrow(AllowListError)
  })

  it('applies a changed file; a request holding the previous allow-list keeps its rules', async () => {
    const file = join(dir, 'allow-list.yaml')
    writeFileSync(file, SHOP_ONLY)
    const { source, log, reloads } = watched(file)
    const inFlight = source.current()
    expect(source.status()).toEqual({ sha256: sha256Hex(SHOP_ONLY), generation: 1, rules: 1 })

    writeFileSync(file, SHOP_AND_BATCH)
    await waitFor(() => grantsBatch(source), { description: 'the new rules' })

    expect(source.status()).toEqual({ sha256: sha256Hex(SHOP_AND_BATCH), generation: 2, rules: 2 })
    expect(inFlight.findRule('batch', 'job')).toBeUndefined()
    expect(inFlight.findRule('shop', 'web')?.name).toBe('shop-web')
    expect(reloads).toEqual(['applied'])
    const line = log.lines.find((entry) => entry.message === 'allow-list reloaded')
    expect(line).toMatchObject({
      level: 'info',
      fields: { file, rules: 2, sha256: sha256Hex(SHOP_AND_BATCH), generation: 2 },
    })
    // The hash, never the content.
    expect(JSON.stringify(log.lines)).not.toContain('batch-reader')
  })

  it('keeps the rules in force when the new file is invalid, says why once, and applies the fix', async () => {
    const file = join(dir, 'allow-list.yaml')
    writeFileSync(file, SHOP_ONLY)
    const { source, log, reloads } = watched(file)
    const before = source.current()

    writeFileSync(file, GRANTS_EVERYTHING)
    const refusal = await waitFor(() => log.lines.find((entry) => entry.level === 'error'))
    expect(refusal.message).toMatch(/^allow-list rejected; the previous rules stay in force: /)
    expect(refusal.message).toContain('rules[0] (everything): policies[0]: "*" would match "root"')
    expect(refusal.fields).toMatchObject({
      file,
      sha256: sha256Hex(GRANTS_EVERYTHING),
      inForce: { sha256: sha256Hex(SHOP_ONLY), generation: 1 },
    })
    expect(source.current()).toBe(before)
    expect(source.current().findRule('other', 'any')).toBeUndefined()

    // The same refused content again (an event, a poll): not reported again.
    expect(await source.reload()).toBe('unchanged')
    expect(log.lines.filter((entry) => entry.level === 'error')).toHaveLength(1)
    expect(reloads).toEqual(['rejected'])

    writeFileSync(file, SHOP_AND_BATCH)
    await waitFor(() => grantsBatch(source), { description: 'the fixed file' })
    expect(source.status().generation).toBe(2)
  })

  it('keeps the rules in force while the file is missing, and says so once', async () => {
    const file = join(dir, 'allow-list.yaml')
    writeFileSync(file, SHOP_ONLY)
    const { source, log } = watched(file)
    rmSync(file)
    const missing = await waitFor(() => log.lines.find((entry) => entry.level === 'error'))
    expect(missing).toMatchObject({ fields: { file, err: 'ENOENT' } })
    expect(await source.reload()).toBe('unchanged')
    expect(log.lines.filter((entry) => entry.level === 'error')).toHaveLength(1)
    expect(source.current().findRule('shop', 'web')?.name).toBe('shop-web')
  })

  it('follows a ConfigMap volume update (the ..data symlink swapped to a new directory), twice', async () => {
    // The kubelet's layout: allow-list.yaml -> ..data/allow-list.yaml, ..data -> ..<timestamp>/
    const version = (name: string, content: string) => {
      mkdirSync(join(dir, name))
      writeFileSync(join(dir, name, 'allow-list.yaml'), content)
    }
    const swapTo = (name: string, previous: string) => {
      symlinkSync(name, join(dir, '..data_tmp'))
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
      rmSync(join(dir, previous), { recursive: true })
    }
    version('..2026_01_01_00_00_00.1', SHOP_ONLY)
    symlinkSync('..2026_01_01_00_00_00.1', join(dir, '..data'))
    const file = join(dir, 'allow-list.yaml')
    symlinkSync('..data/allow-list.yaml', file)
    const { source } = watched(file)

    version('..2026_01_01_00_01_00.2', SHOP_AND_BATCH)
    swapTo('..2026_01_01_00_01_00.2', '..2026_01_01_00_00_00.1')
    await waitFor(() => grantsBatch(source), { description: 'the first update' })

    // A watch on the file's inode would have gone quiet after the first swap.
    version('..2026_01_01_00_02_00.3', SHOP_ONLY)
    swapTo('..2026_01_01_00_02_00.3', '..2026_01_01_00_01_00.2')
    await waitFor(() => !grantsBatch(source), { description: 'the second update' })
    expect(source.status().generation).toBe(3)
  })

  it('polls when no file-system event comes', async () => {
    const file = join(dir, 'allow-list.yaml')
    writeFileSync(file, SHOP_ONLY)
    const { source } = watched(file, { events: false, intervalMs: 50 })
    writeFileSync(file, SHOP_AND_BATCH)
    await waitFor(() => grantsBatch(source), { description: 'the poll' })
  })
})

describe('watchFiles', () => {
  it('never runs two checks at once, and runs none after close', async () => {
    const file = join(dir, 'watched')
    writeFileSync(file, 'a')
    let running = 0
    let overlapped = false
    let checks = 0
    const watch = watchFiles([file], {
      intervalMs: 5,
      debounceMs: 1,
      log: recordingLog(),
      onChange: async () => {
        running += 1
        overlapped ||= running > 1
        checks += 1
        await new Promise((resolve) => setImmediate(resolve))
        running -= 1
      },
    })
    writeFileSync(file, 'b')
    await Promise.all([watch.check(), watch.check(), watch.check()])
    await waitFor(() => checks >= 5, { description: 'several checks' })
    watch.close()
    const afterClose = checks
    await watch.check()
    expect(checks).toBe(afterClose)
    expect(overlapped).toBe(false)
  })
})
