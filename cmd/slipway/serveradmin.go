package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/gitpush"
)

// The git-push server's administration: its apps (one repository each) and its access
// tokens, both kept in its data directory. data is the value of the --data flag of the
// command these are put under, read when a command runs, made absolute by that command
// (a relative path is relative to the app directory, -C, as every path flag's).

func serverApps(data *string) *gitpush.Apps {
	return &gitpush.Apps{Dir: *data, Git: &gitpush.GitCLI{}}
}

func serverTokens(data *string) *gitpush.Tokens {
	return &gitpush.Tokens{File: gitpush.TokensFile(*data)}
}

type serverAppJSON struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

func newServerAppsCmd(g *globals, data *string) *cobra.Command {
	c := &cobra.Command{
		Use:   "apps create|list|delete",
		Short: "Create, list and delete the apps the server takes pushes for",
		Long: `Each app of the server is a bare git repository in its data directory (--data),
which 'git push' sends to. Deleting an app deletes its repository only: what it deployed
keeps running.`,
		Example: "  slipway server apps create shop\n  slipway server apps list\n  slipway server apps delete shop",
		Args:    cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown %s command %q: use create, list or delete", c.CommandPath(), args[0])}
			}
			return usageError{fmt.Errorf("%s needs a command: create, list or delete", c.CommandPath())}
		},
	}
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an app: an empty repository to push to",
		Args:  argsBetween(1, 1, "one NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			apps := serverApps(data)
			if err := apps.Create(c.Context(), args[0]); err != nil {
				return err
			}
			p, err := apps.Path(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(g.streams.Out, "created app %s (repository %s)\n", args[0], p)
			return nil
		},
	}
	out := &output{}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the apps, by name",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			apps := serverApps(data)
			infos, err := apps.List()
			if err != nil {
				return err
			}
			js := make([]serverAppJSON, 0, len(infos))
			for _, a := range infos {
				js = append(js, serverAppJSON(a))
			}
			now := time.Now()
			return out.list(g.streams, len(infos), "no apps in "+apps.Dir, js, func(tw *tabwriter.Writer) {
				fmt.Fprintln(tw, "NAME\tCREATED")
				for _, a := range infos {
					fmt.Fprintf(tw, "%s\t%s\n", a.Name, age(a.Created, now))
				}
			})
		},
	}
	out.bind(list)
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an app's repository; what it deployed keeps running",
		Args:  argsBetween(1, 1, "one NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := serverApps(data).Delete(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(g.streams.Out, "deleted app %s's repository\n", args[0])
			fmt.Fprintf(g.streams.Err, "its deployed environments keep running; to remove one, delete its Helm release from the cluster\n")
			return nil
		},
	}
	c.AddCommand(create, list, del)
	return c
}

type serverTokenJSON struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Apps    []string  `json:"apps"`
	Created time.Time `json:"created"`
}

// tokenApps is a token's apps as a table shows them: "*" for every app.
func tokenApps(t gitpush.Token) string {
	if len(t.Apps) == 0 {
		return "*"
	}
	return strings.Join(t.Apps, ",")
}

func newServerTokensCmd(g *globals, data *string) *cobra.Command {
	c := &cobra.Command{
		Use:   "tokens create|list|revoke",
		Short: "Create, list and revoke the tokens that let git push to the server",
		Long: `A token is the password a git client gives the server (HTTP basic auth, any user
name). The server keeps only a hash of it: its secret is shown once, when it is created.
A token gives access to every app, or only to those --app names.`,
		Example: "  slipway server tokens create laptop\n  slipway server tokens create shop-ci --app shop\n  slipway server tokens list\n  slipway server tokens revoke shop-ci",
		Args:    cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown %s command %q: use create, list or revoke", c.CommandPath(), args[0])}
			}
			return usageError{fmt.Errorf("%s needs a command: create, list or revoke", c.CommandPath())}
		},
	}
	var apps []string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token and print its secret, once",
		Args:  argsBetween(1, 1, "one NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			secret, tok, err := serverTokens(data).Create(args[0], apps)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.streams.Out, secret)
			scope := "every app"
			if len(tok.Apps) > 0 {
				scope = "app " + strings.Join(tok.Apps, ", ")
			}
			fmt.Fprintf(g.streams.Err, `created token %s (%s) for %s.
Its secret, above, is shown this once: the server keeps only its hash. Store it now.
Give it to 'slipway remote add URL', or to git as the password of HTTP basic auth, with any user name.
`, tok.ID, tok.Name, scope)
			return nil
		},
	}
	create.Flags().StringArrayVarP(&apps, "app", "a", nil, "an app the token gives access to (repeatable; default: every app, including those created later)")
	out := &output{}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the tokens, oldest first (never their secrets)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ts := serverTokens(data)
			toks, err := ts.List()
			if err != nil {
				return err
			}
			js := make([]serverTokenJSON, 0, len(toks))
			for _, t := range toks {
				apps := t.Apps
				if apps == nil {
					apps = []string{}
				}
				js = append(js, serverTokenJSON{ID: t.ID, Name: t.Name, Apps: apps, Created: t.Created})
			}
			now := time.Now()
			return out.list(g.streams, len(toks), "no tokens in "+ts.File, js, func(tw *tabwriter.Writer) {
				fmt.Fprintln(tw, "ID\tNAME\tAPPS\tCREATED")
				for _, t := range toks {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, tokenApps(t), age(t.Created, now))
				}
			})
		},
	}
	out.bind(list)
	revoke := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a token: its secret is refused from the next request on",
		Args:  argsBetween(1, 1, "one ID or NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			tok, err := serverTokens(data).Revoke(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(g.streams.Out, "revoked token %s (%s)\n", tok.ID, tok.Name)
			return nil
		},
	}
	c.AddCommand(create, list, revoke)
	return c
}
