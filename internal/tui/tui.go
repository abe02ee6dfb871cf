// Package tui draws the installer's wizard screens as text on the
// consoles (the VGA/framebuffer text console and serial ports alike) and
// decodes the keys typed there.
//
// Serial consoles are slow (115200 baud is 11 KB/s) and their output is
// what automation logs, so after the first draw of a screen only the
// lines that changed are rewritten, and everything stays ASCII: the
// Linux console's default font has no "…" or box drawing in UTF-8 mode.
package tui

import (
	"fmt"
	"io"
	"strings"

	"github.com/plinth-os/plinth/internal/view"
)

// Size is the text area drawn into. Serial terminals do not report
// theirs, so one size is used for every console: 80x24, of which the
// screens use the top Height rows. The bottom two rows are a scrolling
// region for everything else written to the console (automation events
// on serial ports, kernel messages), so that such a line scrolls there
// instead of pushing the whole screen up.
const (
	Width    = 80
	Height   = 22
	Terminal = 24
)

// ANSI sequences.
const (
	csi        = "\x1b["
	reset      = csi + "0m"
	clearAll   = csi + "H" + csi + "2J"
	hideCursor = csi + "?25l"
	clearLine  = csi + "2K"
	// Rows Height+1..Terminal scroll; the screen above them stays put.
	scrollRegion = csi + "23;24r"
)

// Screen draws views onto a terminal, rewriting only what changed.
type Screen struct {
	w      io.Writer
	prev   []string
	screen string
}

// New returns a Screen drawing to w.
func New(w io.Writer) *Screen { return &Screen{w: w} }

// Draw shows v.
func (s *Screen) Draw(v view.View) error {
	lines := Lines(v)
	var b strings.Builder
	if v.Screen != s.screen || len(s.prev) != len(lines) {
		b.WriteString(hideCursor + reset + clearAll + scrollRegion)
		for i, l := range lines {
			if l != "" {
				fmt.Fprintf(&b, "%s%d;1H%s", csi, i+1, l)
			}
		}
	} else {
		for i, l := range lines {
			if l != s.prev[i] {
				fmt.Fprintf(&b, "%s%d;1H%s%s", csi, i+1, clearLine, l)
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	// Park the cursor in the scrolling region, so text others print
	// lands there and not inside the screen.
	fmt.Fprintf(&b, "%s%d;1H", csi, Terminal)
	s.prev, s.screen = lines, v.Screen
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return fmt.Errorf("tui: draw %s: %w", v.Screen, err)
	}
	return nil
}

// Invalidate makes the next Draw repaint everything (after something
// else wrote to the console).
func (s *Screen) Invalidate() { s.screen = "" }

// Lines lays v out as Height lines of at most Width visible ASCII
// characters, with ANSI colours.
func Lines(v view.View) []string {
	out := make([]string, 0, Height)
	add := func(style view.Style, selected bool, text string) {
		out = append(out, styled(style, selected, fit(text, Width-1)))
	}
	add(view.Strong, true, padRight(" "+v.Title, Width-1))
	add(view.Normal, false, "")
	add(view.Strong, false, " "+v.Heading)
	add(view.Normal, false, "")

	var b rows
	for _, l := range v.Body {
		prefix := "   "
		if l.Selected {
			prefix = " > "
		}
		for i, part := range Wrap(l.Text, Width-1-len(prefix)-2) {
			if i > 0 {
				prefix = "     " // continuation, indented under the text
			}
			b.push(l.Style, l.Selected, l.Selected, prefix+part)
		}
	}
	for _, f := range v.Fields {
		b.field(f)
	}
	if v.Bar != nil {
		b.push(view.Normal, false, false, "")
		b.push(view.Strong, false, false, "   "+ProgressBar(v.Bar.Percent, 50))
		b.push(view.Normal, false, false, "   "+v.Bar.Label)
	}
	// The menu is pinned under the body, which scrolls in the rows left:
	// all but the header, the menu, a spacer, the note and the hint.
	var menu []string
	if len(v.Menu) > 0 {
		menu = append(menu, "")
		for i, m := range v.Menu {
			if i == v.Cursor {
				menu = append(menu, styled(view.Strong, true, fit(" > "+m, Width-1)))
			} else {
				menu = append(menu, fit("   "+m, Width-1))
			}
		}
	}
	body, styles, sel := b.window(Height - len(out) - len(menu) - 3)
	for i := range body {
		add(styles[i], sel[i], body[i])
	}
	out = append(out, menu...)
	for len(out) < Height-2 {
		add(view.Normal, false, "")
	}
	add(view.Warn, false, " "+v.Note)
	add(view.Dim, false, " "+v.Hint)
	return out
}

// rows are the body's lines before they are fitted into the screen.
type rows struct {
	text   []string
	styles []view.Style
	sel    []bool // drawn selected
	keep   []bool // to be shown: the selected line, the active field with its help
}

func (r *rows) push(st view.Style, selected, keep bool, text string) {
	r.text, r.styles = append(r.text, text), append(r.styles, st)
	r.sel, r.keep = append(r.sel, selected), append(r.keep, keep)
}

// fieldIndent indents a field's help and error under its label.
const fieldIndent = "     "

// field adds a text input: a blank line, the label and the value in
// brackets, then what the field takes and what is wrong with it.
func (r *rows) field(f view.Field) {
	r.push(view.Normal, false, false, "")
	mark := "   "
	if f.Active {
		mark = " > "
	}
	val := f.Value
	if f.Active {
		val += "_"
	}
	// The value's end (where typing happens) shows when it is too long.
	room := max(24, Width-1-len(mark)-len(f.Label)-4)
	if len(val) > room {
		val = "..." + val[len(val)-room+3:]
	}
	r.push(view.Normal, f.Active, f.Active, fmt.Sprintf("%s%s: [%s]", mark, f.Label, padRight(val, 24)))
	for _, part := range Wrap(f.Help, Width-1-len(fieldIndent)) {
		if part != "" {
			r.push(view.Dim, false, f.Active, fieldIndent+part)
		}
	}
	for _, part := range Wrap(f.Error, Width-1-len(fieldIndent)-2) {
		if part != "" {
			r.push(view.Warn, false, f.Active, fieldIndent+"! "+part)
		}
	}
}

// window returns the rows that fit in room: from the top, or scrolled
// so that the rows to keep show (the first of them, if they do not all
// fit), with a line saying that more is above or below.
func (r *rows) window(room int) ([]string, []view.Style, []bool) {
	room = max(0, room)
	if len(r.text) <= room {
		return r.text, r.styles, r.sel
	}
	if room < 3 { // no room to say so
		start := r.scroll(room)
		return r.text[start : start+room], r.styles[start : start+room], r.sel[start : start+room]
	}
	n := room - 1 // a line is left for "more below"
	start := r.scroll(n)
	if start > 0 {
		n-- // and one for "more above"
		start = r.scroll(n)
	}
	var w rows
	if start > 0 {
		w.push(view.Dim, false, false, moreAbove)
	}
	end := min(start+n, len(r.text))
	w.text, w.styles, w.sel = append(w.text, r.text[start:end]...), append(w.styles, r.styles[start:end]...), append(w.sel, r.sel[start:end]...)
	if end < len(r.text) {
		w.push(view.Dim, false, false, moreBelow)
	}
	return w.text, w.styles, w.sel
}

// What a scrolled body says where rows are hidden.
const (
	moreAbove = "   (more above)"
	moreBelow = "   (more below)"
)

// scroll returns the first row to show in n rows so that the rows to
// keep show, or the first of them.
func (r *rows) scroll(n int) int {
	first, last := -1, -1
	for i, k := range r.keep {
		if k {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if last < n {
		return 0
	}
	return max(0, min(last-n+1, first))
}

// Wrap breaks s at spaces into lines of at most n characters; a word
// longer than n is cut.
func Wrap(s string, n int) []string {
	if len(s) <= n || n <= 0 {
		return []string{s}
	}
	var out []string
	for len(s) > n {
		cut := strings.LastIndexByte(s[:n+1], ' ')
		if cut <= 0 {
			cut = n
		}
		out = append(out, strings.TrimRight(s[:cut], " "))
		s = strings.TrimLeft(s[cut:], " ")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// ProgressBar draws percent as a bar of width cells plus the number.
func ProgressBar(percent, width int) string {
	percent = max(0, min(100, percent))
	full := percent * width / 100
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", width-full) + fmt.Sprintf("] %3d%%", percent)
}

func styled(st view.Style, selected bool, text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	var sgr []string
	switch st {
	case view.Dim:
		sgr = append(sgr, "2")
	case view.Strong:
		sgr = append(sgr, "1")
	case view.Warn:
		sgr = append(sgr, "1", "33")
	case view.Good:
		sgr = append(sgr, "1", "32")
	}
	if selected {
		sgr = append(sgr, "7")
	}
	if len(sgr) == 0 {
		return text
	}
	return csi + strings.Join(sgr, ";") + "m" + text + reset
}

// fit makes s printable ASCII of at most n characters.
func fit(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if c < ' ' || c >= 0x7f {
			b[i] = '?'
		}
	}
	s = string(b)
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
