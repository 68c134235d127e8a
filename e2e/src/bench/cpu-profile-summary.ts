/**
 * @module
 * A V8 CPU profile (`node --cpu-prof`, a `.cpuprofile` file) summarised as text: the functions
 * with the most self time, and self time by package (`node_modules/<name>`, `node:` internals,
 * our own code), so docs/performance.md can say where a controller's CPU goes.
 *
 * @example
 * node e2e/dist/bench/cpu-profile-summary.js /tmp/prof/CPU.*.cpuprofile
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

/** Where a frame's code lives: a package, Node's internals, the workspace, or V8 itself. */
export function packageOf(url: string): string {
  if (url === '') return '(V8: gc, idle, native)'
  if (url.startsWith('node:')) return 'node: internals'
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url)
  if (match?.[1] !== undefined) return match[1]
  const workspace = /\/(services|packages)\/([^/]+)\//.exec(url)
  return workspace === null ? url : `${workspace[1]}/${workspace[2]}`
}

export function summariseProfile(profile: CpuProfile, top = 25): string {
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  const parentOf = new Map<number, ProfileNode>()
  const nodesById = new Map(profile.nodes.map((node) => [node.id, node]))
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node)
  /** The nearest caller outside Node's internals: whose work a `node:` frame was doing. */
  const callerPackage = (node: ProfileNode): string => {
    for (let at: ProfileNode | undefined = node; at !== undefined; at = parentOf.get(at.id)) {
      const pkg = packageOf(at.callFrame.url)
      if (pkg !== 'node: internals' && pkg !== '(V8: gc, idle, native)') return pkg
    }
    return packageOf(node.callFrame.url)
  }
  const byCaller = new Map<string, number>()
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  let busyUs = 0
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    if (us === 0 || node.callFrame.functionName === '(idle)') continue
    busyUs += us
    const { functionName, url, lineNumber } = node.callFrame
    const where =
      url === ''
        ? ''
        : ` ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(services|packages)\//, '$1/')}:${lineNumber + 1}`
    const key = `${functionName || '(anonymous)'}${where}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
    const pkg = packageOf(url)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
    const caller = callerPackage(nodesById.get(node.id) ?? node)
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + us)
  }
  const percent = (us: number) => `${((us * 100) / busyUs).toFixed(1).padStart(5)} %`
  const lines = [
    `busy ${(busyUs / 1000).toFixed(0)} ms of ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms profiled`,
    '',
    'self time by package:',
  ]
  for (const [pkg, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15))
    lines.push(`  ${percent(us)}  ${pkg}`)
  lines.push('', 'self time by the package that asked for it (Node internals charged to their caller):')
  for (const [pkg, us] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 15))
    lines.push(`  ${percent(us)}  ${pkg}`)
  lines.push('', `top ${top} functions by self time:`)
  for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${percent(us)}  ${key}`)
  return lines.join('\n')
}

if (process.argv[1]?.endsWith('cpu-profile-summary.js')) {
  for (const file of process.argv.slice(2)) {
    process.stdout.write(
      `${file}\n${summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)}\n\n`,
    )
  }
}
