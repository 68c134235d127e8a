/**
 * @module
 * What a process has cost, read from the outside the way `top` and `ps` do (Linux `/proc`): CPU
 * time (user + system, `/proc/<pid>/stat`) and memory (`VmRSS`, and `VmHWM`, the peak resident
 * set, from `/proc/<pid>/status`). The bench reads the controller this way so the controller
 * needs no instrumentation of its own.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface ProcessSample {
  /** User + system CPU time so far, milliseconds. */
  cpuMs: number
  /** Resident set now, MiB. */
  rssMb: number
  /** Peak resident set so far (`VmHWM`), MiB. */
  peakRssMb: number
}

let clockTicks: number | undefined

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** CPU time and memory of process `pid`. */
export function sampleProcess(pid: number): ProcessSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: fields count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the name and state.
  const ticks = Number(fields[11]) + Number(fields[12])
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return {
    cpuMs: (ticks * 1000) / ticksPerSecond(),
    rssMb: statusKb(status, 'VmRSS') / 1024,
    peakRssMb: statusKb(status, 'VmHWM') / 1024,
  }
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return match?.[1] === undefined ? 0 : Number(match[1])
}
