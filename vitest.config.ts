import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources in tests.
    conditions: ['source'],
  },
  test: {
    // Vitest would otherwise also pick up compiled tests in dist/.
    exclude: [...configDefaults.exclude, '**/dist/**', '**/.cache/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Loopback servers only; never through a proxy.
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
  },
})
