package gfx

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"

	"github.com/plinth-os/plinth/internal/view"
)

// Draw draws the wizard screen v over the whole of dst.
func (r *Renderer) Draw(dst draw.Image, v view.View) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paint(dst, r.layoutView(v, dst.Bounds().Size()))
}

// Overflows lists the text of v that a screen of the given size would
// clip (outside the screen, its box or its part of the screen), and body
// rows that are cut off with no selected row to scroll to. Nil means
// everything shows.
func (r *Renderer) Overflows(v view.View, size image.Point) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.layoutView(v, size).overflows()
}

// bodyRow is one drawn row of the body: a line, or a part of a wrapped
// line.
type bodyRow struct {
	text   string
	line   int // index in View.Body
	cont   bool
	height int
}

// layoutView lays out a wizard screen. Top to bottom: a header band with
// logo and title, the heading, the body (scrolled if it has to be), the
// fields, the progress bar and the menu; at the bottom the note and the
// key hint.
func (r *Renderer) layoutView(v view.View, size image.Point) *layout {
	m := newMetrics(size)
	p := r.pal
	l := newLayout(size)
	l.fill(image.Rectangle{Max: size}, p.bg)

	s := m.s
	regular := textStyle{face: r.face(fontRegular, int(s))}
	bold := textStyle{face: r.face(fontBold, int(s))}
	left, right := m.mx, m.w-m.mx

	// Header band: logo and title.
	band := m.u(3)
	l.header = image.Rect(0, 0, m.w, band+m.u(0.12))
	l.fill(image.Rect(0, 0, m.w, band), p.band)
	l.fill(image.Rect(0, band, m.w, l.header.Max.Y), p.accent)
	x := left
	pad := m.u(0.45)
	if lr := r.logo(l, left, pad, band-2*pad, m.w/4); !lr.Empty() {
		x = lr.Max.X + m.u(0.7)
	}
	title := textStyle{face: r.face(fontBold, m.u(1.25))}
	l.place("title", clean(v.Title), title, p.fg, image.Rect(x, 0, right, band), alignLeft)

	// Footer, from the bottom up: hint, divider, note.
	hintStyle := textStyle{face: r.face(fontRegular, m.u(0.85)), tab: 1, gap: m.u(1.4)}
	hintRow := image.Rect(left, m.h-m.u(0.6)-m.u(1.4), right, m.h-m.u(0.6))
	l.place("hint", tabbed(v.Hint), hintStyle, p.dim, hintRow, alignLeft)
	divider := hintRow.Min.Y - m.u(0.4)
	l.fill(image.Rect(left, divider, right, divider+max(1, m.u(0.06))), p.track)
	bottom := divider - m.u(0.5) // where the content ends
	if v.Note != "" {
		rowH := m.u(1.45)
		lines := regular.wrap(tabbed(v.Note), right-left, right-left)
		if len(lines) > 2 {
			lines = []string{lines[0], regular.fit(strings.Join(lines[1:], " "), right-left)}
		}
		bottom -= len(lines) * rowH
		for i, t := range lines {
			row := image.Rect(left, bottom+i*rowH, right, bottom+(i+1)*rowH)
			l.text("note", t, regular, p.warn, left, baseline(regular.face, row), row)
		}
		bottom -= m.u(0.5)
	}

	// Heading.
	y := band + m.u(1.1)
	heading := textStyle{face: r.face(fontBold, m.u(1.6))}
	l.place("heading", clean(v.Heading), heading, p.heading, image.Rect(left, y, right, y+m.u(2.4)), alignLeft)
	y += m.u(2.4) + m.u(0.5)

	// What follows the body has a fixed height; the body gets the rest,
	// but at least its own height when fields would take it: fields
	// that do not fit scroll instead.
	var (
		fm                                = newFieldMetrics(m)
		barTop, trackH, barGap, barLabelH = m.u(0.8), m.u(1.4), m.u(0.4), m.u(1.5)
		menuTop, buttonH                  = m.u(1.1), m.u(2.3)
	)
	barH, menuH := 0, 0
	if v.Bar != nil {
		barH = barTop + trackH + barGap + barLabelH
	}
	if len(v.Menu) > 0 {
		menuH = menuTop + buttonH
	}
	shown := len(v.Fields)
	if shown > 1 {
		_, bodyH := r.bodyRows(m, v.Body, right-left)
		for shown > 1 && fm.height(shown) > bottom-y-barH-menuH-bodyH {
			shown--
		}
	}
	fieldsH := fm.height(shown)
	// Content stays between the heading and the footer.
	l.region = image.Rect(0, y, m.w, bottom)
	l.content = l.region
	y = r.layoutBody(l, m, v.Body, image.Rect(left, y, right, max(y, bottom-fieldsH-barH-menuH)))
	if len(v.Fields) > 0 {
		y = r.layoutFields(l, m, v.Fields, shown, image.Rect(left, y, right, y+fieldsH))
	}

	if v.Bar != nil {
		y += barTop
		pct := max(0, min(100, v.Bar.Percent))
		pctW := bold.width("100%")
		track := image.Rect(left, y, right-pctW-m.u(0.8), y+trackH)
		l.bar = track
		l.round(track, track.Dy()/2, p.track)
		// The fill is the track's shape cut at the percentage, so its
		// width is exactly proportional.
		fill := track
		fill.Max.X = track.Min.X + track.Dx()*pct/100
		l.items = append(l.items, item{kind: kindRound, r: track, rad: track.Dy() / 2, clip: fill.Intersect(l.region), col: p.accent})
		l.place("percent", fmt.Sprintf("%d%%", pct), bold, p.fg, image.Rect(track.Max.X, y, right, track.Max.Y), alignRight)
		y = track.Max.Y + barGap
		l.place("bar label", tabbed(v.Bar.Label), regular, p.fg, image.Rect(left, y, right, y+barLabelH), alignLeft)
		y += barLabelH
	}

	if len(v.Menu) > 0 {
		y += menuTop
		r.layoutMenu(l, m, v.Menu, v.Cursor, image.Rect(left, y, right, y+buttonH))
	}
	return l
}

// fieldMetrics are the heights of the fields' parts: the space above
// them, and per field its label, its box and the gap under it.
type fieldMetrics struct{ top, label, box, gap int }

func newFieldMetrics(m metrics) fieldMetrics {
	return fieldMetrics{top: m.u(0.4), label: m.u(1.4), box: m.u(2.1), gap: m.u(0.5)}
}

// height is the height of n fields.
func (fm fieldMetrics) height(n int) int {
	if n == 0 {
		return 0
	}
	return fm.top + n*(fm.label+fm.box+fm.gap)
}

// layoutFields lays out shown of the fields in area: all of them, or
// a window that holds the active field, with a scroll bar. It returns
// where the fields end.
func (r *Renderer) layoutFields(l *layout, m metrics, fields []view.Field, shown int, area image.Rectangle) int {
	fm := newFieldMetrics(m)
	start, active := 0, -1
	for i, f := range fields {
		if f.Active {
			active = i
			break
		}
	}
	if active >= shown {
		start = active - shown + 1
	}
	right := area.Max.X
	if shown < len(fields) {
		if active < 0 {
			l.notes = append(l.notes, fmt.Sprintf("fields: %d of %d shown and no active field to scroll to", shown, len(fields)))
		}
		scrollW := max(3, m.u(0.2))
		r.scrollBar(l, image.Rect(right-scrollW, area.Min.Y+fm.top, right, area.Max.Y-fm.gap), start, shown, len(fields))
		right -= scrollW + m.u(0.6)
	}
	y := area.Min.Y + fm.top
	for i := start; i < start+shown; i++ {
		r.layoutField(l, m, i, fields[i], image.Rect(area.Min.X, y, right, y+fm.label+fm.box))
		y += fm.label + fm.box + fm.gap
	}
	return y
}

// layoutField lays out field i in row: its label over its box, and
// right of them, if there is room, what is wrong with it and what it
// takes.
func (r *Renderer) layoutField(l *layout, m metrics, i int, f view.Field, row image.Rectangle) {
	p := r.pal
	fm := newFieldMetrics(m)
	label := textStyle{face: r.face(fontRegular, m.u(0.9))}
	mono := textStyle{face: r.face(fontMono, int(m.s))}
	left := row.Min.X
	boxW := min(row.Dx(), m.u(26))
	what := fmt.Sprintf("field %d", i)
	l.place(what+" label", clean(f.Label), label, p.dim, image.Rect(left, row.Min.Y, left+boxW, row.Min.Y+fm.label), alignLeft)
	box := image.Rect(left, row.Min.Y+fm.label, left+boxW, row.Max.Y)
	border, bw := p.line, max(1, m.u(0.08))
	if f.Active {
		border, bw = p.accent, max(2, m.u(0.14))
	}
	l.box(box, m.u(0.3), p.field, border, bw)
	in := image.Rect(box.Min.X+m.u(0.5), box.Min.Y+bw, box.Max.X-m.u(0.5), box.Max.Y-bw)
	caretW := max(2, m.u(0.1))
	val := mono.fitTail(clean(f.Value), in.Dx()-caretW-1)
	l.text(what+" value", val, mono, p.fg, in.Min.X, baseline(mono.face, box), in)
	if f.Active {
		cx := in.Min.X + mono.width(val) + 1
		l.fill(image.Rect(cx, box.Min.Y+m.u(0.4), cx+caretW, box.Max.Y-m.u(0.4)), p.fg)
	}
	if col := image.Rect(box.Max.X+m.u(1.2), row.Min.Y, row.Max.X, row.Max.Y); col.Dx() >= m.u(6) {
		r.layoutFieldNotes(l, m, what, f, col)
	}
}

// layoutFieldNotes puts a field's error (warn) and help (dim) in col,
// wrapped, the last line shortened if they do not all fit.
func (r *Renderer) layoutFieldNotes(l *layout, m metrics, what string, f view.Field, col image.Rectangle) {
	p := r.pal
	st := textStyle{face: r.face(fontRegular, m.u(0.85))}
	rowH := m.u(1.15)
	type note struct {
		text string
		col  color.RGBA
		what string
	}
	var notes []note
	for _, n := range []note{{f.Error, p.warn, what + " error"}, {f.Help, p.dim, what + " help"}} {
		if strings.TrimSpace(n.text) == "" {
			continue
		}
		for _, t := range st.wrap(tabbed(n.text), col.Dx(), col.Dx()) {
			notes = append(notes, note{t, n.col, n.what})
		}
	}
	if most := max(1, col.Dy()/rowH); len(notes) > most {
		rest := make([]string, 0, len(notes)-most+1)
		for _, n := range notes[most-1:] {
			rest = append(rest, n.text)
		}
		notes[most-1].text = st.fit(strings.Join(rest, " "), col.Dx())
		notes = notes[:most]
	}
	y := col.Min.Y + (col.Dy()-len(notes)*rowH)/2
	for _, n := range notes {
		row := image.Rect(col.Min.X, y, col.Max.X, y+rowH)
		l.text(n.what, n.text, st, n.col, col.Min.X, baseline(st.face, row), row)
		y += rowH
	}
}

// layoutBody lays out the body lines in area and returns where the body
// ends. Lines wrap (continuations indented); if the rows do not fit,
// they scroll so that the selected line shows, and a scroll bar says so.
func (r *Renderer) layoutBody(l *layout, m metrics, body []view.Line, area image.Rectangle) int {
	p := r.pal
	if len(body) == 0 {
		return area.Min.Y
	}
	width := area.Dx()
	rows, total := r.bodyRows(m, body, width)
	scrollW := max(3, m.u(0.2))
	scrolled := total > area.Dy()
	if scrolled { // make room for the scroll bar
		width -= scrollW + m.u(0.6)
		rows, total = r.bodyRows(m, body, width)
	}
	styles := r.bodyStyles(m)

	// Choose the first row shown: the top, or late enough that the
	// whole selected line shows (its first row, if it is taller than
	// the area).
	start, selFirst, selEnd := 0, -1, -1
	for i, row := range rows {
		if body[row.line].Selected {
			if selFirst < 0 {
				selFirst = i
			}
			selEnd = i + 1
		}
	}
	if scrolled {
		if selFirst < 0 {
			l.notes = append(l.notes, fmt.Sprintf("body: %d of %d px shown and no selected row to scroll to", area.Dy(), total))
		} else {
			start = selFirst
			for start > 0 && fits(rows[start-1:selEnd], area.Dy()) {
				start--
			}
		}
	}

	y := area.Min.Y
	end := start
	for end < len(rows) && y+rows[end].height <= area.Max.Y {
		y += rows[end].height
		end++
	}
	shown := rows[start:end]
	if selFirst >= 0 && (selFirst < start || selEnd > end) {
		l.notes = append(l.notes, "body: the selected line does not fit")
	}
	l.body = image.Rect(area.Min.X, area.Min.Y, area.Max.X, y)

	// Highlight behind the selected line's rows.
	hl := image.Rectangle{}
	y = area.Min.Y
	for _, row := range shown {
		if body[row.line].Selected {
			hl = hl.Union(image.Rect(area.Min.X-m.u(0.5), y, area.Min.X+width+m.u(0.5), y+row.height))
		}
		y += row.height
	}
	if !hl.Empty() {
		l.round(hl, m.u(0.3), p.accent)
	}

	y = area.Min.Y
	for _, row := range shown {
		ln := body[row.line]
		st := styles[ln.Style == view.Strong]
		x := area.Min.X
		if row.cont {
			x += bodyIndent(m)
		}
		box := image.Rect(x, y, area.Min.X+width, y+row.height)
		if row.text != "" {
			l.text(fmt.Sprintf("body %d", row.line), row.text, st, r.lineColor(ln), x, baseline(st.face, box), box)
		}
		y += row.height
	}

	if scrolled && total > 0 {
		before, inView := 0, 0
		for _, row := range rows[:start] {
			before += row.height
		}
		for _, row := range shown {
			inView += row.height
		}
		r.scrollBar(l, image.Rect(area.Max.X-scrollW, area.Min.Y, area.Max.X, area.Max.Y), before, inView, total)
	}
	return l.body.Max.Y
}

// bodyStyles are the body's text styles: bold for Strong lines.
func (r *Renderer) bodyStyles(m metrics) map[bool]textStyle {
	s := int(m.s)
	return map[bool]textStyle{
		false: {face: r.face(fontRegular, s), tab: m.u(5), gap: m.u(0.6)},
		true:  {face: r.face(fontBold, s), tab: m.u(5), gap: m.u(0.6)},
	}
}

// bodyRows wraps the body into rows width wide (continuations
// indented) and returns them with their total height.
func (r *Renderer) bodyRows(m metrics, body []view.Line, width int) ([]bodyRow, int) {
	styles := r.bodyStyles(m)
	rowH, blankH, indent := m.u(1.5), m.u(0.75), bodyIndent(m)
	var rows []bodyRow
	total := 0
	for i, ln := range body {
		text := tabbed(ln.Text)
		if strings.TrimSpace(text) == "" {
			rows = append(rows, bodyRow{line: i, height: blankH})
			total += blankH
			continue
		}
		for j, t := range styles[ln.Style == view.Strong].wrap(text, width, width-indent) {
			rows = append(rows, bodyRow{text: t, line: i, cont: j > 0, height: rowH})
			total += rowH
		}
	}
	return rows, total
}

func bodyIndent(m metrics) int { return m.u(1.5) }

// scrollBar draws a track in r with a thumb for the part in view:
// inView of total, after before.
func (r *Renderer) scrollBar(l *layout, track image.Rectangle, before, inView, total int) {
	w := track.Dx()
	l.round(track, w/2, r.pal.track)
	thumb := image.Rect(track.Min.X, track.Min.Y+track.Dy()*before/total, track.Max.X, track.Min.Y+track.Dy()*(before+inView)/total)
	l.round(thumb, w/2, r.pal.dim)
}

// fits says whether rows fit in h.
func fits(rows []bodyRow, h int) bool {
	sum := 0
	for _, row := range rows {
		sum += row.height
	}
	return sum <= h
}

func (r *Renderer) lineColor(ln view.Line) color.RGBA {
	p := r.pal
	if ln.Selected {
		if ln.Style == view.Dim {
			return mix(p.onAccent, p.accent, 0.3)
		}
		return p.onAccent
	}
	switch ln.Style {
	case view.Dim:
		return p.dim
	case view.Warn:
		return p.warn
	case view.Good:
		return p.good
	}
	return p.fg
}

// layoutMenu lays the menu out as a row of buttons in row, the cursor's
// filled with the accent. Buttons that do not fit at their natural
// width share the row equally and shorten their labels.
func (r *Renderer) layoutMenu(l *layout, m metrics, items []string, cursor int, row image.Rectangle) {
	p := r.pal
	st := textStyle{face: r.face(fontBold, int(m.s))}
	padX, gap, minW := m.u(1.2), m.u(0.8), m.u(7)
	widths := make([]int, len(items))
	total := gap * (len(items) - 1)
	for i, it := range items {
		widths[i] = max(minW, st.width(clean(it))+2*padX)
		total += widths[i]
	}
	if total > row.Dx() {
		w := max(1, (row.Dx()-gap*(len(items)-1))/len(items))
		for i := range widths {
			widths[i] = w
		}
		padX = min(padX, w/6)
	}
	x := row.Min.X
	for i, it := range items {
		b := image.Rect(x, row.Min.Y, x+widths[i], row.Max.Y)
		fg := p.fg
		if i == cursor {
			l.round(b, m.u(0.35), p.accent)
			fg = p.onAccent
		} else {
			l.box(b, m.u(0.35), p.field, p.line, max(1, m.u(0.08)))
		}
		l.place(fmt.Sprintf("menu %d", i), clean(it), st, fg, image.Rect(b.Min.X+padX, b.Min.Y, b.Max.X-padX, b.Max.Y), alignCenter)
		x = b.Max.X + gap
	}
}
