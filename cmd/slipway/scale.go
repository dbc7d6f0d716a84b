package main

import (
	"fmt"
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
	Pods []podJSON `json:"pods"`
}

type podJSON struct {
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
	Reason   string `json:"reason,omitempty"`
}

func newPsCmd(g *globals) *cobra.Command {
	out := &output{}
	c := &cobra.Command{
		Use:   "ps",
		Short: "Show each process type: desired, ready and updated pods, restarts, image, age",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			procs, err := t.Kube.Processes(c.Context(), t.Name)
			if err != nil {
				return err
			}
			empty := fmt.Sprintf("%s runs nothing in %s (namespace %s)", t.Name, t.Environment, t.Kube.Namespace)
			now := time.Now()
			return out.list(g.streams, len(procs), empty, jsonProcesses(procs), func(tw *tabwriter.Writer) {
				fmt.Fprintln(tw, "TYPE\tDESIRED\tREADY\tUPDATED\tRESTARTS\tAUTOSCALE\tIMAGE\tAGE")
				for _, p := range procs {
					as := "-"
					if a := p.Autoscale; a != nil {
						as = fmt.Sprintf("%d-%d @%d%% cpu", a.Min, a.Max, a.CPU)
					}
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", p.Name, p.Desired, p.Ready, p.Updated, p.Restarts, as, p.Image, age(p.Created, now))
				}
			})
		},
	}
	out.bind(c)
	return c
}

func jsonProcesses(procs []kube.Process) []processJSON {
	out := make([]processJSON, 0, len(procs))
	for _, p := range procs {
		pj := processJSON{Type: p.Name, Desired: p.Desired, Ready: p.Ready, Updated: p.Updated, Restarts: p.Restarts, Image: p.Image, Created: p.Created.UTC(), Pods: []podJSON{}}
		if a := p.Autoscale; a != nil {
			pj.Autoscale = &struct {
				Min int `json:"min"`
				Max int `json:"max"`
				CPU int `json:"cpu"`
			}{a.Min, a.Max, a.CPU}
		}
		for _, pod := range p.Pods {
			pj.Pods = append(pj.Pods, podJSON{Name: pod.Name, Phase: pod.Phase, Ready: pod.Ready, Restarts: pod.Restarts, Reason: pod.Reason})
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
