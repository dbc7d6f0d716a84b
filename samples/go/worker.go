package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// stallAfter: the health check fails when the job loop has not completed an
// iteration for this long, so a liveness probe restarts a stuck worker.
const stallAfter = 10 * time.Second

// healthHandler answers 200 while the last heartbeat is recent, 500 otherwise.
func healthHandler(lastBeat *atomic.Int64) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		age := time.Since(time.Unix(0, lastBeat.Load()))
		if age > stallAfter {
			http.Error(w, fmt.Sprintf("job loop stalled for %v", age.Round(time.Second)), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func runWorker(ctx context.Context) error {
	var lastBeat atomic.Int64
	lastBeat.Store(time.Now().UnixNano())

	ln, err := net.Listen("tcp", net.JoinHostPort(env("HOST", ""), env("HEALTH_PORT", "8081")))
	if err != nil {
		return err
	}
	health := &http.Server{Handler: healthHandler(&lastBeat), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := health.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Printf("health server: %v", err)
		}
	}()
	log.Printf("worker started, health on %s", ln.Addr())

	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			log.Printf("worker stopped after %d jobs", n-1)
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			return health.Shutdown(sctx)
		case <-ticker.C:
		}
		// The current job always runs to completion, even after a signal.
		doJob(n)
		lastBeat.Store(time.Now().UnixNano())
	}
}

func doJob(n int) {
	d := time.Duration(100+rand.IntN(300)) * time.Millisecond
	time.Sleep(d) // pretend to work
	log.Printf("job %d done in %v", n, d)
}
