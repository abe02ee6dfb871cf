// Package brand is the look of a Plinth product: its name, colours and
// logo. mkiso reads a brand directory (-brand DIR) or uses the built-in
// default, turns the logo into the UKI boot splash, and puts the brand
// into both images, where the installer's and the appliance's screens
// are drawn with it.
//
// A brand is checked once, where it enters (Load, LoadFS, Validate): a
// product name that breaks os-release, unreadable text colours or a logo
// too big to show are refused with a message naming the file and what to
// change, instead of surfacing as a blank or garbled boot screen.
package brand

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Brand is a product's look.
type Brand struct {
	Product    string      // shown in titles, e.g. "Plinth"
	Background color.RGBA  // screen background
	Foreground color.RGBA  // text
	Accent     color.RGBA  // progress bar, selection, headings
	Logo       image.Image // shown on the splash and on every screen; never nil after Load/Default
}

// Where a brand lives in the images, and the names of its files in a
// brand directory.
const (
	Dir      = "/etc/plinth" // directory of JSONFile and LogoFile in both initramfs images
	JSONFile = "brand.json"  // product name and colours
	LogoFile = "logo.png"    // the logo, a PNG
)

// Limits on what a brand may hold.
const (
	MaxLogoSide    = 1024    // pixels, width and height
	MaxLogoBytes   = 4 << 20 // size of logo.png
	MaxJSONBytes   = 64 << 10
	MaxProductLen  = 64  // characters
	MinContrast    = 4.5 // WCAG 2 AA for normal text, foreground against background
	defaultLogoDim = 256
)

// Default returns the built-in brand: "Plinth", light text on dark slate,
// and a stepped-pedestal mark in a warm accent.
func Default() Brand {
	accent := color.RGBA{0xf2, 0xa3, 0x3a, 0xff}
	return Brand{
		Product:    "Plinth",
		Background: color.RGBA{0x1b, 0x24, 0x30, 0xff},
		Foreground: color.RGBA{0xec, 0xef, 0xf4, 0xff},
		Accent:     accent,
		Logo:       Mark(accent, defaultLogoDim),
	}
}

// Validate reports the first thing about b that Load would refuse.
func (b Brand) Validate() error {
	if err := checkProduct(b.Product); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		c    color.RGBA
	}{{"background", b.Background}, {"foreground", b.Foreground}, {"accent", b.Accent}} {
		if c.c.A != 0xff {
			return fmt.Errorf("%s colour %s is not opaque (alpha %d): brand colours have no transparency", c.name, Hex(c.c), c.c.A)
		}
	}
	if r := Contrast(b.Foreground, b.Background); r < MinContrast {
		// Round down so the message never shows "4.50:1" for a refused 4.499.
		return fmt.Errorf("foreground %s on background %s has a contrast ratio of %.2f:1; text needs at least %.1f:1 (WCAG AA) to be readable: make one of them lighter or darker",
			Hex(b.Foreground), Hex(b.Background), math.Floor(r*100)/100, MinContrast)
	}
	if b.Logo == nil {
		return fmt.Errorf("no logo: use Default().Logo or Mark for the built-in one")
	}
	return checkLogoSize(b.Logo.Bounds().Dx(), b.Logo.Bounds().Dy())
}

func checkProduct(p string) error {
	switch {
	case strings.TrimSpace(p) == "":
		return fmt.Errorf("product name is empty: give the name users should see, e.g. \"Acme DB\"")
	case !utf8.ValidString(p):
		return fmt.Errorf("product name %q is not valid UTF-8", p)
	case strings.TrimSpace(p) != p:
		return fmt.Errorf("product name %q starts or ends with spaces: remove them", p)
	case utf8.RuneCountInString(p) > MaxProductLen:
		return fmt.Errorf("product name %q is %d characters long; the limit is %d (it is a title on an 80-column screen)", p, utf8.RuneCountInString(p), MaxProductLen)
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return fmt.Errorf("product name %q contains a control character (a newline or tab?): use a single plain line", p)
	}
	return nil
}

func checkLogoSize(w, h int) error {
	if w < 1 || h < 1 || w > MaxLogoSide || h > MaxLogoSide {
		return fmt.Errorf("logo is %dx%d pixels; it must be at most %dx%d: scale it down (256x256 is plenty for the splash)", w, h, MaxLogoSide, MaxLogoSide)
	}
	return nil
}

// Contrast returns the WCAG 2 contrast ratio of two colours, from 1 (the
// same luminance) to 21 (black and white). The order does not matter.
func Contrast(a, b color.RGBA) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the WCAG relative luminance of an sRGB colour.
func luminance(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Hex formats c as "#rrggbb", the form brand.json uses.
func Hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// ParseHex reads a "#rrggbb" colour (either case); other forms, such as
// "#rgb" or names, are errors.
func ParseHex(s string) (color.RGBA, error) {
	bad := fmt.Errorf("%q is not a colour of the form #rrggbb (for example #1b2430)", s)
	if len(s) != 7 || s[0] != '#' {
		return color.RGBA{}, bad
	}
	var v [3]uint8
	for i := range v {
		hi, ok1 := hexDigit(s[1+2*i])
		lo, ok2 := hexDigit(s[2+2*i])
		if !ok1 || !ok2 {
			return color.RGBA{}, bad
		}
		v[i] = hi<<4 | lo
	}
	return color.RGBA{v[0], v[1], v[2], 0xff}, nil
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// fileJSON is brand.json. Pointers tell a missing key from an empty one.
type fileJSON struct {
	Product    *string `json:"product,omitempty"`
	Background *string `json:"background,omitempty"`
	Foreground *string `json:"foreground,omitempty"`
	Accent     *string `json:"accent,omitempty"`
}

// Files returns the brand as the files of a brand directory, keyed by
// JSONFile and LogoFile: brand.json with every key, and the logo as a PNG.
// Load or LoadFS on them gives b back. The bytes depend only on b (no
// timestamps), so builds stay reproducible.
func (b Brand) Files() (map[string][]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("brand: %w", err)
	}
	bg, fg, ac := Hex(b.Background), Hex(b.Foreground), Hex(b.Accent)
	j, err := json.MarshalIndent(fileJSON{&b.Product, &bg, &fg, &ac}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("brand: encode %s: %w", JSONFile, err)
	}
	var logo bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&logo, b.Logo); err != nil {
		return nil, fmt.Errorf("brand: encode %s: %w", LogoFile, err)
	}
	return map[string][]byte{JSONFile: append(j, '\n'), LogoFile: logo.Bytes()}, nil
}
