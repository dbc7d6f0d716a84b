package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/charts"
)

// version is set at build time: -ldflags "-X main.version=v0.1.0".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return "dev-" + s.Value[:7]
			}
		}
	}
	return "dev"
}

func depVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "unknown"
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Slipway's version and what it was built with",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			out := g.streams.Out
			fmt.Fprintf(out, "slipway %s\n", buildVersion())
			fmt.Fprintf(out, "go:         %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(out, "helm SDK:   %s\n", depVersion("helm.sh/helm/v3"))
			fmt.Fprintf(out, "client-go:  %s\n", depVersion("k8s.io/client-go"))
			fmt.Fprintf(out, "charts for: Kubernetes %s and later (rendered for %s)\n", "v1.30", charts.KubeVersion)
			return nil
		},
	}
}
