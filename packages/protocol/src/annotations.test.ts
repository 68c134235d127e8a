import { describe, expect, it } from 'vitest'
import {
  eventReasons,
  ISSUANCE_ANNOTATION,
  ISSUANCE_LABEL,
  ISSUANCE_LABEL_VALUE,
  POLICIES_ANNOTATION,
  REVOKE_FINALIZER,
  TTL_ANNOTATION,
} from './annotations.ts'

// Qualified Kubernetes names: an optional DNS prefix, `/`, and a name of at most 63 characters.
const QUALIFIED_NAME = /^[a-z0-9.-]{1,253}\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/

describe('annotation keys and finalizer', () => {
  it('keep the names pods already carry', () => {
    expect(POLICIES_ANNOTATION).toBe('vaultproject.io/policies')
    expect(TTL_ANNOTATION).toBe('vaultproject.io/ttl')
    expect(ISSUANCE_ANNOTATION).toBe('vaultproject.io/issuance')
    expect(REVOKE_FINALIZER).toBe('vaultproject.io/revoke-token')
    expect(ISSUANCE_LABEL).toBe('vaultproject.io/vault-controller')
    expect(ISSUANCE_LABEL_VALUE).toBe('managed')
  })

  it.each([POLICIES_ANNOTATION, TTL_ANNOTATION, ISSUANCE_ANNOTATION, REVOKE_FINALIZER, ISSUANCE_LABEL])(
    '%s is a valid qualified name',
    (name) => {
      expect(name).toMatch(QUALIFIED_NAME)
    },
  )

  it('label value is a valid label value', () => {
    expect(ISSUANCE_LABEL_VALUE).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/)
  })

  it('name the Event reasons', () => {
    expect(Object.values(eventReasons)).toEqual([
      'VaultTokenIssued',
      'VaultTokenDenied',
      'VaultTokenDeliveryFailed',
      'VaultTokenRevoked',
      'VaultTokenRevocationDelayed',
      'VaultTokenRevocationFailed',
    ])
  })
})
