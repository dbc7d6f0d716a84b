package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestWebHandlers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db.json")
	app := &webApp{appName: "demo", greeting: "hi", version: "v7", dbPath: db}
	h := app.routes()

	if rec := get(t, h, "/"); rec.Code != 200 || rec.Body.String() != "hello from demo (hi)\n" {
		t.Fatalf("/ before migrate: %d %q", rec.Code, rec.Body)
	}
	if err := migrate(db, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, h, "/"); rec.Body.String() != "hello from demo (hi), schema version 3\n" {
		t.Fatalf("/ after migrate: %q", rec.Body)
	}

	var v struct {
		Version string `json:"version"`
		Schema  int    `json:"schema"`
	}
	rec := get(t, h, "/version")
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Version != "v7" || v.Schema != 3 {
		t.Fatalf("/version: %q (%v)", rec.Body, err)
	}

	if rec := get(t, h, "/healthz"); rec.Code != 200 || rec.Body.String() != "ok\n" {
		t.Fatalf("/healthz: %d %q", rec.Code, rec.Body)
	}
	app.shuttingDown.Store(true)
	if rec := get(t, h, "/healthz"); rec.Code != 503 {
		t.Fatalf("/healthz while shutting down: %d", rec.Code)
	}
	if rec := get(t, h, "/nope"); rec.Code != 404 {
		t.Fatalf("/nope: %d", rec.Code)
	}
}

func TestWorkerHealth(t *testing.T) {
	var beat atomic.Int64
	h := healthHandler(&beat)
	beat.Store(time.Now().UnixNano())
	if rec := get(t, h, "/healthz"); rec.Code != 200 {
		t.Fatalf("fresh heartbeat: %d", rec.Code)
	}
	beat.Store(time.Now().Add(-stallAfter - time.Second).UnixNano())
	if rec := get(t, h, "/healthz"); rec.Code != 500 {
		t.Fatalf("stalled loop: %d", rec.Code)
	}
}

func TestMigrateIdempotent(t *testing.T) {
	db := filepath.Join(t.TempDir(), "nested", "dir", "db.json")
	var out bytes.Buffer
	if err := migrate(db, false, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"applied migration 1", "applied migration 3", "schema now at 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("first run output lacks %q:\n%s", want, out.String())
		}
	}
	first, _ := os.ReadFile(db)

	out.Reset()
	if err := migrate(db, false, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "schema already at 3, nothing to do\n" {
		t.Errorf("second run: %q", got)
	}
	if second, _ := os.ReadFile(db); !bytes.Equal(first, second) {
		t.Error("second run changed the store")
	}

	doc, v, err := loadStore(db)
	if err != nil || v != 3 {
		t.Fatalf("loadStore: v=%d err=%v", v, err)
	}
	if users, _ := doc["users"].([]any); len(users) != 1 {
		t.Errorf("users = %v", doc["users"])
	}
	if entries, _ := os.ReadDir(filepath.Dir(db)); len(entries) != 1 {
		t.Errorf("leftover files next to the store: %v", entries)
	}
}

func TestMigrateFromPartialSchema(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db.json")
	os.WriteFile(db, []byte(`{"schema_version": 1, "users": [], "extra": "kept"}`), 0o644)
	var out bytes.Buffer
	if err := migrate(db, false, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "applied migration 1") || !strings.Contains(out.String(), "applied migration 2") {
		t.Errorf("output:\n%s", out.String())
	}
	if doc, v, _ := loadStore(db); v != 3 || doc["extra"] != "kept" {
		t.Errorf("v=%d doc=%v", v, doc)
	}
}

func TestMigrationFail(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "db.json")
	err := migrate(db, true, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "MIGRATION_FAIL") {
		t.Fatalf("err = %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(statErr) {
		t.Error("a failed migration touched the filesystem")
	}

	t.Setenv("DATABASE_PATH", db)
	t.Setenv("MIGRATION_FAIL", "1")
	if err := runMigrate(); err == nil {
		t.Fatal("runMigrate ignored MIGRATION_FAIL=1")
	}
}
