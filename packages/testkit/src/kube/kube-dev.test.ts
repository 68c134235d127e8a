/**
 * kube-dev as a process and with TLS: the CLI prints exactly one JSON line on stdout, quickly;
 * the HTTPS mode serves a certificate client-node trusts through its CA data.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { startKubeDev } from './kube-dev.ts'

const cli = fileURLToPath(new URL('../bin/kube-dev.ts', import.meta.url))

describe('kube-dev', () => {
  it('the CLI prints one JSON line with server, token and issuer, well under 2 s', async () => {
    const started = Date.now()
    const child = spawn(
      process.execPath,
      ['--conditions=source', cli, '--port', '0', '--admin-token', 'fixed'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let stdout = ''
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8')
          if (stdout.includes('\n')) resolve(stdout)
        })
        child.once('exit', (code) => reject(new Error(`kube-dev exited with ${code}`)))
      })
      expect(Date.now() - started).toBeLessThan(2000)
      expect(line.trim().split('\n')).toHaveLength(1)
      const ready = JSON.parse(line)
      expect(ready).toEqual({
        server: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        token: 'fixed',
        issuer: 'https://kubernetes.default.svc.cluster.local',
      })
      const answer = await fetch(`${ready.server}/api/v1/namespaces/default/serviceaccounts/default`, {
        headers: { authorization: 'Bearer fixed' },
      })
      expect(answer.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
  })

  it('the CLI refuses unknown flags with exit code 2', async () => {
    const child = spawn(process.execPath, ['--conditions=source', cli, '--nope'], { stdio: 'ignore' })
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(code).toBe(2)
  })

  it('TLS: client-node trusts the self-signed certificate as cluster CA', async () => {
    const kube = await startKubeDev({ tls: true, log: () => {} })
    try {
      expect(kube.server).toMatch(/^https:/)
      expect(kube.caPem).toMatch(/BEGIN CERTIFICATE/)
      const config = new KubeConfig()
      config.loadFromOptions({
        clusters: [
          { name: 'c', server: kube.server, caData: Buffer.from(kube.caPem ?? '').toString('base64') },
        ],
        users: [{ name: 'u', token: kube.token }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      })
      const list = await config
        .makeApiClient(CoreV1Api)
        .listNamespacedServiceAccount({ namespace: 'default' })
      expect(list.items.map((item) => item.metadata?.name)).toEqual(['default'])
    } finally {
      await kube.close()
    }
  })
})
