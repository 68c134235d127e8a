/**
 * @module
 * The Kubernetes permissions the controller's service account gets: exactly these and nothing
 * else. e2e runs kube-dev with RBAC in `enforce` mode and only these rules for the controller's
 * identity, which proves the set is sufficient; the Helm chart's ClusterRole mirrors this constant
 * (docs/configuration.md, "What Kubernetes needs").
 *
 * Discovery (`/.well-known/openid-configuration`, `/openid/v1/jwks`) needs no rule: every service
 * account may read it (`system:service-account-issuer-discovery`), and kube-dev grants the same.
 */

export interface PolicyRule {
  readonly apiGroups: readonly string[]
  readonly resources: readonly string[]
  readonly verbs: readonly string[]
}

export type IdentityMode = 'jwks' | 'token-review'

export const CONTROLLER_RBAC_RULES = {
  /**
   * Read the live pod; claim it with a conditional merge patch (issuance annotation, finalizer).
   * `list`/`watch` are for revoking on deletion (DESIGN §3.10).
   */
  pods: { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
  /** `VaultTokenIssued`, `VaultTokenDenied`, `VaultTokenDeliveryFailed` on the pod. */
  events: { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  /** Only in `token-review` identity mode. */
  tokenReviews: { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
} as const satisfies Record<string, PolicyRule>

/** The ClusterRole's rules for an identity mode. */
export function controllerRbacRules(mode: IdentityMode): PolicyRule[] {
  const rules: PolicyRule[] = [CONTROLLER_RBAC_RULES.pods, CONTROLLER_RBAC_RULES.events]
  if (mode === 'token-review') rules.push(CONTROLLER_RBAC_RULES.tokenReviews)
  return rules
}
