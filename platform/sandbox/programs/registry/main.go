//go:build ignore

// Command registry is an OCI distribution registry (go-containerregistry's pkg/registry)
// for the sandbox: blobs on disk, manifests in memory, plain HTTP on the given address.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5000", "address to listen on")
	blobs := flag.String("blobs", "", "directory for blobs (default: in memory)")
	flag.Parse()
	logger := log.New(os.Stderr, "", log.LstdFlags)
	opts := []registry.Option{registry.Logger(logger)}
	if *blobs != "" {
		if err := os.MkdirAll(*blobs, 0o700); err != nil {
			logger.Fatal(err)
		}
		opts = append(opts, registry.WithBlobHandler(registry.NewDiskBlobHandler(*blobs)))
	}
	srv := &http.Server{Addr: *addr, Handler: registry.New(opts...), ReadHeaderTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	logger.Printf("serving on %s", *addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		logger.Fatal(err)
	}
}
