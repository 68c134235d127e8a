/**
 * @module
 * The messages between the bench (parent) and its load-generator workers (child processes, over
 * the IPC channel of `fork`). Pods are numbered by the parent; a worker only ever holds the
 * identity tokens of the pods it plays, and never sends a token back.
 */

/** One simulated pod, as a worker plays it. */
export interface BenchPod {
  id: number
  namespace: string
  name: string
  uid: string
  serviceAccount: string
  /** Its own loopback address: the callback listener binds `ip:9443`. */
  ip: string
  hostIp: string
  nodeName: string
  /** The projected service-account token (TokenRequest, bound to the pod). */
  jwt: string
}

/** Who issues: the controller (`POST /v1/token`), or the worker itself (`floor`). */
export type IssueMode = 'controller' | 'floor'

export type ParentMessage =
  | {
      t: 'init'
      vaultAddr: string
      certPem: string
      keyPem: string
      certSha256: string
      /** A token from the controller's own policy: what the floor mints with. */
      floorVaultToken: string
      tokenRole: string
      wrapTtlSeconds: number
      periodSeconds: number
      /** How long one pod keeps asking (retries included) before it counts as a failure. */
      deadlineMs: number
    }
  | { t: 'listen'; pods: BenchPod[] }
  | { t: 'forget'; ids: number[] }
  | { t: 'issue'; mode: IssueMode; controllerUrl: string; ids: number[] }
  | { t: 'usage' }

export interface IssueResult {
  id: number
  ok: boolean
  /** Until the issuer's answer (what vault-init waits for before it exits). */
  totalMs: number
  /** Until the pod held its unwrapped token (its listener answered the delivery); -1 if never. */
  heldMs: number
  attempts: number
  /** The last error code or message, on failure. */
  error?: string
}

export type WorkerMessage =
  | { t: 'ready' }
  | { t: 'listening'; failed: number }
  | { t: 'forgotten' }
  | { t: 'results'; results: IssueResult[] }
  | { t: 'usage'; cpuMs: number; peakRssMb: number }
