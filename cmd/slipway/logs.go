package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/logs"
)

type logsOptions struct {
	process    string
	tail       int64
	since      time.Duration
	follow     bool
	timestamps bool
	events     bool
	format     string
}

func newLogsCmd(g *globals) *cobra.Command {
	o := &logsOptions{}
	c := &cobra.Command{
		Use:   "logs",
		Short: "Show the app's logs in an environment: every process, or one type (-p)",
		Long: `Logs shows the log lines of the app's pods in the environment (-e, default staging), each
prefixed with its process instance (web.1, web.2: a number kept while the pod lives), the
last --tail lines of each container merged in time order. -p TYPE shows one process type;
-p release the release command's Job (a migration that ran during a deploy), -p cron the
cron jobs' runs. --events interleaves Kubernetes' warnings about the app's objects, in
words: failed probes, crash loop back-off, image pulls, scheduling, refused pods, failed Jobs.

With -f it follows until Ctrl-C: across deploys, restarts and scaling, new pods join as
soon as their container starts and gone pods leave; a stream the cluster ends while the
container still runs is reopened after the last line shown. -o json prints one JSON object
per line, with the pod and container.`,
		Example: "  slipway logs\n  slipway logs -p web -f\n  slipway logs -p release\n  slipway logs --since 10m -o json",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.format != "text" && o.format != "json" {
				return usageError{fmt.Errorf("-o %s: expected text or json", o.format)}
			}
			if o.since < 0 {
				return usageError{fmt.Errorf("--since %s: must not be negative", o.since)}
			}
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			p := &logPrinter{g: g, o: o, colours: map[string]int{}}
			r := &logs.Reader{Kube: t.Kube, Line: p.line, Notice: p.notice}
			return r.Read(c.Context(), logs.Options{App: t.Name, Process: o.process, Tail: o.tail, Since: o.since, Follow: o.follow, Events: o.events})
		},
	}
	f := c.Flags()
	f.StringVarP(&o.process, "process", "p", "", "only this process type (or release, cron)")
	f.Int64Var(&o.tail, "tail", 100, "the last N lines of each container (-1: all)")
	f.DurationVar(&o.since, "since", 0, "only lines newer than this (10m, 2h)")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep following: new lines, new pods, restarts")
	f.BoolVar(&o.timestamps, "timestamps", false, "prefix each line with its time (RFC 3339)")
	f.BoolVar(&o.events, "events", false, "interleave Kubernetes' warnings about the app in words (failed probes, crash loops, image pulls, scheduling, refused pods)")
	f.StringVarP(&o.format, "output", "o", "text", "output format: text or json")
	return c
}

// logPrinter writes log lines on stdout and notices on stderr; the log package calls it
// one line at a time.
type logPrinter struct {
	g       *globals
	o       *logsOptions
	width   int
	colours map[string]int // process type → colour index
}

type logLineJSON struct {
	Time      time.Time `json:"time"`
	Instance  string    `json:"instance"`
	Process   string    `json:"process"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Text      string    `json:"text"`
	Event     bool      `json:"event,omitempty"`
}

func (p *logPrinter) line(l logs.Line) {
	w := p.g.streams.Out
	if p.o.format == "json" {
		b, _ := json.Marshal(logLineJSON{Time: l.Time.UTC(), Instance: l.Instance, Process: l.Process, Pod: l.Pod, Container: l.Container, Text: l.Text, Event: l.Event})
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	p.width = max(p.width, len(l.Instance))
	b := make([]byte, 0, 64+len(l.Text))
	colour := p.g.streams.OutTTY && !p.g.noColor && p.g.streams.Getenv("NO_COLOR") == ""
	if colour {
		if l.Event {
			b = append(b, "\x1b[1;31m"...) // events in bold red, as warnings
		} else {
			i, ok := p.colours[l.Process]
			if !ok {
				i = len(p.colours)
				p.colours[l.Process] = i
			}
			b = fmt.Appendf(b, "\x1b[%sm", colours[i%len(colours)])
		}
	}
	if p.o.timestamps {
		b = l.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00 ")
	}
	b = append(b, l.Instance...)
	for i := len(l.Instance); i < p.width; i++ {
		b = append(b, ' ')
	}
	b = append(b, " |"...)
	if colour {
		b = append(b, "\x1b[0m"...)
	}
	b = append(b, ' ')
	b = append(b, l.Text...)
	b = append(b, '\n')
	_, _ = w.Write(b)
}

func (p *logPrinter) notice(n logs.Notice) {
	fmt.Fprintf(p.g.streams.Err, "-- %s\n", n.Message)
}
