package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// drainTimeout bounds how long in-flight requests may take after SIGTERM
// (well inside Kubernetes' default 30 s grace period).
const drainTimeout = 10 * time.Second

type webApp struct {
	appName, greeting, version, dbPath string
	shuttingDown                       atomic.Bool
}

func newWebApp() *webApp {
	return &webApp{
		appName:  env("APP_NAME", "slipway-sample-go"),
		greeting: env("GREETING", "hello"),
		version:  env("SLIPWAY_VERSION", "dev"),
		dbPath:   env("DATABASE_PATH", defaultDBPath),
	}
}

func (a *webApp) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /version", a.versionInfo)
	mux.HandleFunc("GET /slow", a.slow)
	return logRequests(mux)
}

func (a *webApp) index(w http.ResponseWriter, r *http.Request) {
	msg := fmt.Sprintf("hello from %s (%s)", a.appName, a.greeting)
	if v, ok := readSchemaVersion(a.dbPath); ok {
		msg += fmt.Sprintf(", schema version %d", v)
	}
	fmt.Fprintln(w, msg)
}

func (a *webApp) healthz(w http.ResponseWriter, r *http.Request) {
	if a.shuttingDown.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (a *webApp) versionInfo(w http.ResponseWriter, r *http.Request) {
	schema, _ := readSchemaVersion(a.dbPath)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"version": a.version, "schema": schema})
}

// slow answers after ?ms= milliseconds (at most 10 s): an in-flight request
// for trying out graceful shutdown.
func (a *webApp) slow(w http.ResponseWriter, r *http.Request) {
	ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
	d := min(time.Duration(max(ms, 0))*time.Millisecond, 10*time.Second)
	time.Sleep(d)
	fmt.Fprintf(w, "slept %v\n", d)
}

func runWeb(ctx context.Context) error {
	app := newWebApp()
	addr := net.JoinHostPort(env("HOST", ""), env("PORT", "5000"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app.routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("web listening on %s (version %s)", ln.Addr(), app.version)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	// Stop accepting, fail the health check, and let in-flight requests finish.
	app.shuttingDown.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Print("web stopped cleanly")
	return nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// logRequests logs one line per request to stdout.
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Printf("%s %s %d %v", r.Method, r.URL.RequestURI(), rec.status, time.Since(start).Round(time.Microsecond))
	})
}
