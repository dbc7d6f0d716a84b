// Package watch: TEMPORARY stub of the API being built on branch h-watch; replaced at merge.
package watch

import (
	"context"
	"time"

	"github.com/slipwayhq/slipway/platform/kube"
)

// Source is a stub.
type Source struct {
	Kube      *kube.Client
	Namespace string
	Coalesce  time.Duration
	Log       func(format string, args ...any)
}

// Start is a stub.
func (s *Source) Start(ctx context.Context) {}

// Changed is a stub.
func (s *Source) Changed() <-chan struct{} { return nil }

// Conn is a stub.
func (s *Source) Conn() Conn { return Conn{} }

// Apps is a stub.
func (s *Source) Apps() []AppEnv { return nil }

// Processes is a stub.
func (s *Source) Processes(namespace, app string) []kube.Process { return nil }

// Events is a stub.
func (s *Source) Events(namespace, app string) []Event { return nil }

// WatchEvents is a stub.
func (s *Source) WatchEvents(namespace string) {}

// Conn is a stub.
type Conn struct {
	Synced    bool
	Connected bool
	Err       string
	Since     time.Time
}

// AppEnv is a stub.
type AppEnv struct {
	App, Environment, Namespace string
	Revision                    int
	Status                      string
	State                       string
	Releases                    int
	Modified                    time.Time
	Image                       string
	Source                      string
	Ready, Desired              int
}

// Event is a stub.
type Event struct {
	Time    time.Time
	Type    string
	Reason  string
	Object  string
	Message string
	Count   int
}
