package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/release"
)

// masked stands for a config value in listings.
const masked = "********"

func newConfigCmd(g *globals) *cobra.Command {
	out := &output{}
	var reveal bool
	c := &cobra.Command{
		Use:   "config",
		Short: "List an environment's config vars (values masked; --reveal shows them)",
		Long: `Config lists the config vars of the environment's current release, values masked.
'config get KEY' prints one value; 'config set' and 'config unset' make a new release
that rolls every process's pods.`,
		Example: "  slipway config\n  slipway config set DATABASE_URL=postgres://… -e production\n  slipway config:get DATABASE_URL",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			vars, err := g.manager(t).Config(c.Context())
			if err != nil {
				return err
			}
			keys := make([]string, 0, len(vars))
			shown := map[string]string{}
			for k, v := range vars {
				keys = append(keys, k)
				shown[k] = masked
				if reveal {
					shown[k] = v
				}
			}
			sort.Strings(keys)
			return out.print(g.streams.Out, shown, func(tw *tabwriter.Writer) {
				for _, k := range keys {
					fmt.Fprintf(tw, "%s\t%s\n", k, shown[k])
				}
			})
		},
	}
	out.bind(c)
	c.Flags().BoolVar(&reveal, "reveal", false, "show the values")
	c.AddCommand(newConfigGetCmd(g), newConfigSetCmd(g), newConfigUnsetCmd(g))
	return c
}

func newConfigGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY",
		Short: "Print one config var's value",
		Args:  argsBetween(1, 1, "one KEY"),
		RunE: func(c *cobra.Command, args []string) error {
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			vars, err := g.manager(t).Config(c.Context())
			if err != nil {
				return err
			}
			v, ok := vars[args[0]]
			if !ok {
				return fmt.Errorf("config var %s is not set in %s", args[0], t.Environment)
			}
			fmt.Fprintln(g.streams.Out, v)
			return nil
		},
	}
}

func newConfigSetCmd(g *globals) *cobra.Command {
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "set KEY=VALUE...",
		Short: "Set config vars: a new release that rolls the pods",
		Args:  argsBetween(1, -1, "one or more KEY=VALUE"),
		RunE: func(c *cobra.Command, args []string) error {
			vars := map[string]string{}
			for i, a := range args {
				k, v, ok := strings.Cut(a, "=")
				if !ok {
					// Not quoted: an argument without '=' may be a value pasted alone.
					return usageError{fmt.Errorf("config set: argument %d has no '=': expected KEY=VALUE", i+1)}
				}
				if err := app.CheckVarName(k); err != nil {
					return usageError{fmt.Errorf("config set: %w", err)}
				}
				vars[k] = v
			}
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			res, err := g.releaser(t).SetConfig(c.Context(), vars, timeout)
			return g.reportResult(t, res, err)
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", release.DefaultTimeout, "how long to wait for the rollout")
	return c
}

func newConfigUnsetCmd(g *globals) *cobra.Command {
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "unset KEY...",
		Short: "Remove config vars: a new release that rolls the pods",
		Args:  argsBetween(1, -1, "one or more KEY"),
		RunE: func(c *cobra.Command, args []string) error {
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			res, err := g.releaser(t).UnsetConfig(c.Context(), args, timeout)
			return g.reportResult(t, res, err)
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", release.DefaultTimeout, "how long to wait for the rollout")
	return c
}

// colonAliases are Heroku's noun:verb spellings of subcommands.
func colonAlias(g *globals, name string, sub func(*globals) *cobra.Command) *cobra.Command {
	c := sub(g)
	c.Use = name + strings.TrimPrefix(c.Use, strings.Fields(c.Use)[0])
	c.Hidden = true
	return c
}
