// Package keys is the keypress the installer's screens understand, the
// same whether it was typed on a serial terminal (internal/tui decodes
// it) or on a keyboard (internal/evdev), so the wizard does not care
// where it came from.
package keys

// Kind is the kind of a keypress.
type Kind int

// Kinds.
const (
	Rune Kind = iota // a printable character
	Enter
	Esc
	Up
	Down
	Backspace
	Tab
)

// Key is one keypress.
type Key struct {
	Kind Kind
	Rune rune // for Rune
}
