/**
 * @module
 * "Exactly one token": a gate shared by the callback listener and the response-body path. One
 * delivery is processed at a time; once one has been accepted (files written) every later one
 * is refused, and a delivery arriving while another is being processed is refused too rather
 * than queued, so two wrapping tokens are never unwrapped for the same pod.
 */
export class SingleDelivery {
  #state: 'open' | 'busy' | 'done' = 'open'

  /** Takes the gate; false when a delivery is in progress or already accepted. */
  tryBegin(): boolean {
    if (this.#state !== 'open') return false
    this.#state = 'busy'
    return true
  }

  /** Releases the gate; `accepted` closes it for good. */
  finish(accepted: boolean): void {
    this.#state = accepted ? 'done' : 'open'
  }

  /**
   * Opens a closed gate again: the accepted token turned out to be revoked (the controller gave
   * up on the delivery and revoked it) and its files were removed, so a new delivery may come.
   */
  reopen(): void {
    if (this.#state === 'done') this.#state = 'open'
  }

  get accepted(): boolean {
    return this.#state === 'done'
  }
}
