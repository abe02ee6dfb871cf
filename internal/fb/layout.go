package fb

import (
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
)

// Channel is where one colour component sits inside a pixel value: its
// lowest bit and its width in bits (struct fb_bitfield without msb_right,
// which no driver we support sets).
type Channel struct {
	Offset, Length int
}

// Layout describes the visible part of a framebuffer in memory. Pixel
// values are stored little-endian, BitsPerPixel/8 bytes each, as on every
// machine Plinth targets (amd64, arm64).
type Layout struct {
	Width, Height           int // visible pixels
	Stride                  int // bytes from one line to the next (line_length)
	BitsPerPixel            int // 8, 16, 24 or 32
	Red, Green, Blue, Alpha Channel
}

// String describes the layout for logs, e.g.
// "1280x800 32bpp stride 5120 r16:8 g8:8 b0:8 a24:8".
func (l Layout) String() string {
	s := fmt.Sprintf("%dx%d %dbpp stride %d r%d:%d g%d:%d b%d:%d", l.Width, l.Height, l.BitsPerPixel, l.Stride,
		l.Red.Offset, l.Red.Length, l.Green.Offset, l.Green.Length, l.Blue.Offset, l.Blue.Length)
	if l.Alpha.Length > 0 {
		s += fmt.Sprintf(" a%d:%d", l.Alpha.Offset, l.Alpha.Length)
	}
	return s
}

// Validate reports whether Convert can write this layout.
func (l Layout) Validate() error {
	switch l.BitsPerPixel {
	case 8, 16, 24, 32:
	default:
		return fmt.Errorf("fb: %d bits per pixel is not supported (need 8, 16, 24 or 32); use a firmware video mode with true colour", l.BitsPerPixel)
	}
	if l.Width < 0 || l.Height < 0 {
		return fmt.Errorf("fb: negative size %dx%d", l.Width, l.Height)
	}
	if least := l.Width * l.BitsPerPixel / 8; l.Stride < least {
		return fmt.Errorf("fb: line length %d bytes is shorter than %d pixels of %d bits; the driver reported an inconsistent mode", l.Stride, l.Width, l.BitsPerPixel)
	}
	for _, c := range []struct {
		name     string
		ch       Channel
		optional bool
	}{{"red", l.Red, false}, {"green", l.Green, false}, {"blue", l.Blue, false}, {"alpha", l.Alpha, true}} {
		if c.optional && c.ch.Length == 0 {
			continue
		}
		if c.ch.Length < 1 || c.ch.Length > 16 || c.ch.Offset < 0 || c.ch.Offset+c.ch.Length > l.BitsPerPixel {
			return fmt.Errorf("fb: %s channel at bit %d, %d bits wide, does not fit a %d-bit pixel of at most 16 bits per channel", c.name, c.ch.Offset, c.ch.Length, l.BitsPerPixel)
		}
	}
	return nil
}

// Convert writes src into dst, a framebuffer laid out as l: src's top-left
// pixel (src.Bounds().Min) lands on the framebuffer's top-left, and what
// does not fit l.Width x l.Height is clipped. Framebuffer pixels src does
// not cover are left alone, and so are the padding bytes at the end of each
// line. Alpha in src is ignored: the framebuffer's alpha bits, if any, are
// set to opaque.
func Convert(dst []byte, l Layout, src *image.RGBA) error {
	if err := l.Validate(); err != nil {
		return err
	}
	b := src.Bounds()
	w, h := min(b.Dx(), l.Width), min(b.Dy(), l.Height)
	if w <= 0 || h <= 0 {
		return nil
	}
	bpp := l.BitsPerPixel / 8
	if need := (h-1)*l.Stride + w*bpp; len(dst) < need {
		return fmt.Errorf("fb: %d bytes of framebuffer memory cannot hold %d lines of %d bytes (stride %d); the mapping is smaller than the mode", len(dst), h, w*bpp, l.Stride)
	}
	row := l.rowFunc()
	for y := 0; y < h; y++ {
		o := src.PixOffset(b.Min.X, b.Min.Y+y)
		row(dst[y*l.Stride:][:w*bpp], src.Pix[o:][:w*4])
	}
	return nil
}

// rowFunc picks the converter for one line: s is RGBA (4 bytes a pixel),
// d receives as many framebuffer pixels.
func (l Layout) rowFunc() func(d, s []byte) {
	alpha := mask(l.Alpha)
	if l.BitsPerPixel == 32 && l.Red.Length == 8 && l.Green.Length == 8 && l.Blue.Length == 8 {
		if l.Red.Offset == 16 && l.Green.Offset == 8 && l.Blue.Offset == 0 {
			return func(d, s []byte) { rowXRGB8888(d, s, alpha) }
		}
		rs, gs, bs := uint(l.Red.Offset), uint(l.Green.Offset), uint(l.Blue.Offset)
		return func(d, s []byte) { row32(d, s, rs, gs, bs, alpha) }
	}
	return func(d, s []byte) { rowGeneric(d, s, l, alpha) }
}

// mask is a channel's bits all set, in place.
func mask(c Channel) uint32 {
	if c.Length == 0 {
		return 0
	}
	return (1<<uint(c.Length) - 1) << uint(c.Offset)
}

// rowXRGB8888 is what efifb reports under OVMF and on most PCs: bytes B, G,
// R, X in memory. The RGBA bytes R, G, B, A read as a little-endian word
// are 0xAABBGGRR; reversed and shifted they are 0x00RRGGBB.
func rowXRGB8888(d, s []byte, alpha uint32) {
	for len(s) >= 4 && len(d) >= 4 {
		p := binary.LittleEndian.Uint32(s)
		binary.LittleEndian.PutUint32(d, bits.ReverseBytes32(p)>>8|alpha)
		s, d = s[4:], d[4:]
	}
}

// row32 handles any 32-bpp layout with 8-bit channels (BGR, RGBX, ...).
func row32(d, s []byte, rs, gs, bs uint, alpha uint32) {
	for len(s) >= 4 && len(d) >= 4 {
		v := uint32(s[0])<<rs | uint32(s[1])<<gs | uint32(s[2])<<bs | alpha
		binary.LittleEndian.PutUint32(d, v)
		s, d = s[4:], d[4:]
	}
}

// rowGeneric handles every other layout, one pixel value at a time.
func rowGeneric(d, s []byte, l Layout, alpha uint32) {
	n := l.BitsPerPixel / 8
	for len(s) >= 4 && len(d) >= n {
		v := scale(s[0], l.Red) | scale(s[1], l.Green) | scale(s[2], l.Blue) | alpha
		switch n {
		case 1:
			d[0] = byte(v)
		case 2:
			binary.LittleEndian.PutUint16(d, uint16(v))
		case 3:
			_ = d[2]
			d[0], d[1], d[2] = byte(v), byte(v>>8), byte(v>>16)
		default:
			binary.LittleEndian.PutUint32(d, v)
		}
		s, d = s[4:], d[n:]
	}
}

// scale fits an 8-bit component into c: dropping low bits when narrower,
// repeating the high bits when wider (so 0xff stays all ones).
func scale(v uint8, c Channel) uint32 {
	var x uint32
	if c.Length <= 8 {
		x = uint32(v) >> uint(8-c.Length)
	} else {
		x = uint32(v) * 0x101 >> uint(16-c.Length)
	}
	return x << uint(c.Offset)
}
