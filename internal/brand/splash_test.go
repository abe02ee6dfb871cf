package brand

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
	xbmp "golang.org/x/image/bmp"
)

// stubBMP is what systemd-stub's bmp_parse_header keeps of a bitmap.
type stubBMP struct {
	width, height, depth, offset uint32
}

// Errors of stubParse, named after the EFI status systemd-stub returns.
var (
	errStubInvalid     = errors.New("EFI_INVALID_PARAMETER")
	errStubUnsupported = errors.New("EFI_UNSUPPORTED")
)

// stubParse repeats, check for check and with the same unsigned
// arithmetic, bmp_parse_header of systemd-stub 252 (src/boot/efi/splash.c;
// unchanged in this respect from 2015 to today): what systemd-stub would
// accept. A bitmap it refuses is not shown at all, and the boot goes on
// silently with a black screen.
func stubParse(bmp []byte) (stubBMP, error) {
	le := binary.LittleEndian
	size := uint64(len(bmp))
	const sizeofFile, sizeofDIB = 14, 40
	if size < sizeofFile+sizeofDIB {
		return stubBMP{}, fmt.Errorf("%w: %d bytes, shorter than the headers", errStubInvalid, size)
	}
	if bmp[0] != 'B' || bmp[1] != 'M' {
		return stubBMP{}, fmt.Errorf("%w: signature %q", errStubInvalid, bmp[:2])
	}
	fileSize, offset := le.Uint32(bmp[2:]), le.Uint32(bmp[10:])
	if uint64(fileSize) != size {
		return stubBMP{}, fmt.Errorf("%w: bfSize %d, file has %d bytes", errStubInvalid, fileSize, size)
	}
	if fileSize < offset {
		return stubBMP{}, fmt.Errorf("%w: bfOffBits %d beyond the file", errStubInvalid, offset)
	}
	dib := bmp[sizeofFile:]
	dibSize, x, y := le.Uint32(dib[0:]), le.Uint32(dib[4:]), le.Uint32(dib[8:])
	depth, compression, colorsUsed := le.Uint16(dib[14:]), le.Uint32(dib[16:]), le.Uint32(dib[32:])
	if dibSize < sizeofDIB {
		return stubBMP{}, fmt.Errorf("%w: %d-byte DIB header", errStubUnsupported, dibSize)
	}
	switch depth {
	case 1, 4, 8, 24:
		if compression != 0 {
			return stubBMP{}, fmt.Errorf("%w: %d-bit with compression %d", errStubUnsupported, depth, compression)
		}
	case 16, 32:
		if compression != 0 && compression != 3 {
			return stubBMP{}, fmt.Errorf("%w: %d-bit with compression %d", errStubUnsupported, depth, compression)
		}
	default:
		return stubBMP{}, fmt.Errorf("%w: depth %d", errStubUnsupported, depth)
	}
	rowSize := (uint64(depth)*uint64(x) + 31) / 32 * 4
	if uint64(fileSize-offset) < uint64(y)*rowSize {
		return stubBMP{}, fmt.Errorf("%w: %d pixel bytes, %d rows of %d needed", errStubInvalid, fileSize-offset, y, rowSize)
	}
	if rowSize*uint64(y) > 64*1024*1024 {
		return stubBMP{}, fmt.Errorf("%w: over 64 MiB of pixels", errStubInvalid)
	}
	if uint64(offset) < sizeofFile+uint64(dibSize) {
		return stubBMP{}, fmt.Errorf("%w: pixels at %d overlap the headers", errStubInvalid, offset)
	}
	if uint64(offset) > sizeofFile+uint64(dibSize) {
		var mapCount uint64
		switch {
		case colorsUsed != 0:
			mapCount = uint64(colorsUsed)
		case depth == 1 || depth == 4 || depth == 8:
			mapCount = 1 << depth
		}
		if mapSize := uint64(offset) - (sizeofFile + uint64(dibSize)); mapSize != 4*mapCount {
			return stubBMP{}, fmt.Errorf("%w: %d bytes between headers and pixels, colour table of %d entries", errStubInvalid, mapSize, mapCount)
		}
	}
	return stubBMP{x, y, uint32(depth), offset}, nil
}

// stubPixels repeats bmp_to_blt for 24-bit bitmaps: the screen pixels
// systemd-stub would draw, top row first.
func stubPixels(bmp []byte, h stubBMP) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, int(h.width), int(h.height)))
	pixmap := int(h.offset)
	in := pixmap
	for y := uint32(0); y < h.height; y++ {
		row := int(h.height - y - 1)
		for x := 0; x < int(h.width); x++ {
			out.SetRGBA(x, row, color.RGBA{bmp[in+2], bmp[in+1], bmp[in], 0xff})
			in += 3
		}
		rowSize := in - pixmap
		in += ((rowSize + 3) &^ 3) - rowSize
	}
	return out
}

func TestSplash(t *testing.T) {
	fileTool := testdisk.Tool(t, "file")
	big, err := Load(writeDir(t, map[string][]byte{LogoFile: pngOf(t, 1000, 500)}))
	if err != nil {
		t.Fatal(err)
	}
	small, err := Load(writeDir(t, map[string][]byte{LogoFile: pngOf(t, 40, 20), JSONFile: []byte(`{"background": "#f0f0f0", "foreground": "#000000"}`)}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    Brand
		w, h int
		logo image.Rectangle // where the logo lands in the splash
		mark bool            // the logo is the default mark
	}{
		{"default size", Default(), SplashWidth, SplashHeight, image.Rect(72, 32, 328, 288), true},
		{"row padding 1", Default(), 401, 321, image.Rect(72, 32, 328, 288), true},
		{"row padding 2", Default(), 402, 320, image.Rect(73, 32, 329, 288), true},
		{"row padding 3", Default(), 403, 323, image.Rect(73, 33, 329, 289), true},
		{"smallest", Default(), 16, 16, image.Rectangle{}, true},
		{"logo scaled down", big, SplashWidth, SplashHeight, image.Rect(32, 76, 368, 244), false}, // 1000x500 fits 336x168
		{"small logo not scaled", small, 401, 301, image.Rect(180, 140, 220, 160), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bmp, err := tc.b.Splash(tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			want, err := tc.b.splashImage(tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}

			// The header, field by field.
			le := binary.LittleEndian
			rowLen := (3*tc.w + 3) / 4 * 4
			for _, f := range []struct {
				name     string
				got, off uint32
				want     uint32
			}{
				{"bfSize", le.Uint32(bmp[2:]), 2, uint32(len(bmp))},
				{"bfReserved", le.Uint32(bmp[6:]), 6, 0},
				{"bfOffBits", le.Uint32(bmp[10:]), 10, 54},
				{"biSize", le.Uint32(bmp[14:]), 14, 40},
				{"biWidth", le.Uint32(bmp[18:]), 18, uint32(tc.w)},
				{"biHeight (positive: bottom-up)", le.Uint32(bmp[22:]), 22, uint32(tc.h)},
				{"biPlanes", uint32(le.Uint16(bmp[26:])), 26, 1},
				{"biBitCount", uint32(le.Uint16(bmp[28:])), 28, 24},
				{"biCompression (BI_RGB)", le.Uint32(bmp[30:]), 30, 0},
				{"biSizeImage", le.Uint32(bmp[34:]), 34, uint32(rowLen * tc.h)},
				{"biClrUsed", le.Uint32(bmp[46:]), 46, 0},
			} {
				if f.got != f.want {
					t.Errorf("%s (at %d) = %d, want %d", f.name, f.off, f.got, f.want)
				}
			}
			if len(bmp) != 54+rowLen*tc.h {
				t.Errorf("%d bytes, want %d", len(bmp), 54+rowLen*tc.h)
			}
			// Row padding is zero.
			for i := 0; i < tc.h; i++ {
				for _, c := range bmp[54+i*rowLen+3*tc.w : 54+(i+1)*rowLen] {
					if c != 0 {
						t.Fatalf("row %d padding not zero", i)
					}
				}
			}

			// What systemd-stub would accept and draw.
			h, err := stubParse(bmp)
			if err != nil {
				t.Fatalf("systemd-stub would refuse the splash: %v", err)
			}
			if got := stubPixels(bmp, h); !bytes.Equal(got.Pix, want.Pix) {
				t.Error("systemd-stub would draw other pixels than the splash image")
			}
			// An independent decoder agrees.
			dec, err := xbmp.Decode(bytes.NewReader(bmp))
			if err != nil {
				t.Fatalf("x/image/bmp: %v", err)
			}
			if !sameImage(dec, want) {
				t.Error("x/image/bmp decodes other pixels than the splash image")
			}
			// And so does file(1).
			path := filepath.Join(t.TempDir(), "splash.bmp")
			if err := os.WriteFile(path, bmp, 0o644); err != nil {
				t.Fatal(err)
			}
			out := testdisk.Run(t, fileTool, "-b", path)
			for _, w := range []string{fmt.Sprintf("PC bitmap, Windows 3.x format, %d x %d x 24", tc.w, tc.h), fmt.Sprintf("cbSize %d", len(bmp)), "bits offset 54"} {
				if !strings.Contains(out, w) {
					t.Errorf("file says %q; want %q", strings.TrimSpace(out), w)
				}
			}

			// The look: black corners (the stub fills the screen black),
			// the brand background inside the fade, the logo centred.
			bg := tc.b.Background
			if got := want.RGBAAt(0, 0); got != (color.RGBA{0, 0, 0, 0xff}) {
				t.Errorf("corner %v, want black", got)
			}
			fade := min(tc.w, tc.h) / 10
			for _, p := range []image.Point{{fade, fade}, {tc.w - 1 - fade, tc.h - 1 - fade}, {tc.w / 2, fade}} {
				if got := want.RGBAAt(p.X, p.Y); fade > 0 && got != bg {
					t.Errorf("pixel %v = %v, want the background %v", p, got, bg)
				}
			}
			if !tc.logo.Empty() {
				checkLogoPlace(t, tc.b, want, tc.logo, tc.mark)
			}
			again, err := tc.b.Splash(tc.w, tc.h)
			if err != nil || !bytes.Equal(again, bmp) {
				t.Errorf("a second Splash differs (err %v)", err)
			}
		})
	}
}

// checkLogoPlace checks that the logo covers exactly r: the default mark
// by its accent-coloured bars, the test logos (red over blue) by their
// colours, top half red, so upside-down rows would show.
func checkLogoPlace(t *testing.T, b Brand, img *image.RGBA, r image.Rectangle, mark bool) {
	t.Helper()
	red, blue := color.RGBA{0xff, 0, 0, 0xff}, color.RGBA{0, 0, 0xff, 0xff}
	if mark {
		// Bottom bar: 216 of 256 wide at y 162..206; its middle row.
		y := r.Min.Y + 184*r.Dy()/256
		if got := img.RGBAAt(r.Min.X+128*r.Dx()/256, y); got != b.Accent {
			t.Errorf("bar centre %v, want the accent", got)
		}
		if n := opaqueAccent(img, y, b.Accent); n < 210 || n > 216 {
			t.Errorf("bottom bar %d pixels wide in the splash, want 216 (not scaled)", n)
		}
		return
	}
	inset := r.Inset(3)
	for _, p := range []struct {
		at   image.Point
		want color.RGBA
	}{
		{inset.Min, red}, {image.Pt(inset.Max.X-1, inset.Min.Y), red},
		{image.Pt(inset.Min.X, inset.Max.Y-1), blue}, {inset.Max.Sub(image.Pt(1, 1)), blue},
		{image.Pt(r.Min.X+2, r.Min.Y-2), b.Background}, {image.Pt(r.Max.X-3, r.Max.Y+1), b.Background},
	} {
		if got := img.RGBAAt(p.at.X, p.at.Y); got != p.want {
			t.Errorf("pixel %v = %v, want %v (logo expected at %v)", p.at, got, p.want, r)
		}
	}
}

func opaqueAccent(img *image.RGBA, y int, c color.RGBA) int {
	n := 0
	for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
		if img.RGBAAt(x, y) == c {
			n++
		}
	}
	return n
}

func TestSplashRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    Brand
		w, h int
		want string
	}{
		{"too narrow", Default(), 15, 100, "15x100"},
		{"zero", Default(), 100, 0, "16 to 4096"},
		{"too big for the stub", Default(), 4097, 100, "16 to 4096"},
		{"no logo", Brand{Background: color.RGBA{A: 0xff}}, 100, 100, "no logo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.b.Splash(tc.w, tc.h); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Splash(%d, %d) = %v, want %q", tc.w, tc.h, err, tc.want)
			}
		})
	}
}

// TestStubParseRejects shows that stubParse bites: it refuses the wrong
// BMP formats users have shipped, as systemd-stub does.
func TestStubParseRejects(t *testing.T) {
	good, err := Default().Splash(64, 48)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stubParse(good); err != nil {
		t.Fatalf("good bitmap refused: %v", err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	put32 := func(b []byte, off int, v uint32) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
	put16 := func(b []byte, off int, v uint16) []byte { binary.LittleEndian.PutUint16(b[off:], v); return b }
	for _, tc := range []struct {
		name string
		bmp  []byte
		want error
	}{
		{"PNG renamed .bmp", pngOf(t, 8, 8), errStubInvalid},
		{"bfSize off by one", edit(func(b []byte) []byte { return put32(b, 2, uint32(len(b)+1)) }), errStubInvalid},
		{"trailing bytes", edit(func(b []byte) []byte { return append(b, 0) }), errStubInvalid},
		{"OS/2 BITMAPCOREHEADER", edit(func(b []byte) []byte { return put32(b, 14, 12) }), errStubUnsupported},
		{"RLE compressed", edit(func(b []byte) []byte { return put32(b, 30, 1) }), errStubUnsupported},
		{"24-bit BI_BITFIELDS", edit(func(b []byte) []byte { return put32(b, 30, 3) }), errStubUnsupported},
		{"32-bit PNG-compressed", edit(func(b []byte) []byte { put16(b, 28, 32); return put32(b, 30, 5) }), errStubUnsupported},
		{"2-bit", edit(func(b []byte) []byte { return put16(b, 28, 2) }), errStubUnsupported},
		{"top-down (negative height)", edit(func(b []byte) []byte { return put32(b, 22, uint32(0x100000000-48)) }), errStubInvalid},
		{"pixels cut short", edit(func(b []byte) []byte { b = b[:len(b)-1]; return put32(b, 2, uint32(len(b))) }), errStubInvalid},
		{"gap without colour table", edit(func(b []byte) []byte { return put32(b, 10, 58) }), errStubInvalid},
		{"pixels inside headers", edit(func(b []byte) []byte { return put32(b, 10, 50) }), errStubInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := stubParse(tc.bmp); !errors.Is(err, tc.want) {
				t.Errorf("stubParse = %v, want %v", err, tc.want)
			}
		})
	}
}

func BenchmarkSplash(b *testing.B) {
	br := Default()
	for b.Loop() {
		if _, err := br.Splash(SplashWidth, SplashHeight); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		Default()
	}
}
