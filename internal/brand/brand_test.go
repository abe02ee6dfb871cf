package brand

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// opaqueRun returns the length of the run of fully opaque pixels on row y.
func opaqueRun(img image.Image, y int) int {
	n := 0
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		if _, _, _, a := img.At(x, y).RGBA(); a == 0xffff {
			n++
		}
	}
	return n
}

func TestDefault(t *testing.T) {
	b := Default()
	if b.Product != "Plinth" {
		t.Errorf("Product = %q", b.Product)
	}
	if err := b.Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
	if r := Contrast(b.Foreground, b.Background); r < 7 {
		t.Errorf("default text contrast %.2f:1; want AAA (7:1) for the built-in brand", r)
	}
	if r := Contrast(b.Accent, b.Background); r < 3 {
		t.Errorf("default accent contrast %.2f:1; want at least 3:1 for UI elements", r)
	}
	logo, ok := b.Logo.(*image.RGBA)
	if !ok || logo.Bounds() != image.Rect(0, 0, 256, 256) {
		t.Fatalf("default logo %T %v, want a 256x256 *image.RGBA", b.Logo, b.Logo.Bounds())
	}
	for _, p := range []image.Point{{0, 0}, {255, 0}, {0, 255}, {255, 255}, {128, 20}, {128, 235}, {10, 128}} {
		if a := logo.RGBAAt(p.X, p.Y).A; a != 0 {
			t.Errorf("logo pixel %v has alpha %d; the background must be transparent", p, a)
		}
	}
	// Centres of the three bars are the accent colour.
	for _, y := range []int{72, 128, 184} {
		if got := logo.RGBAAt(128, y); got != b.Accent {
			t.Errorf("logo pixel (128,%d) = %v, want the accent %v", y, got, b.Accent)
		}
	}
	// A pedestal: bars widen downwards.
	top, mid, bottom := opaqueRun(logo, 72), opaqueRun(logo, 128), opaqueRun(logo, 184)
	if !(0 < top && top < mid && mid < bottom && bottom < 256) {
		t.Errorf("bar widths %d, %d, %d: want a stepped pedestal widening downwards", top, mid, bottom)
	}
	partial := 0
	for i := 3; i < len(logo.Pix); i += 4 {
		if a := logo.Pix[i]; a != 0 && a != 0xff {
			partial++
		}
	}
	if partial < 100 {
		t.Errorf("%d partly transparent pixels: the rounded corners are not antialiased", partial)
	}
	again := Default()
	if !bytes.Equal(logo.Pix, again.Logo.(*image.RGBA).Pix) {
		t.Error("the default logo differs between two calls")
	}
}

func TestMarkColourAndSize(t *testing.T) {
	c := color.RGBA{0x10, 0x80, 0xf0, 0xff}
	m := Mark(c, 64)
	if m.Bounds() != image.Rect(0, 0, 64, 64) {
		t.Fatalf("Mark(64) bounds %v", m.Bounds())
	}
	if got := m.RGBAAt(32, 46); got != c { // bottom bar at 184/4
		t.Errorf("Mark pixel = %v, want %v", got, c)
	}
	if got := Mark(c, 0).Bounds(); !got.Empty() {
		t.Errorf("Mark(0) = %v", got)
	}
}

func TestContrast(t *testing.T) {
	white, black := color.RGBA{0xff, 0xff, 0xff, 0xff}, color.RGBA{0, 0, 0, 0xff}
	for _, tc := range []struct {
		a, b color.RGBA
		want float64
	}{
		{black, white, 21},
		{white, black, 21},
		{white, white, 1},
		{color.RGBA{0x76, 0x76, 0x76, 0xff}, white, 4.54}, // the darkest grey that passes AA on white
		{color.RGBA{0x77, 0x77, 0x77, 0xff}, white, 4.48},
		{color.RGBA{0xff, 0, 0, 0xff}, white, 4.00},
	} {
		if got := Contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.005 {
			t.Errorf("Contrast(%s, %s) = %.4f, want %.2f", Hex(tc.a), Hex(tc.b), got, tc.want)
		}
	}
}

func TestParseHex(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want color.RGBA
		ok   bool
	}{
		{"#1b2430", color.RGBA{0x1b, 0x24, 0x30, 0xff}, true},
		{"#FF8800", color.RGBA{0xff, 0x88, 0, 0xff}, true},
		{"#fff", color.RGBA{}, false},
		{"ff8800", color.RGBA{}, false},
		{"#ff88000", color.RGBA{}, false},
		{"#12345g", color.RGBA{}, false},
		{"red", color.RGBA{}, false},
		{"", color.RGBA{}, false},
	} {
		got, err := ParseHex(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseHex(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "#rrggbb") {
			t.Errorf("ParseHex(%q) error %q does not say the expected form", tc.in, err)
		}
		if tc.ok && !strings.EqualFold(Hex(got), tc.in) {
			t.Errorf("Hex(ParseHex(%q)) = %q", tc.in, Hex(got))
		}
	}
}

// pngOf encodes a w x h image: its top half red, its bottom half blue.
func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		c := color.NRGBA{0xff, 0, 0, 0xff}
		if y >= h/2 {
			c = color.NRGBA{0, 0, 0xff, 0xff}
		}
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	def := Default()
	js := func(s string) map[string][]byte { return map[string][]byte{JSONFile: []byte(s)} }
	tooBig := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, MaxLogoBytes)...)
	for _, tc := range []struct {
		name    string
		files   map[string][]byte
		check   func(t *testing.T, b Brand)
		wantErr []string // substrings; the file name is always checked too
		errFile string
	}{
		{name: "empty directory is the default", files: nil, check: func(t *testing.T, b Brand) {
			if b.Product != def.Product || b.Background != def.Background || b.Foreground != def.Foreground || b.Accent != def.Accent {
				t.Errorf("got %+v, want the default", b)
			}
			if !sameImage(b.Logo, def.Logo) {
				t.Error("logo is not the default mark")
			}
		}},
		{name: "all keys", files: js(`{"product": "Acme DB", "background": "#102030", "foreground": "#FFFFFF", "accent": "#ff8800"}`),
			check: func(t *testing.T, b Brand) {
				want := Brand{Product: "Acme DB", Background: color.RGBA{0x10, 0x20, 0x30, 0xff}, Foreground: white, Accent: color.RGBA{0xff, 0x88, 0, 0xff}}
				if b.Product != want.Product || b.Background != want.Background || b.Foreground != want.Foreground || b.Accent != want.Accent {
					t.Errorf("got %+v, want %+v", b, want)
				}
			}},
		{name: "missing keys take the default", files: js(`{"accent": "#00aaff"}`), check: func(t *testing.T, b Brand) {
			if b.Product != "Plinth" || b.Background != def.Background || b.Foreground != def.Foreground {
				t.Errorf("got %+v", b)
			}
			// No logo.png: the default mark, in the brand's accent.
			if got := b.Logo.(*image.RGBA).RGBAAt(128, 184); got != (color.RGBA{0, 0xaa, 0xff, 0xff}) {
				t.Errorf("default mark pixel %v, want the accent #00aaff", got)
			}
		}},
		{name: "own logo", files: map[string][]byte{LogoFile: pngOf(t, 64, 32)}, check: func(t *testing.T, b Brand) {
			if b.Logo.Bounds() != image.Rect(0, 0, 64, 32) {
				t.Errorf("logo bounds %v", b.Logo.Bounds())
			}
			if r, g, bb, _ := b.Logo.At(3, 3).RGBA(); r != 0xffff || g != 0 || bb != 0 {
				t.Errorf("logo pixel (3,3) = %v, want red", b.Logo.At(3, 3))
			}
		}},
		{name: "logo at the size limit", files: map[string][]byte{LogoFile: pngOf(t, MaxLogoSide, 8)}, check: func(t *testing.T, b Brand) {
			if b.Logo.Bounds().Dx() != MaxLogoSide {
				t.Errorf("logo bounds %v", b.Logo.Bounds())
			}
		}},
		{name: "grey on white just passes", files: js(`{"foreground": "#767676", "background": "#ffffff"}`), check: func(t *testing.T, b Brand) {
			if b.Foreground != (color.RGBA{0x76, 0x76, 0x76, 0xff}) {
				t.Errorf("foreground %v", b.Foreground)
			}
		}},
		{name: "unknown key", files: js(`{"product": "A", "colour": "#ffffff"}`), errFile: JSONFile, wantErr: []string{`unknown key "colour"`, "product, background, foreground and accent"}},
		{name: "short colour", files: js(`{"accent": "#f80"}`), errFile: JSONFile, wantErr: []string{`"accent"`, `"#f80"`, "#rrggbb"}},
		{name: "colour name", files: js(`{"background": "navy"}`), errFile: JSONFile, wantErr: []string{`"background"`, "#rrggbb"}},
		{name: "colour as number", files: js(`{"background": 102030}`), errFile: JSONFile, wantErr: []string{"background"}},
		{name: "low contrast", files: js(`{"foreground": "#777777", "background": "#888888"}`), errFile: JSONFile,
			wantErr: []string{"#777777", "#888888", "contrast ratio of 1.26:1", "4.5:1"}},
		{name: "grey on white just fails", files: js(`{"foreground": "#777777", "background": "#ffffff"}`), errFile: JSONFile,
			wantErr: []string{"4.47:1", "at least 4.5:1"}},
		{name: "default text on a white background", files: js(`{"background": "#ffffff"}`), errFile: JSONFile, wantErr: []string{"contrast ratio"}},
		{name: "empty product", files: js(`{"product": ""}`), errFile: JSONFile, wantErr: []string{"product name is empty"}},
		{name: "product with newline", files: js(`{"product": "Acme\nDB"}`), errFile: JSONFile, wantErr: []string{"control character"}},
		{name: "product with spaces around", files: js(`{"product": " Acme"}`), errFile: JSONFile, wantErr: []string{"spaces"}},
		{name: "product too long", files: js(`{"product": "` + strings.Repeat("x", MaxProductLen+1) + `"}`), errFile: JSONFile, wantErr: []string{"65 characters", "64"}},
		{name: "not JSON", files: js(`product = "Acme"`), errFile: JSONFile, wantErr: []string{"not a JSON object"}},
		{name: "array", files: js(`["Acme"]`), errFile: JSONFile, wantErr: []string{"not a JSON object"}},
		{name: "two objects", files: js(`{"product": "A"} {"product": "B"}`), errFile: JSONFile, wantErr: []string{"single object"}},
		{name: "huge brand.json", files: js(`{"product": "A"}` + strings.Repeat(" ", MaxJSONBytes)), errFile: JSONFile, wantErr: []string{"64 KiB"}},
		{name: "JPEG logo", files: map[string][]byte{LogoFile: []byte("\xff\xd8\xff\xe0\x00\x10JFIF")}, errFile: LogoFile,
			wantErr: []string{"not a PNG (it looks like JPEG)", "convert"}},
		{name: "SVG logo", files: map[string][]byte{LogoFile: []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")}, errFile: LogoFile, wantErr: []string{"SVG"}},
		{name: "empty logo", files: map[string][]byte{LogoFile: nil}, errFile: LogoFile, wantErr: []string{"not a PNG (it is empty)"}},
		{name: "truncated PNG", files: map[string][]byte{LogoFile: pngOf(t, 64, 64)[:60]}, errFile: LogoFile, wantErr: []string{"broken PNG"}},
		{name: "logo too wide", files: map[string][]byte{LogoFile: pngOf(t, MaxLogoSide+1, 4)}, errFile: LogoFile,
			wantErr: []string{"1025x4", "at most 1024x1024"}},
		{name: "logo file too large", files: map[string][]byte{LogoFile: tooBig}, errFile: LogoFile, wantErr: []string{"4 MiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, tc.files)
			b, err := Load(dir)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("Load accepted it: %+v", b)
				}
				for _, w := range append(tc.wantErr, filepath.Join(dir, tc.errFile)) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Logo == nil {
				t.Fatal("Load returned no logo")
			}
			tc.check(t, b)
			// LoadFS sees the same brand.
			fb, err := LoadFS(os.DirFS(dir))
			if err != nil || fb.Product != b.Product || fb.Accent != b.Accent || !sameImage(fb.Logo, b.Logo) {
				t.Errorf("LoadFS differs from Load: %+v, %v", fb, err)
			}
		})
	}
}

func TestLoadDirectoryMustExist(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), "brand directory "+missing) {
		t.Errorf("missing directory: err = %v", err)
	}
	file := filepath.Join(t.TempDir(), "brand.json")
	os.WriteFile(file, []byte("{}"), 0o644)
	if _, err := Load(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as directory: err = %v", err)
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.NRGBAModel.Convert(a.At(x, y)) != color.NRGBAModel.Convert(b.At(x, y)) {
				return false
			}
		}
	}
	return true
}

// pngChunks lists the chunk types of a PNG file.
func pngChunks(t *testing.T, b []byte) []string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("not a PNG")
	}
	var types []string
	for p := 8; p+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		types = append(types, string(b[p+4:p+8]))
		p += 12 + n
	}
	return types
}

func TestFilesRoundTrip(t *testing.T) {
	custom, err := Load(writeDir(t, map[string][]byte{
		JSONFile: []byte(`{"product": "Acme DB", "background": "#f4f4f4", "foreground": "#102030"}`),
		LogoFile: pngOf(t, 100, 60),
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    Brand
	}{{"default", Default()}, {"custom", custom}} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := tc.b.Files()
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2 || files[JSONFile] == nil || files[LogoFile] == nil {
				t.Fatalf("Files() = %d files: %v", len(files), files)
			}
			var keys map[string]string
			if err := json.Unmarshal(files[JSONFile], &keys); err != nil {
				t.Fatalf("brand.json: %v\n%s", err, files[JSONFile])
			}
			want := map[string]string{"product": tc.b.Product, "background": Hex(tc.b.Background), "foreground": Hex(tc.b.Foreground), "accent": Hex(tc.b.Accent)}
			if len(keys) != len(want) {
				t.Errorf("brand.json keys %v, want %v", keys, want)
			}
			for k, v := range want {
				if keys[k] != v {
					t.Errorf("brand.json %s = %q, want %q", k, keys[k], v)
				}
			}
			for _, c := range pngChunks(t, files[LogoFile]) {
				if c == "tIME" || c == "tEXt" || c == "iTXt" || c == "zTXt" {
					t.Errorf("logo.png has a %s chunk: builds would not be reproducible", c)
				}
			}
			// What the target reads back is the same brand, and writing it
			// again gives the same bytes.
			back, err := LoadFS(fstest.MapFS{JSONFile: {Data: files[JSONFile]}, LogoFile: {Data: files[LogoFile]}})
			if err != nil {
				t.Fatal(err)
			}
			if back.Product != tc.b.Product || back.Background != tc.b.Background || back.Foreground != tc.b.Foreground || back.Accent != tc.b.Accent {
				t.Errorf("read back %+v, want %+v", back, tc.b)
			}
			if !sameImage(back.Logo, tc.b.Logo) {
				t.Error("logo changed on the way")
			}
			again, err := back.Files()
			if err != nil {
				t.Fatal(err)
			}
			for name := range files {
				if !bytes.Equal(files[name], again[name]) {
					t.Errorf("%s differs after a round trip", name)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Default()
	for _, tc := range []struct {
		name    string
		edit    func(*Brand)
		wantErr string
	}{
		{"default", func(*Brand) {}, ""},
		{"no logo", func(b *Brand) { b.Logo = nil }, "no logo"},
		{"logo too big", func(b *Brand) { b.Logo = image.NewRGBA(image.Rect(0, 0, 2000, 10)) }, "2000x10"},
		{"empty logo", func(b *Brand) { b.Logo = image.NewRGBA(image.Rect(0, 0, 0, 0)) }, "0x0"},
		{"transparent colour", func(b *Brand) { b.Accent.A = 0x80 }, "accent colour"},
		{"unreadable", func(b *Brand) { b.Foreground = b.Background }, "1.00:1"},
		{"bad product", func(b *Brand) { b.Product = "a\tb" }, "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ok
			tc.edit(&b)
			err := b.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Validate() = %v, want %q", err, tc.wantErr)
			}
			if _, ferr := b.Files(); ferr == nil {
				t.Error("Files() wrote an invalid brand")
			}
		})
	}
}
