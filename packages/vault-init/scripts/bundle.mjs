/**
 * Bundles vault-init into one ESM file, dist/vault-init.mjs, with every dependency inlined, so
 * the init-container image needs Node and this file only. Run: `pnpm --filter @vault-controller/vault-init bundle`.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** Builds the bundle to `outfile`; shared with the bundle test. */
export async function bundleVaultInit(outfile) {
  return build({
    entryPoints: [fileURLToPath(new URL('../src/cli.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    conditions: ['source'],
    minify: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = fileURLToPath(new URL('../dist/vault-init.mjs', import.meta.url))
  const result = await bundleVaultInit(outfile)
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0)
  process.stdout.write(`${outfile} (${Math.round(bytes / 1024)} KiB)\n`)
}
