package gitpush

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// stopReceiver deploys until its context ends, then says it restored the environment and
// refuses the push, as the Deployer does when the server stops.
type stopReceiver struct{ started chan struct{} }

func (r *stopReceiver) Receive(ctx context.Context, p *Push, out io.Writer) error {
	fmt.Fprintln(out, "deploying")
	close(r.started)
	<-ctx.Done()
	fmt.Fprintln(out, "cancelled: the previous release is restored")
	return ctx.Err()
}

// TestServerStopsMidPush: when the server stops (its Context ends) while a push deploys, the
// receiver's refusal reaches the pusher and its git exits. Killing git receive-pack with the
// context instead ended the response without a report, and the client's git then waited for
// one forever.
func TestServerStopsMidPush(t *testing.T) {
	ts := newTestServer(t, &fakeReceiver{})
	recv := &stopReceiver{started: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ts.Receiver, ts.Context = recv, ctx
	dir, _ := workTree(t, "one")
	cmd := gitCmd(dir, "push", ts.repoURL("shop", ts.secret), "main")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-recv.started:
	case err := <-done:
		t.Fatalf("git push ended (%v) before the push was received:\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		killTree(cmd.Process.Pid)
		t.Fatalf("the push did not reach the receiver in 30 s:\n%s", out.String())
	}
	stop()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		killTree(cmd.Process.Pid)
		<-done
		t.Fatalf("git push still waits 30 s after the server stopped under it:\n%s", out.String())
	}
	got := out.String()
	if err == nil || !strings.Contains(got, "remote: cancelled: the previous release is restored") || !strings.Contains(got, "[remote rejected] main -> main (pre-receive hook declined)") {
		t.Errorf("the push should be refused with the receiver's last words (%v):\n%s", err, got)
	}
	if ref := serverRef(t, ts, "shop", "refs/heads/main"); ref != "" {
		t.Errorf("main moved to %s under a cancelled push", ref)
	}
}

// lockedBuffer is what a process writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServerStopsWhilePushWaits: a push waiting for another push of the same app when the
// server stops is refused at once, saying why.
func TestServerStopsWhilePushWaits(t *testing.T) {
	ts := newTestServer(t, &fakeReceiver{})
	recv := &stopReceiver{started: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ts.Receiver, ts.Context = recv, ctx
	first, _ := workTree(t, "one")
	second, _ := workTree(t, "two")
	start := func(dir string) (*exec.Cmd, *lockedBuffer, chan error) {
		cmd := gitCmd(dir, "push", ts.repoURL("shop", ts.secret), "main")
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			select {
			case <-done:
			default:
				killTree(cmd.Process.Pid)
				<-done
			}
		})
		return cmd, out, done
	}
	_, _, done1 := start(first)
	<-recv.started
	_, out2, done2 := start(second)
	waitFor(t, "the second push to wait", func() bool { return strings.Contains(out2.String(), "waiting for the push in progress") })
	stop()
	for i, done := range []chan error{done1, done2} {
		select {
		case err := <-done:
			done <- err
		case <-time.After(30 * time.Second):
			t.Fatalf("push %d still runs 30 s after the server stopped", i+1)
		}
	}
	got := out2.String()
	if !strings.Contains(got, "remote: the server is stopping: push again once it is back") || !strings.Contains(got, "[remote rejected] main -> main (the server is stopping") {
		t.Errorf("the waiting push should be refused saying the server stops:\n%s", got)
	}
	if ref := serverRef(t, ts, "shop", "refs/heads/main"); ref != "" {
		t.Errorf("main moved to %s", ref)
	}
}
