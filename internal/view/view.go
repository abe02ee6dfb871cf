// Package view is what an installer screen says, independent of how it
// is drawn: internal/wizard builds a View for its current screen, and
// the renderers (internal/tui on text consoles, internal/gfx on the
// framebuffer) draw it. It sits below both so that a renderer links
// none of the installer's logic: the appliance's status screen shares
// gfx with the wizard but must not pull in the installer.
package view

// Style says how a line is meant to look; each renderer maps it to its
// colours.
type Style int

// Styles.
const (
	Normal Style = iota
	Dim          // not selectable, secondary
	Strong       // headings, what matters on the line
	Warn         // destructive or unmet
	Good         // success
)

// Line is one line of a screen's body.
type Line struct {
	Text     string
	Style    Style
	Selected bool // the row the cursor is on
}

// Field is a text input. Help and Error are shown with it (a screen
// may have more fields than fit, and an explanation far from its field
// is lost): Help says what the field takes, Error what is wrong with
// the value typed.
type Field struct {
	Label  string
	Value  string
	Active bool
	Help   string
	Error  string
}

// Bar is a progress bar.
type Bar struct {
	Percent int
	Label   string // step, bytes
}

// View is everything a renderer draws for one screen.
type View struct {
	Screen  string // the screen's name, as the "screen" event gives it
	Title   string // product, version
	Heading string
	Body    []Line
	Fields  []Field
	Bar     *Bar
	Menu    []string
	Cursor  int // selected menu item; -1 none
	Note    string
	Hint    string // keys
}
