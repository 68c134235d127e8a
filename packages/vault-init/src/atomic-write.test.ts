import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fsyncDirectory, writeFileAtomic } from './atomic-write.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-init-atomic-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('writeFileAtomic', () => {
  it('writes exactly the content with the exact mode, then fsyncs the directory', async () => {
    const synced: string[] = []
    const path = join(dir, 'token')
    await writeFile(path, 'old content that is longer')
    await writeFileAtomic(path, 'hvs.new', {
      mode: 0o600,
      syncDirectory: async (directory) => {
        synced.push(directory)
        await fsyncDirectory(directory)
      },
    })
    expect(await readFile(path, 'utf8')).toBe('hvs.new')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(synced).toEqual([dir])
    expect(await readdir(dir)).toEqual(['token'])
  })

  it('sets modes the umask would strip', async () => {
    const previous = process.umask(0o077)
    try {
      await writeFileAtomic(join(dir, 'secret.json'), '{}\n', { mode: 0o640 })
    } finally {
      process.umask(previous)
    }
    expect((await stat(join(dir, 'secret.json'))).mode & 0o777).toBe(0o640)
  })

  it('leaves no temporary file behind when the rename fails', async () => {
    await mkdir(join(dir, 'token'))
    await writeFile(join(dir, 'token', 'keep'), 'x')
    await expect(writeFileAtomic(join(dir, 'token'), 'hvs.x', { mode: 0o600 })).rejects.toThrow()
    expect(await readdir(dir)).toEqual(['token'])
  })

  it('fails when the directory does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'token'), 'x', { mode: 0o600 })).rejects.toMatchObject({
      code: 'ENOENT',
    })
  })
})
