package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/release"
)

type appJSON struct {
	App         string      `json:"app"`
	Environment string      `json:"environment"`
	Namespace   string      `json:"namespace"`
	Releases    int         `json:"releases"`
	Current     releaseJSON `json:"current"`
}

func newAppsCmd(g *globals) *cobra.Command {
	out := &output{}
	var namespace string
	c := &cobra.Command{
		Use:   "apps",
		Short: "List every app and environment on the cluster with its current release",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			k, err := kube.Connect(kube.Config{Kubeconfig: g.kubeconfig, Context: g.context})
			if err != nil {
				return err
			}
			apps, err := release.Apps(c.Context(), k, namespace)
			if err != nil {
				return err
			}
			js := make([]appJSON, 0, len(apps))
			for _, a := range apps {
				js = append(js, appJSON{App: a.App, Environment: a.Environment, Namespace: a.Namespace, Releases: a.Releases, Current: jsonRelease(a.Release)})
			}
			now := time.Now()
			return out.list(g.streams, len(apps), "no apps deployed by Slipway on "+k.Server, js, func(tw *tabwriter.Writer) {
				fmt.Fprintln(tw, "APP\tENV\tNAMESPACE\tRELEASE\tSTATUS\tIMAGE\tAGE")
				for _, a := range apps {
					fmt.Fprintf(tw, "%s\t%s\t%s\tv%d\t%s\t%s\t%s\n", a.App, a.Environment, a.Namespace, a.Release.Revision, a.Release.Status, a.Release.Image, age(a.Release.Updated, now))
				}
			})
		},
	}
	out.bind(c)
	c.Flags().StringVarP(&namespace, "namespace", "n", "", "only this namespace (default: all that can be read)")
	return c
}
