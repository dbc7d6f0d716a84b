// Package tui will hold Slipway's interactive dashboard (bubbletea, bubbles, lipgloss):
// apps, releases, process types, logs, scale and rollback, reading informer caches rather
// than polling the API. It is empty until the dashboard's issue; it must never print
// outside the terminal program it owns, and it logs to a file.
package tui
