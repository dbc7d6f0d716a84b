package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/release"
)

func newScaleCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:     "scale TYPE=N...",
		Aliases: []string{"ps:scale"},
		Short:   "Set how many pods each process type runs (instant, not a release)",
		Long: `Scale sets replica counts at once, without a new release and without a rollout; later
deploys and rollbacks keep them. TYPE=0 stops a type. An autoscaled type is changed with
'slipway autoscale' instead.`,
		Example: "  slipway scale web=3 worker=2\n  slipway ps:scale worker=0 -e production",
		Args:    argsBetween(1, -1, "one or more TYPE=N"),
		RunE: func(c *cobra.Command, args []string) error {
			counts, err := app.ParseCounts(args, app.CountRules{})
			if err != nil {
				return usageError{fmt.Errorf("scale %w", err)}
			}
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			procs, err := t.Kube.Scale(c.Context(), t.Name, counts)
			if err != nil {
				return err
			}
			var parts []string
			for _, p := range procs {
				if _, ok := counts[p.Name]; ok {
					parts = append(parts, fmt.Sprintf("%s=%d", p.Name, p.Desired))
				} else if _, ok := counts[p.Type]; ok {
					parts = append(parts, fmt.Sprintf("%s=%d", p.Name, p.Desired))
				}
			}
			fmt.Fprintf(g.streams.Out, "scaled %s in %s: %s\n", t.Name, t.Environment, strings.Join(parts, " "))
			return nil
		},
	}
	return c
}

type processJSON struct {
	Type      string    `json:"type"`
	Desired   int       `json:"desired"`
	Ready     int       `json:"ready"`
	Updated   int       `json:"updated"`
	Restarts  int       `json:"restarts"`
	Image     string    `json:"image"`
	Created   time.Time `json:"created"`
	Autoscale *struct {
		Min int `json:"min"`
		Max int `json:"max"`
		CPU int `json:"cpu"`
	} `json:"autoscale,omitempty"`
	Status string    `json:"status"`
	Pods   []podJSON `json:"pods"`
}

type podJSON struct {
	Name     string `json:"name"`
	Instance string `json:"instance"`
	Phase    string `json:"phase"`
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
	Reason   string `json:"reason,omitempty"`
	Node     string `json:"node,omitempty"`
}

func newPsCmd(g *globals) *cobra.Command {
	out := &output{}
	var typ string
	c := &cobra.Command{
		Use:   "ps [-p TYPE]",
		Short: "Show each process type: status, desired, ready and updated pods, restarts, image, age",
		Long: `Ps shows each process type of the app in the environment: how many pods it should run,
how many are ready and updated, their restarts, autoscale bounds and image, and its status in
words: up, stopped, rolling out, starting — or what keeps its pods from running, with the
cluster's reason: a crash loop (with the last exit code), OOM kills, an image that cannot be
pulled, a container that cannot be created, pods that cannot be scheduled or created.

-p TYPE lists the type's pods (web.1, web.2 …: phase, readiness, restarts, last exit, node,
age) and, for a container that has crashed, the last lines it wrote before it ended.`,
		Example: "  slipway ps\n  slipway ps -p worker\n  slipway ps -o json",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			procs, err := t.Kube.Processes(c.Context(), t.Name)
			if err != nil {
				return err
			}
			now := time.Now()
			if typ != "" {
				return psType(c.Context(), g, out, t, procs, typ, now)
			}
			empty := fmt.Sprintf("%s runs nothing in %s (namespace %s)", t.Name, t.Environment, t.Kube.Namespace)
			return out.list(g.streams, len(procs), empty, jsonProcesses(procs), func(tw *tabwriter.Writer) {
				fmt.Fprintln(tw, "TYPE\tDESIRED\tREADY\tUPDATED\tRESTARTS\tAUTOSCALE\tIMAGE\tAGE\tSTATUS")
				for _, p := range procs {
					as := "-"
					if a := p.Autoscale; a != nil {
						as = fmt.Sprintf("%d-%d @%d%% cpu", a.Min, a.Max, a.CPU)
					}
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", p.Name, p.Desired, p.Ready, p.Updated, p.Restarts, as, p.Image, age(p.Created, now), p.Status)
				}
			})
		},
	}
	out.bind(c)
	c.Flags().StringVarP(&typ, "process", "p", "", "list this process type's pods")
	return c
}

// crashLines is how many of a crashed container's last lines ps -p shows.
const crashLines = 20

// psType prints one process type's pods and why a crashed one ended.
func psType(ctx context.Context, g *globals, out *output, t *target, procs []kube.Process, typ string, now time.Time) error {
	var p *kube.Process
	var names []string
	for i := range procs {
		names = append(names, procs[i].Name)
		if procs[i].Name == typ || procs[i].Type == typ {
			p = &procs[i]
		}
	}
	if p == nil {
		if len(names) == 0 {
			return fmt.Errorf("%s runs nothing in %s (namespace %s)", t.Name, t.Environment, t.Kube.Namespace)
		}
		return usageError{fmt.Errorf("-p %s: %s has no process type %q in %s (it has %s)", typ, t.Name, typ, t.Environment, strings.Join(names, ", "))}
	}
	pj := jsonProcesses([]kube.Process{*p})[0]
	if out.format != "table" {
		return out.print(g.streams.Out, pj, nil)
	}
	fmt.Fprintf(g.streams.Out, "%s: %s (%d/%d ready)\n", p.Name, p.Status, p.Ready, p.Desired)
	if len(p.Pods) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(g.streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tPOD\tPHASE\tREADY\tRESTARTS\tNODE\tAGE\tLAST")
	for i, pod := range p.Pods {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%s\t%s\t%s\n", pj.Pods[i].Instance, pod.Name, pod.Phase, pod.Ready, pod.Restarts, cmp.Or(pod.Node, "-"), age(pod.Created, now), cmp.Or(pod.Reason, "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, pod := range p.Pods {
		if !pod.Crashed {
			continue
		}
		text, err := t.Kube.CrashLog(ctx, pod, crashLines)
		if err != nil {
			fmt.Fprintf(g.streams.Err, "%s (%s): %v\n", pj.Pods[i].Instance, pod.Name, err)
			continue
		}
		fmt.Fprintf(g.streams.Out, "\n%s (%s) before it ended, last %d lines:\n", pj.Pods[i].Instance, pod.Name, crashLines)
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			fmt.Fprintf(g.streams.Out, "  %s\n", l)
		}
	}
	return nil
}

func jsonProcesses(procs []kube.Process) []processJSON {
	out := make([]processJSON, 0, len(procs))
	for _, p := range procs {
		pj := processJSON{Type: p.Name, Desired: p.Desired, Ready: p.Ready, Updated: p.Updated, Restarts: p.Restarts, Image: p.Image, Created: p.Created.UTC(), Status: p.Status, Pods: []podJSON{}}
		if a := p.Autoscale; a != nil {
			pj.Autoscale = &struct {
				Min int `json:"min"`
				Max int `json:"max"`
				CPU int `json:"cpu"`
			}{a.Min, a.Max, a.CPU}
		}
		// Instances by age, as slipway logs names them: web.1 is the oldest pod.
		pods := slices.SortedStableFunc(slices.Values(p.Pods), func(a, b kube.Pod) int { return a.Created.Compare(b.Created) })
		instance := map[string]string{}
		for i, pod := range pods {
			instance[pod.Name] = fmt.Sprintf("%s.%d", p.Name, i+1)
		}
		for _, pod := range p.Pods {
			pj.Pods = append(pj.Pods, podJSON{Name: pod.Name, Instance: instance[pod.Name], Phase: pod.Phase, Ready: pod.Ready, Restarts: pod.Restarts, Reason: pod.Reason, Node: pod.Node})
		}
		out = append(out, pj)
	}
	return out
}

func newAutoscaleCmd(g *globals) *cobra.Command {
	o := release.AutoscaleOptions{}
	c := &cobra.Command{
		Use:   "autoscale TYPE (--min N --max M --cpu P | --off)",
		Short: "Let a process type's pod count follow its CPU use, or stop",
		Long: `Autoscale manages the type's HorizontalPodAutoscaler: between --min and --max pods, aiming at
--cpu percent of the CPU the type requests. --off removes it and keeps the current count.
While a type autoscales, 'slipway scale' refuses to change it. Like scale, it survives deploys
and rollbacks.`,
		Example: "  slipway autoscale web --min 2 --max 10 --cpu 70\n  slipway autoscale web --off",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("%s takes one process type", c.CommandPath())}
			}
			f := c.Flags()
			set := f.Changed("min") || f.Changed("max") || f.Changed("cpu")
			switch {
			case o.Off && set:
				return usageError{fmt.Errorf("--off does not go with --min, --max or --cpu")}
			case !o.Off && !(f.Changed("min") && f.Changed("max")):
				return usageError{fmt.Errorf("%s needs --min and --max (and --cpu, default 80), or --off", c.CommandPath())}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			o.Type = args[0]
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			res, err := g.releaser(t).Autoscale(c.Context(), o)
			return g.reportResult(t, res, err)
		},
	}
	f := c.Flags()
	f.IntVar(&o.Min, "min", 0, "the fewest pods")
	f.IntVar(&o.Max, "max", 0, "the most pods")
	f.IntVar(&o.CPU, "cpu", 80, "the target CPU utilisation, in percent of the requested CPU")
	f.BoolVar(&o.Off, "off", false, "stop autoscaling")
	f.DurationVar(&o.Timeout, "timeout", release.DefaultTimeout, "how long to wait")
	return c
}
