// Package tui is Slipway's terminal dashboard (bubbletea v2, bubbles, lipgloss): apps,
// process types, pods, releases with rollback, promotion, scale, config, logs and events.
//
// It is a front end: it renders what a Backend gives and asks it to act. Every action goes
// through the platform code the CLI uses (release.Manager, kube.Client, logs.Reader); the
// data comes from watches (platform/watch), never from polling, and nothing re-renders on
// a timer. It must not print outside the terminal program it owns: its diagnostics go to
// the log function it is given.
package tui
