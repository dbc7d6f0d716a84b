package kube

import (
	"context"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CanWatchEverywhere reports whether the client may list and watch pods in every
// namespace (a cluster-wide view); a user bound to one namespace's Role may not. An error
// asking is reported as false with the error.
func (c *Client) CanWatchEverywhere(ctx context.Context) (bool, error) {
	for _, verb := range []string{"list", "watch"} {
		r := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authv1.ResourceAttributes{Verb: verb, Resource: "pods"},
		}}
		res, err := c.Clientset.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, r, metav1.CreateOptions{})
		if err != nil {
			return false, c.Explain(err)
		}
		if !res.Status.Allowed {
			return false, nil
		}
	}
	return true, nil
}
