package main

import (
	"context"
	"fmt"
	"log"
	"strconv"
	"time"
)

// runClock is a scheduler singleton: it logs a tick every $CLOCK_INTERVAL
// ("10s", "1m", or a bare number of seconds).
func runClock(ctx context.Context) error {
	raw := env("CLOCK_INTERVAL", "10s")
	interval, err := time.ParseDuration(raw)
	if secs, convErr := strconv.Atoi(raw); err != nil && convErr == nil {
		interval, err = time.Duration(secs)*time.Second, nil
	}
	if err != nil || interval <= 0 {
		return fmt.Errorf("invalid CLOCK_INTERVAL %q", raw)
	}
	log.Printf("clock started, interval %v", interval)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			log.Printf("clock stopped after %d ticks", n-1)
			return nil
		case t := <-ticker.C:
			log.Printf("tick %d at %s", n, t.UTC().Format(time.RFC3339))
		}
	}
}

// runReport is a one-shot task (a cron job): print a line and exit 0.
func runReport() error {
	path := env("DATABASE_PATH", defaultDBPath)
	schema, ok := readSchemaVersion(path)
	state := fmt.Sprintf("schema version %d", schema)
	if !ok {
		state = "no store yet"
	}
	fmt.Printf("report at %s: %s (%s)\n", time.Now().UTC().Format(time.RFC3339), state, path)
	return nil
}
