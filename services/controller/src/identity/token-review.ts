/**
 * @module
 * The alternative identity mode: ask the API server (TokenReview) instead of verifying the token
 * locally, for clusters that do not expose OIDC discovery. One API call per request; the API server
 * also refuses tokens whose pod is gone. The controller's service account needs `create` on
 * `tokenreviews`.
 *
 * @see specs/kubernetes-api.md §7.
 */
import { BrokerError } from '../errors.ts'
import type { KubeClient } from '../kube/kube-client.ts'
import type { Secret } from '../secret.ts'
import { type PodIdentity, type PodTokenVerifier, parseServiceAccountUsername } from './pod-identity.ts'

const POD_NAME_KEY = 'authentication.kubernetes.io/pod-name'
const POD_UID_KEY = 'authentication.kubernetes.io/pod-uid'

export function createTokenReviewVerifier(options: {
  kube: Pick<KubeClient, 'reviewToken'>
  audience: string
}): PodTokenVerifier {
  return {
    async verify(token: Secret): Promise<PodIdentity> {
      const review = await options.kube.reviewToken(token.reveal(), [options.audience])
      if (!review.authenticated) {
        throw new BrokerError('VC_IDENTITY_INVALID', 'the identity token was not accepted by the cluster')
      }
      if (!review.audiences.includes(options.audience)) {
        throw new BrokerError(
          'VC_IDENTITY_WRONG_AUDIENCE',
          "the identity token is not for the controller's audience",
        )
      }
      const account = parseServiceAccountUsername(review.username)
      const podName = review.extra[POD_NAME_KEY]?.[0]
      const podUid = review.extra[POD_UID_KEY]?.[0]
      if (account === undefined || review.uid === '') {
        throw new BrokerError('VC_IDENTITY_INVALID', 'the identity token does not name a service account')
      }
      if (podName === undefined || podUid === undefined) {
        throw new BrokerError(
          'VC_IDENTITY_INVALID',
          'the identity token is not bound to a pod (use a projected service-account token)',
        )
      }
      return {
        namespace: account.namespace,
        podName,
        podUid,
        serviceAccount: account.name,
        serviceAccountUid: review.uid,
      }
    },
  }
}
