// Package lint holds checks of the source itself.
package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// wordsOfTheCLI are what only the CLI may say: a flag, or a slipway command to type.
var wordsOfTheCLI = regexp.MustCompile(`(^|[\s'"(])--[a-z]|'slipway [a-z]|\bslipway (deploy|scale|autoscale|config|sandbox|build|init|chart|local|rollback|promote)\b`)

// TestPlatformErrorsLeaveHintsToTheCLI: an error made in platform/ states the fact; a flag
// name or a command to type belongs in a hint (a Hint method, or a Fix field), which each
// front end words its own way. A terminal UI must never show "--min 0" to someone who
// pressed a key.
func TestPlatformErrorsLeaveHintsToTheCLI(t *testing.T) {
	root := filepath.Join("..", "..", "platform")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "programs") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Name.Name == "Hint" || fn.Body == nil {
				continue
			}
			errorMethod := fn.Name.Name == "Error" && fn.Recv != nil
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok && (id.Name == "Fix" || id.Name == "Hint") {
						return false // a hint, given to the error
					}
				case *ast.CallExpr:
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok || len(n.Args) == 0 {
						return true
					}
					pkg, _ := sel.X.(*ast.Ident)
					isErr := pkg != nil && (pkg.Name == "fmt" && sel.Sel.Name == "Errorf" || pkg.Name == "errors" && sel.Sel.Name == "New")
					isErr = isErr || errorMethod && pkg != nil && pkg.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Sprint")
					if !isErr {
						return true
					}
					if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						checked++
						s, _ := strconv.Unquote(lit.Value)
						if wordsOfTheCLI.MatchString(s) {
							t.Errorf("%s: an error names a flag or a command (give it a Hint): %s", fset.Position(lit.Pos()), lit.Value)
						}
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d error strings: the walk is broken", checked)
	}
}

func TestWordsOfTheCLI(t *testing.T) {
	for s, want := range map[string]bool{
		"--min %d: must be at least 1":                           true,
		"turn it off with 'slipway autoscale %s --off'":          true,
		"deploy it first: slipway deploy -e %s":                  true,
		"minimum replicas must be at least 1, got %d":            false,
		"%s has no environment %q":                               false,
		"the slipway.yaml of %s":                                 false,
		"pod %s: exit code %d (--- output follows)":              false,
		"set it in .env, or pass -e ENV to use that environment": false,
	} {
		if got := wordsOfTheCLI.MatchString(s); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
}
