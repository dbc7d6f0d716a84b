package release

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/slipwayhq/slipway/platform/kube"
)

// multiError matches the "N errors occurred:\n\t* …" lists of hashicorp/go-multierror that
// Helm's errors carry.
var multiError = regexp.MustCompile(`\d+ errors? occurred:\s*\n\s*\* `)

func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timed out waiting for the condition")
}

// hooksFailed tells whether Helm's error says a hook (the release command's Job) failed.
func hooksFailed(err error) bool {
	return strings.Contains(err.Error(), "hooks failed")
}

// helmError flattens Helm's error lists into one line each.
func helmError(err error) error {
	var ue *kube.UnreachableError
	if errors.As(err, &ue) {
		return err
	}
	msg := multiError.ReplaceAllString(err.Error(), "")
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n\t* ", "; ")), " ")
	if msg == err.Error() {
		return err
	}
	return fmt.Errorf("%s", msg)
}
