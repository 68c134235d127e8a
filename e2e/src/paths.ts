/**
 * @module
 * Where the built artifacts live. e2e runs what was built (`dist/`), never sources,
 * so a missing build step shows up here instead of in production.
 */
import { fileURLToPath } from 'node:url'

/** The repository root (this file is `e2e/{src,dist}/paths.*`). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export const artifacts = {
  vaultDev: `${repoRoot}packages/testkit/dist/bin/vault-dev.js`,
  kubeDev: `${repoRoot}packages/testkit/dist/bin/kube-dev.js`,
  controller: `${repoRoot}services/controller/dist/server.js`,
  /** The single-file bundle that ships in the init container image. */
  vaultInit: `${repoRoot}packages/vault-init/dist/vault-init.mjs`,
  /** The README's demo and the benchmark, as `pnpm demo` / `pnpm bench` run them. */
  demo: `${repoRoot}e2e/dist/demo.js`,
  bench: `${repoRoot}e2e/dist/bench/bench.js`,
} as const
