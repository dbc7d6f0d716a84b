package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/release"
)

// previewFlags are a release-making command's --preview (alias --dry-run) and -o.
type previewFlags struct {
	on  bool
	out output
}

// bind adds --preview, --dry-run (the same flag) and -o to c.
func (p *previewFlags) bind(c *cobra.Command) {
	f := c.Flags()
	f.BoolVar(&p.on, "preview", false, "print what would change (image, process types, config var names) and change nothing")
	f.BoolVar(&p.on, "dry-run", false, "the same as --preview")
	p.out.bind(c)
	c.Flags().Lookup("output").Usage = "with --preview: table, json or yaml"
}

// check refuses -o without --preview: only a preview has a JSON or YAML form.
func (p *previewFlags) check() error {
	if !p.on && p.out.format != "table" {
		return usageError{fmt.Errorf("-o %s: only --preview prints JSON or YAML", p.out.format)}
	}
	return nil
}

// changeJSON is a release.Change with lowercase keys; config vars by name only.
type changeJSON struct {
	// Operation is promote or rollback.
	Operation   string `json:"operation"`
	App         string `json:"app"`
	Environment string `json:"environment"`
	// From is the environment's current release (null: none); Source the release promoted
	// or rolled back to.
	From   *changeReleaseJSON `json:"from"`
	Source *changeReleaseJSON `json:"source"`
	Image  fromTo             `json:"image"`
	// Commit is the source version (git sha) before and after.
	Commit fromTo `json:"commit"`
	Types  struct {
		Added   []string `json:"added"`
		Removed []string `json:"removed"`
	} `json:"types"`
	Config struct {
		Added   []string `json:"added"`
		Removed []string `json:"removed"`
		Changed []string `json:"changed"`
	} `json:"config"`
	// Copy is the repository the image would be copied into first.
	Copy      string `json:"copy,omitempty"`
	Unchanged bool   `json:"unchanged"`
	// Release says whether a release would be made.
	Release bool `json:"release"`
}

type changeReleaseJSON struct {
	Environment string `json:"environment"`
	releaseJSON
}

type fromTo struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func jsonChange(op, app, env, srcEnv string, c *release.Change) changeJSON {
	j := changeJSON{Operation: op, App: app, Environment: env, Copy: c.CopyTo, Unchanged: c.Unchanged, Release: c.NewRelease,
		Image: fromTo{c.ImageFrom, c.ImageTo}, Commit: fromTo{c.VersionFrom, c.VersionTo}}
	if c.From != nil {
		j.From = &changeReleaseJSON{Environment: env, releaseJSON: jsonRelease(*c.From)}
	}
	if c.Source != nil {
		j.Source = &changeReleaseJSON{Environment: srcEnv, releaseJSON: jsonRelease(*c.Source)}
	}
	list := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	j.Types.Added, j.Types.Removed = list(c.TypesAdded), list(c.TypesRemoved)
	j.Config.Added, j.Config.Removed, j.Config.Changed = list(c.ConfigAdded), list(c.ConfigRemoved), list(c.ConfigChanged)
	return j
}

// printChange writes a preview: the heading, then what would change, one line a kind.
func printChange(w io.Writer, heading string, c *release.Change, rollback bool) {
	fmt.Fprintln(w, heading)
	if c.Unchanged && !c.NewRelease {
		fmt.Fprintln(w, "  nothing would change")
		return
	}
	fmt.Fprintf(w, "  image  %s\n", arrow(shortImage(c.ImageFrom), shortImage(c.ImageTo), sameRepository(c.ImageFrom, c.ImageTo)))
	if c.CopyTo != "" {
		fmt.Fprintf(w, "  (copied into %s first)\n", c.CopyTo)
	}
	if c.VersionFrom != "" || c.VersionTo != "" {
		fmt.Fprintf(w, "  source %s\n", arrow(shortSHA(c.VersionFrom), shortSHA(c.VersionTo), false))
	}
	if s := kinds(names{"added", c.TypesAdded}, names{"removed", c.TypesRemoved}); s != "" {
		fmt.Fprintf(w, "  process types %s\n", s)
	}
	if s := kinds(names{"added", c.ConfigAdded}, names{"changed", c.ConfigChanged}, names{"removed", c.ConfigRemoved}); s != "" {
		fmt.Fprintf(w, "  config %s\n", s)
	}
	if c.Unchanged {
		if rollback {
			fmt.Fprintln(w, "  image, process types and config stay as they are (a release is made all the same)")
		} else {
			fmt.Fprintln(w, "  image, process types and config stay as they are; other settings differ, so a release would be made")
		}
	}
}

// arrow is "from → to", "to" alone when from is empty, or "from (unchanged)"; elide drops
// to's repository, the same as from's.
func arrow(from, to string, elide bool) string {
	switch {
	case from == "":
		return to
	case from == to:
		return from + " (unchanged)"
	case elide:
		if i := strings.Index(to, "@"); i > 0 {
			to = "…" + to[i:]
		}
	}
	return from + " → " + to
}

// names is one labelled list of names.
type names struct {
	label string
	names []string
}

// kinds is "added: a, b; removed: c" for the lists that are not empty.
func kinds(lists ...names) string {
	var parts []string
	for _, l := range lists {
		if len(l.names) > 0 {
			parts = append(parts, l.label+": "+strings.Join(l.names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// shortImage cuts a digest to its first 12 hex digits, as docker shortens image IDs.
func shortImage(ref string) string {
	r, err := image.Parse(ref)
	if err != nil || r.Digest == "" {
		return ref
	}
	algo, hex, ok := strings.Cut(r.Digest, ":")
	if !ok || len(hex) <= 12 {
		return ref
	}
	return strings.TrimSuffix(ref, r.Digest) + algo + ":" + hex[:12] + "…"
}

func sameRepository(a, b string) bool {
	ra, errA := image.Parse(a)
	rb, errB := image.Parse(b)
	return errA == nil && errB == nil && ra.Repository == rb.Repository && ra.Digest != "" && rb.Digest != ""
}

// shortSHA shortens a git sha to 7 characters, as git does (and release descriptions).
func shortSHA(v string) string {
	if len(v) > 7 && !strings.ContainsAny(v, ".-") {
		return v[:7]
	}
	return v
}

// revision is "vN", or what stands for a missing release.
func revision(r *release.Release, none string) string {
	if r == nil {
		return none
	}
	return fmt.Sprintf("v%d", r.Revision)
}

// showChange prints a preview as p's -o asks.
func (p *previewFlags) showChange(s *Streams, j changeJSON, heading string, c *release.Change) error {
	return p.out.print(s.Out, j, func(tw *tabwriter.Writer) {
		printChange(tw, heading, c, j.Operation == "rollback")
	})
}
