package fb

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"
)

var (
	xrgb8888  = Layout{BitsPerPixel: 32, Red: Channel{16, 8}, Green: Channel{8, 8}, Blue: Channel{0, 8}}
	argb8888  = Layout{BitsPerPixel: 32, Red: Channel{16, 8}, Green: Channel{8, 8}, Blue: Channel{0, 8}, Alpha: Channel{24, 8}}
	xbgr8888  = Layout{BitsPerPixel: 32, Red: Channel{0, 8}, Green: Channel{8, 8}, Blue: Channel{16, 8}}
	rgbx8888  = Layout{BitsPerPixel: 32, Red: Channel{24, 8}, Green: Channel{16, 8}, Blue: Channel{8, 8}}
	rgb565    = Layout{BitsPerPixel: 16, Red: Channel{11, 5}, Green: Channel{5, 6}, Blue: Channel{0, 5}}
	bgr888    = Layout{BitsPerPixel: 24, Red: Channel{16, 8}, Green: Channel{8, 8}, Blue: Channel{0, 8}}
	rgb888    = Layout{BitsPerPixel: 24, Red: Channel{0, 8}, Green: Channel{8, 8}, Blue: Channel{16, 8}}
	argb2101  = Layout{BitsPerPixel: 32, Red: Channel{20, 10}, Green: Channel{10, 10}, Blue: Channel{0, 10}, Alpha: Channel{30, 2}}
	rgb332    = Layout{BitsPerPixel: 8, Red: Channel{5, 3}, Green: Channel{2, 3}, Blue: Channel{0, 2}}
	sentinel  = byte(0xee)
	opaque    = uint8(0xff)
	halfAlpha = uint8(0x80)
)

// sized returns l with a geometry.
func sized(l Layout, w, h, stride int) Layout {
	l.Width, l.Height, l.Stride = w, h, stride
	return l
}

// rgba builds a w x h image from pixels in reading order.
func rgba(w, h int, px ...color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, c := range px {
		img.SetRGBA(i%w, i/w, c)
	}
	return img
}

func c(r, g, b, a uint8) color.RGBA { return color.RGBA{r, g, b, a} }

func TestConvert(t *testing.T) {
	big := rgba(3, 3,
		c(1, 1, 1, opaque), c(2, 2, 2, opaque), c(3, 3, 3, opaque),
		c(4, 4, 4, opaque), c(0x50, 0x60, 0x70, opaque), c(6, 6, 6, opaque),
		c(7, 7, 7, opaque), c(8, 8, 8, opaque), c(9, 9, 9, opaque))
	tests := []struct {
		name   string
		layout Layout
		src    *image.RGBA
		dstLen int
		want   []byte
	}{
		{
			name:   "XRGB8888 as efifb gives under OVMF, stride padded",
			layout: sized(xrgb8888, 2, 2, 12),
			src:    rgba(2, 2, c(1, 2, 3, opaque), c(4, 5, 6, halfAlpha), c(7, 8, 9, 0), c(10, 11, 12, opaque)),
			dstLen: 24,
			want: []byte{
				3, 2, 1, 0, 6, 5, 4, 0, 0xee, 0xee, 0xee, 0xee,
				9, 8, 7, 0, 12, 11, 10, 0, 0xee, 0xee, 0xee, 0xee,
			},
		},
		{
			name:   "ARGB8888 alpha bits set opaque whatever the image's alpha",
			layout: sized(argb8888, 2, 1, 8),
			src:    rgba(2, 1, c(1, 2, 3, 0), c(4, 5, 6, halfAlpha)),
			dstLen: 8,
			want:   []byte{3, 2, 1, 0xff, 6, 5, 4, 0xff},
		},
		{
			name:   "XBGR8888 (BGR)",
			layout: sized(xbgr8888, 2, 1, 8),
			src:    rgba(2, 1, c(1, 2, 3, opaque), c(4, 5, 6, opaque)),
			dstLen: 8,
			want:   []byte{1, 2, 3, 0, 4, 5, 6, 0},
		},
		{
			name:   "RGBX8888",
			layout: sized(rgbx8888, 1, 1, 4),
			src:    rgba(1, 1, c(1, 2, 3, opaque)),
			dstLen: 4,
			want:   []byte{0, 3, 2, 1},
		},
		{
			name:   "RGB565 with stride padding",
			layout: sized(rgb565, 2, 2, 6),
			src: rgba(2, 2,
				c(0xff, 0x80, 0x00, opaque), c(0x08, 0x04, 0xf8, opaque),
				c(0xff, 0xff, 0xff, opaque), c(0, 0, 0, opaque)),
			dstLen: 12,
			// 0xfc00: r 31<<11 | g 32<<5; 0x083f: r 1<<11 | g 1<<5 | b 31.
			want: []byte{0x00, 0xfc, 0x3f, 0x08, 0xee, 0xee, 0xff, 0xff, 0x00, 0x00, 0xee, 0xee},
		},
		{
			name:   "BGR888 24 bpp",
			layout: sized(bgr888, 2, 1, 8),
			src:    rgba(2, 1, c(1, 2, 3, opaque), c(4, 5, 6, opaque)),
			dstLen: 8,
			want:   []byte{3, 2, 1, 6, 5, 4, 0xee, 0xee},
		},
		{
			name:   "RGB888 24 bpp",
			layout: sized(rgb888, 2, 1, 6),
			src:    rgba(2, 1, c(1, 2, 3, opaque), c(4, 5, 6, opaque)),
			dstLen: 6,
			want:   []byte{1, 2, 3, 4, 5, 6},
		},
		{
			name:   "10-bit channels widen by repeating high bits",
			layout: sized(argb2101, 1, 1, 4),
			src:    rgba(1, 1, c(0xff, 0x80, 0x00, opaque)),
			dstLen: 4,
			// r 0x3ff<<20 | g 0x202<<10 | a 3<<30 = 0xfff80800
			want: []byte{0x00, 0x08, 0xf8, 0xff},
		},
		{
			name:   "RGB332 8 bpp",
			layout: sized(rgb332, 2, 1, 2),
			src:    rgba(2, 1, c(0xff, 0x00, 0xff, opaque), c(0x20, 0xff, 0x40, opaque)),
			dstLen: 2,
			// 0xe3: r 7<<5 | b 3; 0x3d: r 1<<5 | g 7<<2 | b 1.
			want: []byte{0xe3, 0x3d},
		},
		{
			name:   "image larger than the screen is clipped",
			layout: sized(xrgb8888, 1, 1, 4),
			src:    rgba(2, 2, c(1, 2, 3, opaque), c(4, 5, 6, opaque), c(7, 8, 9, opaque), c(10, 11, 12, opaque)),
			dstLen: 4,
			want:   []byte{3, 2, 1, 0},
		},
		{
			name:   "image smaller than the screen leaves the rest alone",
			layout: sized(xrgb8888, 2, 2, 8),
			src:    rgba(1, 1, c(1, 2, 3, opaque)),
			dstLen: 16,
			want:   []byte{3, 2, 1, 0, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee},
		},
		{
			name:   "sub-image starts at its own Min",
			layout: sized(xrgb8888, 1, 1, 4),
			src:    big.SubImage(image.Rect(1, 1, 2, 2)).(*image.RGBA),
			dstLen: 4,
			want:   []byte{0x70, 0x60, 0x50, 0},
		},
		{
			name:   "empty image writes nothing",
			layout: sized(xrgb8888, 1, 1, 4),
			src:    image.NewRGBA(image.Rectangle{}),
			dstLen: 4,
			want:   []byte{0xee, 0xee, 0xee, 0xee},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := bytes.Repeat([]byte{sentinel}, tt.dstLen)
			if err := Convert(dst, tt.layout, tt.src); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dst, tt.want) {
				t.Errorf("got  % x\nwant % x", dst, tt.want)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	one := rgba(2, 2)
	tests := []struct {
		name   string
		layout Layout
		dstLen int
		want   string
	}{
		{"memory shorter than the mode", sized(xrgb8888, 2, 2, 12), 19, "cannot hold 2 lines"},
		{"12 bits per pixel", Layout{Width: 2, Height: 2, Stride: 4, BitsPerPixel: 12, Red: Channel{8, 4}, Green: Channel{4, 4}, Blue: Channel{0, 4}}, 100, "12 bits per pixel"},
		{"stride shorter than a line", sized(xrgb8888, 2, 2, 7), 100, "line length 7"},
		{"channel outside the pixel", Layout{Width: 2, Height: 2, Stride: 4, BitsPerPixel: 16, Red: Channel{12, 8}, Green: Channel{5, 6}, Blue: Channel{0, 5}}, 100, "red channel"},
		{"missing green", Layout{Width: 2, Height: 2, Stride: 8, BitsPerPixel: 32, Red: Channel{16, 8}, Blue: Channel{0, 8}}, 100, "green channel"},
		{"channel wider than 16 bits", Layout{Width: 2, Height: 2, Stride: 8, BitsPerPixel: 32, Red: Channel{0, 20}, Green: Channel{20, 6}, Blue: Channel{26, 6}}, 100, "red channel"},
		{"negative size", sized(xrgb8888, -1, 2, 8), 100, "negative size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := bytes.Repeat([]byte{sentinel}, tt.dstLen)
			err := Convert(dst, tt.layout, one)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if !bytes.Equal(dst, bytes.Repeat([]byte{sentinel}, tt.dstLen)) {
				t.Errorf("dst written despite the error: % x", dst)
			}
		})
	}
}

// The 32-bpp fast paths must agree with the generic per-pixel path.
func TestFastPathsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := image.NewRGBA(image.Rect(0, 0, 37, 5))
	for i := range src.Pix {
		src.Pix[i] = byte(rng.Uint32())
	}
	for _, l := range []Layout{xrgb8888, argb8888, xbgr8888, rgbx8888} {
		l = sized(l, 37, 5, 37*4+12)
		t.Run(l.String(), func(t *testing.T) {
			fast := make([]byte, l.Stride*l.Height)
			if err := Convert(fast, l, src); err != nil {
				t.Fatal(err)
			}
			slow := make([]byte, len(fast))
			for y := 0; y < l.Height; y++ {
				rowGeneric(slow[y*l.Stride:][:l.Width*4], src.Pix[y*src.Stride:][:l.Width*4], l, mask(l.Alpha))
			}
			if !bytes.Equal(fast, slow) {
				t.Errorf("fast path differs from generic conversion")
			}
		})
	}
}

func TestLayoutString(t *testing.T) {
	got := sized(argb8888, 1280, 800, 5120).String()
	if want := "1280x800 32bpp stride 5120 r16:8 g8:8 b0:8 a24:8"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func BenchmarkConvert1080p(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	for i := range src.Pix {
		src.Pix[i] = byte(i * 7)
	}
	for _, bc := range []struct {
		name   string
		layout Layout
	}{
		{"XRGB8888", sized(xrgb8888, 1920, 1080, 1920*4)},
		{"XRGB8888-stride8192", sized(xrgb8888, 1920, 1080, 8192)},
		{"XBGR8888", sized(xbgr8888, 1920, 1080, 1920*4)},
		{"BGR888", sized(bgr888, 1920, 1080, 1920*3)},
		{"RGB565", sized(rgb565, 1920, 1080, 1920*2)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]byte, bc.layout.Stride*bc.layout.Height)
			b.SetBytes(int64(len(src.Pix)))
			for b.Loop() {
				if err := Convert(dst, bc.layout, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
