package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// screenshots is where the dashboard's screenshots go: SLIPWAY_SCREENSHOTS (make
// screenshots sets it to docs/), else a temporary directory, so CI renders them too.
func screenshots(t *testing.T) string {
	if d := os.Getenv("SLIPWAY_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestTUIOnSandbox runs the real binary's dashboard in tmux against the sandbox: it scales
// a type, promotes staging into production and rolls staging back, each checked through
// the API, and it rides out the API server going away and coming back. It saves a
// screenshot of each main view.
func TestTUIOnSandbox(t *testing.T) {
	sb := e2e.StartSandbox(t)
	c := clusterAt(t, sb.Kubeconfig)
	shots := screenshots(t)
	dir := sampleApp(t, "dash", nil)
	const stg, prod = "dash-staging", "dash-production"
	repo := "localhost:5000/dash"
	imgA, imgB := repo+"@"+digest('a'), repo+"@"+digest('b')

	// staging v1 (A) promoted to production, then staging v2 (B): production is behind.
	c.ok(dir, "deploy", "--image", imgA, "--version", "aaaaaaa1234")
	c.ok(dir, "promote", "staging", "production")
	c.ok(dir, "deploy", "--image", imgB, "--version", "bbbbbbb5678")
	secret := c.config(stg, "dash")["SECRET_KEY"]

	logFile := filepath.Join(t.TempDir(), "tui.log")
	tm := e2e.StartTmux(t, 140, 40, []string{"KUBECONFIG=" + c.kubeconfig, "TERM=xterm-256color"}, dir,
		e2e.Slipway(t), "tui", "--log-file", logFile)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", tm.PID()))
			t.Logf("the dashboard's log:\n%s\nits process:\n%s", b, st)
		}
	})
	wait := func(pattern string) string {
		t.Helper()
		return tm.WaitFor(regexp.MustCompile(pattern), 30*time.Second)
	}
	// It opens on the directory's app, staging beside production.
	wait(`production is 1 release behind staging`)
	wait(`(?m)^\s+worker\s+1\s+`)
	tm.Screenshot(filepath.Join(shots, "tui-app.png"))

	// Scale web from 2 to 3 with '+': the Deployment's replicas change.
	tm.Send("j", "+")
	waitFor(t, "web scaled to 3", func() bool { return c.replicas(stg, "dash-web") == 3 })
	wait(`(?m)^\s+web\s+3\s+`)

	// Pods of web.
	tm.Send("Enter")
	wait(`pods of web`)
	wait(`web\.3`)
	tm.Screenshot(filepath.Join(shots, "tui-pods.png"))
	// A key right after Escape would read as Alt+key: wait for each view to be back.
	back := func() {
		t.Helper()
		tm.Send("Escape")
		wait(`› dash \(staging\)\s+(●|disconnected|loading)`)
	}
	back()

	// Promote staging into production: the preview names what changes, then production
	// runs staging's digest.
	tm.Send("p")
	wait(`Press enter to promote`)
	screen := wait(`image\s+dash@aaaaaaaaaaaa → dash@bbbbbbbbbbbb`)
	if strings.Contains(screen, secret) {
		t.Fatalf("the promote preview shows a config value:\n%s", screen)
	}
	tm.Screenshot(filepath.Join(shots, "tui-promote.png"))
	tm.Send("Enter")
	wait(`Promote dash v2 from staging into production`)
	tm.Send("y")
	waitFor(t, "production runs staging's digest", func() bool { return c.image(prod, "dash-web") == imgB })
	wait(`✓ promote dash from staging to production`)
	tm.Send("x")
	back()
	wait(`production runs staging's current image`)

	// Roll staging back to v1: the confirmation names the image change; a new revision
	// runs v1's image.
	tm.Send("r")
	wait(`Deploy bbbbbbb`)
	tm.Send("j", "Enter")
	wait(`Roll dash \(staging\) back to v1\?`)
	wait(`image\s+dash@bbbbbbbbbbbb → dash@aaaaaaaaaaaa`)
	tm.Send("y")
	waitFor(t, "staging rolled back to v1's image", func() bool {
		return c.image(stg, "dash-web") == imgA && c.revisions(stg, "dash")[3] == "deployed"
	})
	wait(`(?m)^\s+v3\s+deployed\s+Rollback to v1`)
	tm.Screenshot(filepath.Join(shots, "tui-releases.png"))
	tm.Send("x")
	back()

	// Config: names with masked values, never a value unless revealed.
	tm.Send("c")
	screen = wait(`SECRET_KEY`)
	if strings.Contains(screen, secret) {
		t.Fatalf("the config view shows a value unasked:\n%s", screen)
	}
	back()

	// Logs of the app: the simulated nodes serve none, and the pane says so per pod.
	tm.Send("L")
	wait(`simulated`)
	back()

	// The API server goes away: the status line says so, nothing crashes. It comes back:
	// the status line clears and a change made meanwhile shows.
	sb.Kill(sandbox.KubeAPIServer)
	wait(`disconnected, retrying`)
	sb.Start(sandbox.KubeAPIServer)
	tm.WaitGone(regexp.MustCompile(`disconnected`), 60*time.Second)
	patch := []byte(`{"spec":{"replicas":2}}`)
	if _, err := c.kc.AppsV1().Deployments(stg).Patch(t.Context(), "dash-worker", types.MergePatchType, patch, metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	wait(`(?m)^\s+worker\s+2\s+`)

	// Back to the apps list.
	tm.Send("Escape")
	wait(`(?m)apps \(2\)\s+●.*\n\s+APP\s+ENV`)
	tm.Screenshot(filepath.Join(shots, "tui-apps.png"))
	// A resize to 80×24 redraws the whole screen at the new size, help bar included.
	tm.Resize(80, 24)
	wait(`(?s)apps \(2\).*dash\s+staging.*q quit`)
	tm.Send("q")
	// -1: tmux did not say the status, though the process has ended (see Tmux.WaitExit).
	if code := tm.WaitExit(30 * time.Second); code != 0 && code != -1 {
		t.Errorf("the dashboard exited %d after q", code)
	}
}
