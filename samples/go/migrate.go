package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

const defaultDBPath = "./data/db.json"

// A migration changes the JSON document; migrations run in order, once each.
type migration struct {
	name  string
	apply func(doc map[string]any)
}

// migrations[i] brings the store to schema version i+1.
var migrations = []migration{
	{"create users collection", func(doc map[string]any) {
		doc["users"] = []any{}
	}},
	{"seed the admin user", func(doc map[string]any) {
		users, _ := doc["users"].([]any)
		doc["users"] = append(users, map[string]any{"id": 1, "name": "admin"})
	}},
	{"add settings", func(doc map[string]any) {
		doc["settings"] = map[string]any{"signups_open": true, "motd": "welcome aboard"}
	}},
}

// runMigrate is the release command.
func runMigrate() error {
	fail, _ := strconv.ParseBool(os.Getenv("MIGRATION_FAIL"))
	return migrate(env("DATABASE_PATH", defaultDBPath), fail, os.Stdout)
}

// migrate applies the pending migrations to the store at path, writing the
// document atomically after each one. With fail set it changes nothing and
// returns an error (a failing release, for tests).
func migrate(path string, fail bool, out io.Writer) error {
	if fail {
		return errors.New("migration failed: MIGRATION_FAIL=1 is set (simulated failure), store left untouched")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	doc, version, err := loadStore(path)
	if err != nil {
		return err
	}
	latest := len(migrations)
	switch {
	case version == latest:
		fmt.Fprintf(out, "schema already at %d, nothing to do\n", version)
		return nil
	case version > latest:
		fmt.Fprintf(out, "schema at %d is newer than this build knows (%d), nothing to do\n", version, latest)
		return nil
	}
	fmt.Fprintf(out, "migrating %s from schema %d to %d\n", path, version, latest)
	for v := version + 1; v <= latest; v++ {
		m := migrations[v-1]
		m.apply(doc)
		doc["schema_version"] = v
		history, _ := doc["migrations"].([]any)
		doc["migrations"] = append(history, map[string]any{
			"version": v, "name": m.name, "applied_at": time.Now().UTC().Format(time.RFC3339),
		})
		if err := writeAtomic(path, doc); err != nil {
			return fmt.Errorf("migration %d (%s): %w", v, m.name, err)
		}
		fmt.Fprintf(out, "applied migration %d: %s\n", v, m.name)
	}
	fmt.Fprintf(out, "schema now at %d\n", latest)
	return nil
}

// loadStore reads the document; a missing file is an empty store at version 0.
func loadStore(path string) (map[string]any, int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var doc map[string]any
	var meta struct {
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, 0, fmt.Errorf("%s: schema_version: %w", path, err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, meta.SchemaVersion, nil
}

// readSchemaVersion reports the store's schema version, if there is a store.
func readSchemaVersion(path string) (int, bool) {
	_, v, err := loadStore(path)
	if err != nil || v == 0 {
		return 0, false
	}
	return v, true
}

// writeAtomic writes a temporary file next to path, syncs it and renames it
// over path, so readers see either the old or the new document.
func writeAtomic(path string, doc map[string]any) error {
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
