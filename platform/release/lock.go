package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/platform/kube"
)

// locked runs fn holding the app's deploy lock in the namespace. Before fn it recovers a
// release left pending by a client that stopped mid-operation, and returns what it did.
func (m *Manager) locked(ctx context.Context, fn func(ctx context.Context) error) (recovered string, err error) {
	holder := m.Holder
	if holder == "" {
		holder = Holder()
	}
	dur := m.LockDuration
	if dur <= 0 {
		dur = 10 * time.Second
	}
	l := &kube.Lock{Client: m.Kube, Name: "slipway-deploy-" + m.App, Holder: holder, Duration: dur, Now: m.Now, Dead: deadHere}
	if err := l.Acquire(ctx); err != nil {
		return "", err
	}
	defer func() {
		if rerr := l.Release(context.WithoutCancel(ctx)); rerr != nil && err == nil {
			err = rerr
		}
	}()
	recovered, err = m.recoverPending(holder)
	if err != nil {
		return "", err
	}
	if err := fn(ctx); err != nil {
		return recovered, err
	}
	return recovered, l.Lost()
}

// recoverPending marks a release left pending-* as failed. Holding the lock means no client
// is working on it: its own client stopped (SIGKILL, a lost connection) before it finished.
func (m *Manager) recoverPending(holder string) (string, error) {
	cfg, err := m.cfg()
	if err != nil {
		return "", err
	}
	rels, err := m.history()
	if err != nil || len(rels) == 0 {
		return "", err
	}
	var done []string
	for _, r := range rels {
		if !r.Info.Status.IsPending() {
			continue
		}
		was, desc := r.Info.Status, r.Info.Description
		r.Info.Status = release.StatusFailed
		r.Info.Description = fmt.Sprintf("Interrupted: %s (left %s; recovered by %s)", desc, was, holder)
		if err := cfg.Releases.Update(r); err != nil {
			return "", m.Kube.Explain(fmt.Errorf("recover v%d, left %s: %w", r.Version, was, err))
		}
		done = append(done, fmt.Sprintf("v%d (%s) was left %s by a client that stopped; marked it failed", r.Version, desc, was))
	}
	return strings.Join(done, "; "), nil
}

// deadHere tells whether a lock holder named "user@host pid N" is a process of this machine
// that no longer runs.
func deadHere(holder string) bool {
	at := strings.LastIndex(holder, "@")
	sp := strings.LastIndex(holder, " pid ")
	if at < 0 || sp < at {
		return false
	}
	host, _ := os.Hostname()
	if holder[at+1:sp] != host {
		return false
	}
	pid, err := strconv.Atoi(holder[sp+len(" pid "):])
	if err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
