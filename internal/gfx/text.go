package gfx

import (
	"image"
	"image/draw"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

type faceKey struct {
	id fontID
	px int
}

// face is one font at one pixel size, with its glyphs rasterised once.
type face struct {
	f               font.Face
	px              int
	ascent, descent int
	glyphs          map[rune]glyph
	kerns           map[[2]rune]int
}

// glyph is a rasterised glyph, drawn with its origin on the dot.
type glyph struct {
	mask *image.Alpha // bounds relative to the dot; nil when there is no ink
	adv  int
}

func (f *face) glyph(r rune) glyph {
	if g, ok := f.glyphs[r]; ok {
		return g
	}
	g := f.load(r)
	f.glyphs[r] = g
	return g
}

// load rasterises r, or a replacement for a rune the font lacks.
func (f *face) load(r rune) glyph {
	for _, try := range []rune{r, '\ufffd', '?'} {
		if _, ok := f.f.GlyphAdvance(try); !ok {
			continue
		}
		dr, mask, mp, adv, ok := f.f.Glyph(fixed.Point26_6{}, try)
		if !ok {
			continue
		}
		g := glyph{adv: adv.Round()}
		if !dr.Empty() {
			// The face reuses its mask; keep a copy.
			a := image.NewAlpha(dr)
			draw.Draw(a, dr, mask, mp, draw.Src)
			g.mask = a
		}
		return g
	}
	return glyph{}
}

func (f *face) kern(a, b rune) int {
	k := [2]rune{a, b}
	if v, ok := f.kerns[k]; ok {
		return v
	}
	v := f.f.Kern(a, b).Round()
	f.kerns[k] = v
	return v
}

// textStyle is a face and how it treats the separators tabbed makes of
// runs of spaces (the text console's way of lining things up): a tab
// moves to the next tab stop, at least gap on; a gap is just gap wide.
type textStyle struct {
	face *face
	tab  int // tab stops every tab pixels; 0: a tab is just a gap
	gap  int // least room a tab or gap leaves
}

// walk calls fn (if not nil) with each glyph of s and its x offset from
// the start of s, and returns the width of s.
func (st textStyle) walk(s string, fn func(g glyph, x int)) int {
	x, prev := 0, rune(-1)
	for _, r := range s {
		if r == tab || r == gap {
			x += st.gap
			if r == tab && st.tab > 0 {
				x = (x + st.tab - 1) / st.tab * st.tab
			}
			prev = -1
			continue
		}
		if prev >= 0 {
			x += st.face.kern(prev, r)
		}
		g := st.face.glyph(r)
		if fn != nil {
			fn(g, x)
		}
		x += g.adv
		prev = r
	}
	return x
}

func (st textStyle) width(s string) int { return st.walk(s, nil) }

// ink is the bounding box of what drawing s with its dot at (x, y)
// would paint.
func (st textStyle) ink(s string, x, y int) image.Rectangle {
	var r image.Rectangle
	st.walk(s, func(g glyph, gx int) {
		if g.mask != nil {
			r = r.Union(g.mask.Rect.Add(image.Pt(x+gx, y)))
		}
	})
	return r
}

const ellipsis = "…"

// Separators made by tabbed.
const (
	tab = '\t'
	gap = '\x1f'
)

func isSep(r rune) bool { return r == ' ' || r == tab || r == gap }

// fit shortens s with a trailing "…" until it is at most w wide. The
// result is "…" alone if nothing else fits; it may still be wider than
// w, which Overflows reports.
func (st textStyle) fit(s string, w int) string {
	if st.width(s) <= w {
		return s
	}
	rs := []rune(s)
	n := st.longest(len(rs), w, func(n int) string { return strings.TrimRightFunc(string(rs[:n]), isSep) + ellipsis })
	return strings.TrimRightFunc(string(rs[:n]), isSep) + ellipsis
}

// fitTail keeps the end of s, with a leading "…", in at most w: what a
// text field shows of a value too long for its box, so that the end,
// where the caret is, stays visible.
func (st textStyle) fitTail(s string, w int) string {
	if st.width(s) <= w {
		return s
	}
	rs := []rune(s)
	n := st.longest(len(rs), w, func(n int) string { return ellipsis + string(rs[len(rs)-n:]) })
	return ellipsis + string(rs[len(rs)-n:])
}

// longest is the largest n in [0, limit] with width(build(n)) <= w, or
// 0. Widths grow with n, so a binary search finds it.
func (st textStyle) longest(limit, w int, build func(n int) string) int {
	lo, hi := 0, limit // build(lo) fits or lo == 0; build(hi+1) does not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if st.width(build(mid)) <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// wrap breaks s into lines at most first (the first line) and rest (the
// others) wide. Lines break at spaces; a word wider than a whole line
// is broken where it must. Spaces at a break are dropped.
func (st textStyle) wrap(s string, first, rest int) []string {
	if st.width(s) <= first {
		return []string{s}
	}
	var lines []string
	limit, line := first, ""
	emit := func(l string) {
		lines = append(lines, l)
		limit = rest
	}
	for _, tk := range tokens(s) {
		cand := line + tk.sep + tk.word
		if line == "" && len(lines) > 0 {
			cand = tk.word
		}
		if st.width(cand) <= limit {
			line = cand
			continue
		}
		if line != "" {
			emit(line)
			cand = tk.word
		}
		// cand is one word (after any leading spaces of s) too wide for
		// a line: break it.
		for cand != "" && st.width(cand) > limit {
			rs := []rune(cand)
			n := max(1, st.longest(len(rs), limit, func(n int) string { return string(rs[:n]) }))
			emit(string(rs[:n]))
			cand = string(rs[n:])
		}
		line = cand
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

type token struct{ sep, word string }

// tokens splits s into words, each with the spaces before it.
func tokens(s string) []token {
	var out []token
	for s != "" {
		i := strings.IndexFunc(s, func(r rune) bool { return !isSep(r) })
		if i < 0 {
			out = append(out, token{sep: s})
			break
		}
		j := strings.IndexFunc(s[i:], isSep)
		if j < 0 {
			j = len(s) - i
		}
		out = append(out, token{sep: s[:i], word: s[i : i+j]})
		s = s[i+j:]
	}
	return out
}

// clean makes s drawable on one line: control characters and invalid
// UTF-8 become spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// tabbed is clean(s) with each run of two or more spaces made a
// separator: a tab after a first word ("Memory  8 GB" lines up with
// "CPU     4 x ..."), a gap elsewhere.
func tabbed(s string) string {
	s = clean(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	spaces, words := 0, 0
	flush := func() {
		switch {
		case spaces == 1:
			b.WriteByte(' ')
		case spaces > 1 && words == 1 && !strings.ContainsAny(b.String(), " \t\x1f"):
			b.WriteRune(tab)
		case spaces > 1:
			b.WriteRune(gap)
		}
		spaces = 0
	}
	inWord := false
	for _, r := range s {
		if r == ' ' {
			spaces++
			inWord = false
			continue
		}
		flush()
		if !inWord {
			words++
			inWord = true
		}
		b.WriteRune(r)
	}
	flush()
	return b.String()
}
