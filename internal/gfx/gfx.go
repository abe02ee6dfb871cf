// Package gfx draws the installer's wizard screens and the installed
// appliance's status screen as pixels for the framebuffer, in the
// product's brand.
//
// The text console (internal/tui) is what serial lines and automation
// see, but the machine's own screen is where people install from and
// where an operator walks up to find the appliance's address. There a
// graphical screen pays for itself: the product's logo and colours, a
// real progress bar, type that is readable across the room. The wizard
// decides what a screen says (view.View); this package only decides
// how it looks, so both renderers stay equally safe.
//
// Everything scales with the screen, from 640x480 to 3840x2160: sizes
// derive from one unit, about a 36th of the height. Text never leaves
// its box: body lines wrap at word boundaries, single-line text is
// shortened with "…", a long body scrolls to keep the selected row in
// view, fields that do not fit scroll to keep the active one, and
// Overflows and StatusOverflows report whatever would still
// be clipped, so tests can prove that screens fit.
//
// Drawing is fastest into an *image.RGBA: fills are draw.Draw with an
// image.Uniform and glyphs are alpha masks rasterised once per size.
// For a framebuffer with another pixel layout, draw into an RGBA and
// convert the whole frame once.
package gfx

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/vector"

	"github.com/plinth-os/plinth/internal/brand"
)

// Renderer draws screens in one brand. Its caches (font faces, glyphs,
// shapes, the scaled logo) grow with use, so keep one Renderer for the
// life of the program. It is safe for concurrent use; draws are
// serialised.
type Renderer struct {
	brand brand.Brand
	pal   palette
	fonts [numFonts]*opentype.Font

	mu     sync.Mutex // guards everything below
	faces  map[faceKey]*face
	masks  map[int]*image.Alpha // circles by radius
	logos  map[image.Point]*image.RGBA
	raster *vector.Rasterizer
}

type fontID uint8

const (
	fontRegular fontID = iota
	fontBold
	fontMono
	numFonts
)

// Cache bounds: a screen uses a handful of sizes; a renderer that is
// asked for many screen sizes starts its caches afresh instead of
// growing without end.
const (
	maxFaces = 48
	maxMasks = 256
	maxLogos = 8
)

// New parses the fonts and derives the colours of b. Colours are taken
// as opaque whatever their alpha.
func New(b brand.Brand) (*Renderer, error) {
	r := &Renderer{
		brand:  b,
		faces:  make(map[faceKey]*face),
		masks:  make(map[int]*image.Alpha),
		logos:  make(map[image.Point]*image.RGBA),
		raster: vector.NewRasterizer(1, 1),
	}
	for id, ttf := range map[fontID][]byte{fontRegular: goregular.TTF, fontBold: gobold.TTF, fontMono: gomono.TTF} {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return nil, fmt.Errorf("gfx: parse font %d: %w", id, err)
		}
		// Make one face now, so that a font that cannot be used fails
		// here and not in the middle of a draw.
		if _, err := opentype.NewFace(f, faceOptions(16)); err != nil {
			return nil, fmt.Errorf("gfx: font %d: %w", id, err)
		}
		r.fonts[id] = f
	}
	r.pal = newPalette(b)
	return r, nil
}

func faceOptions(px int) *opentype.FaceOptions {
	// Full hinting rounds advances and metrics to whole pixels, which
	// keeps measuring and drawing on the same integer grid.
	return &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull}
}

// face returns font id at px pixels, cached.
func (r *Renderer) face(id fontID, px int) *face {
	px = max(px, 6)
	k := faceKey{id, px}
	if f, ok := r.faces[k]; ok {
		return f
	}
	if len(r.faces) >= maxFaces {
		clear(r.faces)
	}
	var ff font.Face = basicfont.Face7x13 // only if opentype fails, which New ruled out
	if of, err := opentype.NewFace(r.fonts[id], faceOptions(px)); err == nil {
		ff = of
	}
	m := ff.Metrics()
	f := &face{f: ff, px: px, ascent: m.Ascent.Ceil(), descent: m.Descent.Ceil(),
		glyphs: make(map[rune]glyph), kerns: make(map[[2]rune]int)}
	r.faces[k] = f
	return f
}

// palette is every colour a screen uses, derived from the brand.
type palette struct {
	bg, fg, accent color.RGBA
	onAccent       color.RGBA // text on an accent fill
	heading        color.RGBA
	dim            color.RGBA // secondary text
	warn, good     color.RGBA // amber, green
	bad            color.RGBA // red: failed services
	band           color.RGBA // header band
	line           color.RGBA // dividers, outlines
	field          color.RGBA // inside boxes and buttons
	track          color.RGBA // progress bar background
}

// Minimum contrast ratios (WCAG): 4.5 for text, 3 for large text.
const (
	textContrast  = 4.5
	largeContrast = 3
)

func newPalette(b brand.Brand) palette {
	bg, fg, ac := opaque(b.Background), opaque(b.Foreground), opaque(b.Accent)
	p := palette{bg: bg, fg: fg, accent: ac}
	dark := contrast(bg, color.RGBA{255, 255, 255, 255}) > contrast(bg, color.RGBA{0, 0, 0, 255})
	if dark {
		p.warn, p.good, p.bad = color.RGBA{0xf5, 0xb4, 0x3c, 0xff}, color.RGBA{0x52, 0xc7, 0x7e, 0xff}, color.RGBA{0xf2, 0x66, 0x5f, 0xff}
	} else {
		p.warn, p.good, p.bad = color.RGBA{0xa8, 0x52, 0x00, 0xff}, color.RGBA{0x1b, 0x7f, 0x3b, 0xff}, color.RGBA{0xc6, 0x28, 0x28, 0xff}
	}
	p.warn, p.good, p.bad = readable(p.warn, bg, fg, textContrast), readable(p.good, bg, fg, textContrast), readable(p.bad, bg, fg, textContrast)
	p.dim = readable(mix(fg, bg, 0.45), bg, fg, largeContrast)
	p.heading = fg
	if contrast(ac, bg) >= largeContrast {
		p.heading = ac
	}
	// Text on the accent: the brand's own colours if one reads well,
	// else black or white.
	p.onAccent = fg
	if contrast(bg, ac) > contrast(fg, ac) {
		p.onAccent = bg
	}
	if contrast(p.onAccent, ac) < textContrast {
		for _, c := range []color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}} {
			if contrast(c, ac) > contrast(p.onAccent, ac) {
				p.onAccent = c
			}
		}
	}
	p.band = mix(bg, fg, 0.07)
	p.line = mix(bg, fg, 0.35)
	p.field = mix(bg, fg, 0.06)
	p.track = mix(bg, fg, 0.16)
	return p
}

func opaque(c color.RGBA) color.RGBA { c.A = 255; return c }

// mix is a*(1-t) + b*t.
func mix(a, b color.RGBA, t float64) color.RGBA {
	f := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
}

// readable moves c towards fg until it has at least ratio contrast with
// bg, or is fg.
func readable(c, bg, fg color.RGBA, ratio float64) color.RGBA {
	out := c
	for i := 1; i <= 10 && contrast(out, bg) < ratio; i++ {
		out = mix(c, fg, float64(i)/10)
	}
	return out
}

// contrast is the WCAG 2 contrast ratio of a and b, 1 to 21.
func contrast(a, b color.RGBA) float64 { return brand.Contrast(a, b) }

// metrics are a screen's sizes, all derived from the unit s.
type metrics struct {
	w, h int
	s    float64 // body text size in pixels
	mx   int     // left and right margin
}

func newMetrics(size image.Point) metrics {
	s := math.Max(8, math.Round(math.Min(float64(size.Y)/36, float64(size.X)/48)))
	m := metrics{w: size.X, h: size.Y, s: s}
	m.mx = m.u(2)
	return m
}

// u is f units in whole pixels, at least 1.
func (m metrics) u(f float64) int { return max(1, int(math.Round(f*m.s))) }
