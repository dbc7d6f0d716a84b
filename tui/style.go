package tui

import "charm.land/lipgloss/v2"

// Styles use the 16 ANSI colours, so they follow the terminal's palette, and never carry
// meaning by colour alone: a selected row is reversed, a type in trouble is bold and
// marked "!", so a terminal without colour (or NO_COLOR) shows the same things.
var (
	styleTitle    = lipgloss.NewStyle().Bold(true)
	styleHeader   = lipgloss.NewStyle().Bold(true).Underline(true)
	styleSelected = lipgloss.NewStyle().Reverse(true)
	styleTrouble  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("1"))
	styleWarn     = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	styleOK       = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	styleDim      = lipgloss.NewStyle().Faint(true)
	styleKey      = lipgloss.NewStyle().Bold(true)
	styleMatch    = lipgloss.NewStyle().Reverse(true).Bold(true)
)
