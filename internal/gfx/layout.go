package gfx

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// A layout is a screen as a list of things to paint, in screen
// coordinates (origin top left). Draw paints it; Overflows checks it.
// Both work from the same layout, so what is checked is what is drawn.
type layout struct {
	size   image.Point
	items  []item
	region image.Rectangle // where what is added now must stay
	notes  []string        // problems found while laying out

	// Where things went, for tests.
	header, content image.Rectangle // content: between heading and footer
	body, bar       image.Rectangle
	logo            image.Rectangle
}

type itemKind uint8

const (
	kindFill  itemKind = iota // rectangle r
	kindRound                 // rounded rectangle r, radius rad
	kindText                  // text with its dot at r.Min
	kindImage                 // img at r
)

// item is one thing to paint. Nothing is painted outside clip; text
// that would be is an overflow.
type item struct {
	kind itemKind
	r    image.Rectangle
	clip image.Rectangle
	rad  int
	col  color.RGBA
	text string
	st   textStyle
	img  *image.RGBA
	what string // names the element in reports
}

func newLayout(size image.Point) *layout {
	s := image.Rectangle{Max: size}
	return &layout{size: size, region: s}
}

func (l *layout) fill(r image.Rectangle, c color.RGBA) {
	l.items = append(l.items, item{kind: kindFill, r: r, clip: l.region, col: c})
}

func (l *layout) round(r image.Rectangle, rad int, c color.RGBA) {
	l.items = append(l.items, item{kind: kindRound, r: r, rad: rad, clip: l.region, col: c})
}

// box is a rounded rectangle filled with fill, with a border bw wide.
func (l *layout) box(r image.Rectangle, rad int, fill, border color.RGBA, bw int) {
	l.round(r, rad, border)
	l.round(r.Inset(bw), max(0, rad-bw), fill)
}

// text adds s with its dot at (x, y), kept inside box. Text is fitted
// to its box by advance widths, and some glyphs' ink reaches a little
// past those (the hook of an "f"), so the box is widened by a sliver
// that stays inside the padding around every text.
func (l *layout) text(what, s string, st textStyle, c color.RGBA, x, y int, box image.Rectangle) {
	slack := max(1, st.face.px/8)
	clip := image.Rect(box.Min.X-slack, box.Min.Y, box.Max.X+slack, box.Max.Y)
	l.items = append(l.items, item{kind: kindText, r: image.Rectangle{Min: image.Pt(x, y)}, clip: clip.Intersect(l.region),
		col: c, text: s, st: st, what: what})
}

// Alignments for place.
const (
	alignLeft = iota
	alignCenter
	alignRight
)

// place puts s in box on one line: vertically centred, aligned, and
// shortened with "…" if it is too wide.
func (l *layout) place(what, s string, st textStyle, c color.RGBA, box image.Rectangle, align int) {
	s = st.fit(s, box.Dx())
	l.text(what, s, st, c, alignX(st.width(s), box, align), baseline(st.face, box), box)
}

func alignX(w int, box image.Rectangle, align int) int {
	switch align {
	case alignCenter:
		return box.Min.X + (box.Dx()-w)/2
	case alignRight:
		return box.Max.X - w
	}
	return box.Min.X
}

// baseline centres f's ascent and descent in box.
func baseline(f *face, box image.Rectangle) int {
	return box.Min.Y + (box.Dy()-(f.ascent+f.descent))/2 + f.ascent
}

// overflows lists the text that would be clipped: outside its box, its
// region or the screen.
func (l *layout) overflows() []string {
	out := append([]string(nil), l.notes...)
	screen := image.Rectangle{Max: l.size}
	for _, it := range l.items {
		if it.kind != kindText {
			continue
		}
		ink := it.st.ink(it.text, it.r.Min.X, it.r.Min.Y)
		if room := it.clip.Intersect(screen); !ink.In(room) {
			out = append(out, fmt.Sprintf("%s: %q is drawn in %v, outside %v", it.what, it.text, ink, room))
		}
	}
	return out
}

// paint draws l into dst, with l's origin at dst's top left.
func (r *Renderer) paint(dst draw.Image, l *layout) {
	b := dst.Bounds()
	off := b.Min
	for _, it := range l.items {
		clip := it.clip.Add(off).Intersect(b)
		if clip.Empty() {
			continue
		}
		switch it.kind {
		case kindFill:
			draw.Draw(dst, it.r.Add(off).Intersect(clip), image.NewUniform(it.col), image.Point{}, draw.Src)
		case kindRound:
			r.paintRound(dst, it.r.Add(off), it.rad, it.col, clip)
		case kindImage:
			rr := it.r.Add(off)
			if dr := rr.Intersect(clip); !dr.Empty() {
				draw.Draw(dst, dr, it.img, dr.Min.Sub(rr.Min).Add(it.img.Rect.Min), draw.Over)
			}
		case kindText:
			src := image.NewUniform(it.col)
			dot := it.r.Min.Add(off)
			it.st.walk(it.text, func(g glyph, x int) {
				if g.mask == nil {
					return
				}
				p := dot.Add(image.Pt(x, 0))
				if dr := g.mask.Rect.Add(p).Intersect(clip); !dr.Empty() {
					draw.DrawMask(dst, dr, src, image.Point{}, g.mask, dr.Min.Sub(p), draw.Over)
				}
			})
		}
	}
}

// paintRound draws the rectangle rr with corners of radius rad, inside
// clip. Only the corners need coverage masks: the straight edges lie on
// whole pixels, so the rest is two plain fills, which is much faster
// over a large highlight.
func (r *Renderer) paintRound(dst draw.Image, rr image.Rectangle, rad int, c color.RGBA, clip image.Rectangle) {
	rad = max(0, min(rad, rr.Dx()/2, rr.Dy()/2))
	src := image.NewUniform(c)
	for _, solid := range []image.Rectangle{
		image.Rect(rr.Min.X+rad, rr.Min.Y, rr.Max.X-rad, rr.Max.Y),
		image.Rect(rr.Min.X, rr.Min.Y+rad, rr.Min.X+rad, rr.Max.Y-rad),
		image.Rect(rr.Max.X-rad, rr.Min.Y+rad, rr.Max.X, rr.Max.Y-rad),
	} {
		if dr := solid.Intersect(clip); !dr.Empty() {
			draw.Draw(dst, dr, src, image.Point{}, draw.Src)
		}
	}
	if rad == 0 {
		return
	}
	circle := r.circleMask(rad)
	for _, corner := range []struct {
		at   image.Point // top left of the corner in dst
		from image.Point // and in the circle
	}{
		{rr.Min, image.Pt(0, 0)},
		{image.Pt(rr.Max.X-rad, rr.Min.Y), image.Pt(rad, 0)},
		{image.Pt(rr.Min.X, rr.Max.Y-rad), image.Pt(0, rad)},
		{image.Pt(rr.Max.X-rad, rr.Max.Y-rad), image.Pt(rad, rad)},
	} {
		q := image.Rectangle{Min: corner.at, Max: corner.at.Add(image.Pt(rad, rad))}
		if dr := q.Intersect(clip); !dr.Empty() {
			draw.DrawMask(dst, dr, src, image.Point{}, circle, corner.from.Add(dr.Min.Sub(q.Min)), draw.Over)
		}
	}
}

// circleMask is the coverage of a circle of radius rad in a 2rad
// square, cached: its quarters are the corners of rounded rectangles.
func (r *Renderer) circleMask(rad int) *image.Alpha {
	if m, ok := r.masks[rad]; ok {
		return m
	}
	if len(r.masks) >= maxMasks {
		clear(r.masks)
	}
	d := 2 * rad
	m := image.NewAlpha(image.Rect(0, 0, d, d))
	fd, fr := float32(d), float32(rad)
	k := fr * 0.5523 // cubic control point offset for a quarter circle
	z := r.raster
	z.Reset(d, d)
	z.MoveTo(fr, 0)
	z.CubeTo(fr+k, 0, fd, fr-k, fd, fr)
	z.CubeTo(fd, fr+k, fr+k, fd, fr, fd)
	z.CubeTo(fr-k, fd, 0, fr+k, 0, fr)
	z.CubeTo(0, fr-k, fr-k, 0, fr, 0)
	z.ClosePath()
	z.Draw(m, m.Rect, image.Opaque, image.Point{})
	r.masks[rad] = m
	return m
}

// logo adds the brand's logo at most h high and maxW wide at (x, y),
// keeping its aspect, and returns where it went (empty without a logo).
func (r *Renderer) logo(l *layout, x, y, h, maxW int) image.Rectangle {
	src := r.brand.Logo
	if src == nil || src.Bounds().Empty() || h <= 0 || maxW <= 0 {
		return image.Rectangle{}
	}
	sb := src.Bounds()
	w := max(1, (h*sb.Dx()+sb.Dy()/2)/sb.Dy())
	if w > maxW {
		w, h = maxW, max(1, (maxW*sb.Dy()+sb.Dx()/2)/sb.Dx())
	}
	size := image.Pt(w, h)
	img, ok := r.logos[size]
	if !ok {
		if len(r.logos) >= maxLogos {
			clear(r.logos)
		}
		img = image.NewRGBA(image.Rectangle{Max: size})
		xdraw.CatmullRom.Scale(img, img.Rect, src, sb, draw.Src, nil)
		r.logos[size] = img
	}
	at := image.Rectangle{Min: image.Pt(x, y), Max: image.Pt(x+w, y+h)}
	l.items = append(l.items, item{kind: kindImage, r: at, clip: l.region, img: img})
	l.logo = at
	return at
}
