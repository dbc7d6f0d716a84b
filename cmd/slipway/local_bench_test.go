package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// supervisor is a Procfile runner under comparison: its command line for a directory.
type supervisor struct {
	name string
	argv []string
}

func supervisors(b *testing.B) []supervisor {
	return []supervisor{
		{"slipway", []string{e2e.Slipway(b), "local"}},
		{"foreman", []string{e2e.Foreman(b), "start"}},
		{"nf", []string{e2e.NodeForeman(b), "start"}},
	}
}

// BenchmarkLocalVsForeman compares `slipway local` with foreman (Debian's ruby-foreman) and
// node-foreman (nf, the engine of `heroku local`) on the same Procfiles, alternating, in
// the same run:
//
//   - start: from exec to the first line of each of 10 processes; the supervisor's memory
//     half a second later: resident (VmRSS, "rss-idle") and private (RssAnon, "private-idle":
//     what it alone costs; the rest of RSS is clean pages of its executable and libraries,
//     shared and reclaimable);
//   - lines: 4 processes write 250,000 lines each (the test binary's generator, lines of 0 to
//     2,000 characters in chunks that split lines, stdout and stderr alternating); lines per
//     second through the supervisor, lines lost or damaged ("lost"; node-foreman wraps long
//     lines, which damages them), and the supervisor's largest VmRSS and RssAnon sampled
//     every 20 ms from its first line on ("rss-max", "private-max").
//
// Every run's processes carry a mark; what any supervisor leaves running after it exits is
// counted ("left") and killed.
//
//	go test -run '^$' -bench LocalVsForeman -benchtime 3x -timeout 30m ./cmd/slipway
func BenchmarkLocalVsForeman(b *testing.B) {
	sups := supervisors(b)
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}

	b.Run("start-10", func(b *testing.B) {
		var procfile strings.Builder
		for i := range 10 {
			fmt.Fprintf(&procfile, "p%d: echo ready; exec sleep 600\n", i)
		}
		dir := benchApp(b, procfile.String())
		start := map[string]time.Duration{}
		rss, private := map[string]int{}, map[string]int{}
		left := map[string]int{}
		for b.Loop() {
			for _, s := range sups {
				r := runSupervisor(b, s, dir, func(line string) bool { return strings.HasSuffix(line, "ready") }, 10)
				start[s.name] += r.elapsed
				rss[s.name] = max(rss[s.name], r.atEnd.rss)
				private[s.name] = max(private[s.name], r.atEnd.private)
				left[s.name] += r.left
			}
		}
		for _, s := range sups {
			b.ReportMetric(float64(start[s.name].Microseconds())/1000/float64(b.N), s.name+"-ms")
			b.ReportMetric(float64(rss[s.name])/1024, s.name+"-rss-idle-MB")
			b.ReportMetric(float64(private[s.name])/1024, s.name+"-private-idle-MB")
			b.ReportMetric(float64(left[s.name]), s.name+"-left")
		}
		b.ReportMetric(float64(start["slipway"])/float64(start["foreman"]), "ratio-vs-foreman")
		b.ReportMetric(float64(start["slipway"])/float64(start["nf"]), "ratio-vs-nf")
	})

	b.Run("lines-1M", func(b *testing.B) {
		const perProcess = 250_000
		var procfile strings.Builder
		for g := 1; g <= 4; g++ {
			fmt.Fprintf(&procfile, "g%d: SLIPWAY_LOCAL_GENERATOR=lines:%d:%d %q\n", g, g, perProcess, self)
		}
		dir := benchApp(b, procfile.String())
		rate := map[string]float64{}
		lost := map[string]int{}
		rss, private := map[string]int{}, map[string]int{}
		left := map[string]int{}
		for b.Loop() {
			for _, s := range sups {
				var mu sync.Mutex
				next := map[string]int{}
				good := 0
				r := runSupervisor(b, s, dir, func(line string) bool {
					// Each tool has its own prefix; the text after "| " is the process's.
					_, text, ok := strings.Cut(line, "| ")
					if !ok {
						return false
					}
					text = strings.TrimLeft(text, " ") // nf pads after the bar
					if text == "done" {
						return true
					}
					g, rest, ok := strings.Cut(text, " ")
					k, _, _ := strings.Cut(rest, " ")
					n, err := strconv.Atoi(k)
					if !ok || err != nil || len(g) != 2 || g[0] != 'g' {
						return false
					}
					mu.Lock()
					defer mu.Unlock()
					// Whole and in order (a damaged line is not counted, nor are the ones after it
					// counted twice).
					if text == genLine(g[1:], n) && n > next[g] {
						good++
						next[g] = n
					}
					return false
				}, 4)
				rate[s.name] += float64(good) / r.elapsed.Seconds()
				lost[s.name] += 4*perProcess - good
				rss[s.name] = max(rss[s.name], r.peak.rss)
				private[s.name] = max(private[s.name], r.peak.private)
				left[s.name] += r.left
			}
		}
		for _, s := range sups {
			b.ReportMetric(rate[s.name]/float64(b.N), s.name+"-lines/s")
			b.ReportMetric(float64(lost[s.name]), s.name+"-lost")
			b.ReportMetric(float64(rss[s.name])/1024, s.name+"-rss-max-MB")
			b.ReportMetric(float64(private[s.name])/1024, s.name+"-private-max-MB")
			b.ReportMetric(float64(left[s.name]), s.name+"-left")
		}
		b.ReportMetric(rate["slipway"]/rate["foreman"], "speedup-vs-foreman")
		b.ReportMetric(rate["slipway"]/rate["nf"], "speedup-vs-nf")
	})
}

func benchApp(b *testing.B, procfile string) string {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

type supervised struct {
	elapsed     time.Duration // from exec to the want'th matching line
	atEnd, peak memory        // the supervisor's memory half a second later, and the largest sampled
	left        int           // processes of the run still there after the supervisor exited
}

// memory is a process's resident and private (anonymous) memory in KiB.
type memory struct{ rss, private int }

// runSupervisor runs s in dir until want lines satisfied match (or a minute passes without
// a line), then interrupts it as a user would (Ctrl-C) and waits for it.
func runSupervisor(b *testing.B, s supervisor, dir string, match func(string) bool, want int) supervised {
	b.Helper()
	mark := fmt.Sprintf("bench-%s-%d-%d", s.name, os.Getpid(), time.Now().UnixNano())
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "SLIPWAY_LOCAL_MARK="+mark)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	var res supervised
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s: %v", s.name, err)
	}
	stopSampling := make(chan struct{})
	sampled := make(chan memory)
	firstLine := make(chan struct{})
	go func() {
		// Sampled while it supervises: from its first line on, not its start-up.
		<-firstLine
		var peak memory
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			m := memoryOf(cmd.Process.Pid)
			peak = memory{max(peak.rss, m.rss), max(peak.private, m.private)}
			select {
			case <-tick.C:
			case <-stopSampling:
				sampled <- peak
				return
			}
		}
	}()
	lines := make(chan string, 1024)
	go func() {
		r := bufio.NewReaderSize(out, 1<<16)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				lines <- strings.TrimRight(line, "\r\n")
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	seen := 0
	for i := 0; seen < want; i++ {
		select {
		case line, ok := <-lines:
			if i == 0 {
				close(firstLine)
			}
			if !ok {
				b.Fatalf("%s exited before %d matching lines (%d)", s.name, want, seen)
			}
			if match(line) {
				seen++
			}
		case <-time.After(time.Minute):
			b.Logf("%s: no line for a minute; %d of %d matching lines", s.name, seen, want)
			seen = want
		}
	}
	res.elapsed = time.Since(t0)
	time.Sleep(500 * time.Millisecond) // settled
	res.atEnd = memoryOf(cmd.Process.Pid)
	close(stopSampling)
	res.peak = <-sampled
	_ = cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for range lines {
		}
	}()
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-waited
	}
	// A process that is on its way out gets a second to go.
	for i := 0; i < 50 && len(markedProcs(mark)) > 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	res.left = killMarked(mark)
	return res
}

// memoryOf reads a process's VmRSS and RssAnon (zero when it is gone).
func memoryOf(pid int) memory {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}
	}
	var m memory
	for _, l := range strings.Split(string(data), "\n") {
		name, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch name {
		case "VmRSS":
			m.rss = n
		case "RssAnon":
			m.private = n
		}
	}
	return m
}

// killMarked kills every process with mark in its environment and says how many there were.
func killMarked(mark string) int {
	pids := markedProcs(mark)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return len(pids)
}
