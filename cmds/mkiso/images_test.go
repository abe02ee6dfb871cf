package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/uki"
)

// brandDir writes a brand directory: brand.json if js is not empty, and
// a w x h orange logo if w > 0.
func brandDir(t *testing.T, js string, w, h int) string {
	t.Helper()
	dir := t.TempDir()
	if js != "" {
		if err := os.WriteFile(filepath.Join(dir, brand.JSONFile), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if w > 0 {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < len(img.Pix); i += 4 {
			copy(img.Pix[i:], []byte{0xff, 0x88, 0x00, 0xff})
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, brand.LogoFile), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBrandFlag(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	acme := brandDir(t, `{"product": "Acme DB", "background": "#102030", "foreground": "#ffffff", "accent": "#ff8800"}`, 0, 0)
	logoOnly := brandDir(t, "", 64, 64)
	for _, tc := range []struct {
		name        string
		args        []string
		wantProduct string
		wantBG      string
		wantErr     []string
	}{
		{"built-in brand", nil, "Plinth", "#1b2430", nil},
		{"-product alone", []string{"-product", "Widget OS"}, "Widget OS", "#1b2430", nil},
		{"-brand", []string{"-brand", acme}, "Acme DB", "#102030", nil},
		{"-product wins over -brand", []string{"-brand", acme, "-product", "Acme DB Enterprise"}, "Acme DB Enterprise", "#102030", nil},
		{"logo only", []string{"-brand", logoOnly}, "Plinth", "#1b2430", nil},
		{"missing directory", []string{"-brand", filepath.Join(acme, "nope")}, "", "", []string{"-brand", "nope"}},
		{"empty directory", []string{"-brand", t.TempDir()}, "", "", []string{"neither brand.json nor logo.png"}},
		{"unreadable colours", []string{"-brand", brandDir(t, `{"foreground": "#333333"}`, 0, 0)}, "", "",
			[]string{"-brand", "brand.json", "contrast ratio", "4.5:1"}},
		{"bad -product", []string{"-product", "Acme\tDB"}, "", "", []string{"-product", "control character"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Product != tc.wantProduct || cfg.Brand.Product != tc.wantProduct {
				t.Errorf("product %q, brand product %q; want %q", cfg.Product, cfg.Brand.Product, tc.wantProduct)
			}
			if got := brand.Hex(cfg.Brand.Background); got != tc.wantBG {
				t.Errorf("background %s, want %s", got, tc.wantBG)
			}
			if cfg.Brand.Logo == nil {
				t.Error("no logo")
			}
		})
	}
}

// objdumpSplash returns the size objdump -h gives the .splash section, or
// -1 when it lists none.
func objdumpSplash(t *testing.T, efi []byte) int64 {
	t.Helper()
	objdump := testdisk.Tool(t, "objdump")
	p := filepath.Join(t.TempDir(), "uki.efi")
	if err := os.WriteFile(p, efi, 0o644); err != nil {
		t.Fatal(err)
	}
	out := testdisk.Run(t, objdump, "-h", p)
	if !strings.Contains(out, "pei-x86-64") {
		t.Errorf("objdump does not read a PE32+ image:\n%s", out)
	}
	m := regexp.MustCompile(`(?m)^\s*\d+\s+\.splash\s+([0-9a-f]+)\s`).FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	n, err := strconv.ParseInt(m[1], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImagesCarryBrand builds both UKIs as mkiso does, on the Debian stub
// with a stand-in kernel and busybox binary, and reads the brand back out
// the way firmware and target do.
func TestImagesCarryBrand(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	stub, err := os.ReadFile(defaultStub)
	if err != nil {
		t.Fatalf("systemd-stub is required (apt-get install systemd-boot-efi): %v", err)
	}
	dir := brandDir(t, `{"product": "Acme DB", "background": "#f4f4f4", "foreground": "#102030", "accent": "#0066cc"}`, 300, 100)
	cfg, err := parseFlags([]string{"-brand", dir, "-version", "1.2.3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := brandFiles(cfg.Brand)
	if err != nil {
		t.Fatal(err)
	}
	again, err := brandFiles(cfg.Brand)
	if err != nil || !bytes.Equal(again.Splash, parts.Splash) || len(again.Files) != len(parts.Files) {
		t.Fatalf("brandFiles is not reproducible (err %v)", err)
	}
	for p, data := range parts.Files {
		if !bytes.Equal(again.Files[p], data) {
			t.Errorf("%s differs between two builds", p)
		}
	}
	// The splash is a 24-bit uncompressed BMP of the documented size.
	le := binary.LittleEndian
	if s := parts.Splash; len(s) < 54 || string(s[:2]) != "BM" || le.Uint16(s[28:]) != 24 || le.Uint32(s[30:]) != 0 ||
		le.Uint32(s[18:]) != brand.SplashWidth || le.Uint32(s[22:]) != brand.SplashHeight {
		t.Fatalf("splash is not a %dx%d 24-bit BI_RGB BMP: % x", brand.SplashWidth, brand.SplashHeight, s[:min(len(s), 54)])
	}

	bb := []byte("\x7fELF stand-in busybox")
	kernel := bytes.Repeat([]byte("stand-in bzImage "), 4096)
	runtimeCmds := append(append([]string(nil), runtimeCommands...), demoPayload)
	spec, err := productSpec(cfg)
	if err != nil {
		t.Fatal(err)
	}
	specJSON, err := productspec.Marshal(&spec)
	if err != nil {
		t.Fatal(err)
	}
	runtimeInit, err := runtimeInitramfs(cfg, runtimeContent{Busybox: bb, Commands: runtimeCmds, Spec: specJSON, Accounts: accountFiles(spec)}, parts)
	if err != nil {
		t.Fatal(err)
	}
	runtimeInitrd, err := runtimeInit.Build()
	if err != nil {
		t.Fatal(err)
	}
	runtimeEFI, err := runtimeUKI(cfg, parts, kernel, "6.1.0-test", runtimeInitrd).Build(stub)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := installManifest(cfg, runtimeEFI)
	if err != nil {
		t.Fatal(err)
	}
	installerInit, err := installerInitramfs(cfg, bb, parts, manifest, runtimeEFI, specJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	installerInitrd, err := installerInit.Build()
	if err != nil {
		t.Fatal(err)
	}
	installerEFI, err := installerUKI(cfg, parts, kernel, "6.1.0-test", installerInitrd).Build(stub)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		efi    []byte
		osrel  string
		extras []string // other files the initramfs must still hold
	}{
		{"runtime", runtimeEFI, `PRETTY_NAME="Acme DB 1.2.3"`, []string{productspec.Path, "/etc/passwd", "/etc/group"}},
		{"installer", installerEFI, `PRETTY_NAME="Acme DB installer 1.2.3"`, []string{install.ManifestPath, install.RuntimeUKIPath, productspec.Path}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := objdumpSplash(t, tc.efi); n != int64(len(parts.Splash)) {
				t.Errorf("objdump -h: .splash size %d, want %d (-1: no .splash)", n, len(parts.Splash))
			}
			secs, err := uki.Parse(tc.efi)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(secs[".splash"], parts.Splash) {
				t.Errorf(".splash holds %d bytes, not the brand's %d-byte splash", len(secs[".splash"]), len(parts.Splash))
			}
			if !strings.Contains(string(secs[".osrel"]), tc.osrel) {
				t.Errorf(".osrel lacks %s:\n%s", tc.osrel, secs[".osrel"])
			}
			files := initrdOf(t, secs[".initrd"])
			for _, p := range append(tc.extras, releasePath) {
				if files[p] == nil {
					t.Errorf("initramfs lacks %s", p)
				}
			}
			var rel map[string]string
			if err := json.Unmarshal(files[releasePath], &rel); err != nil || rel["product"] != "Acme DB" {
				t.Errorf("release.json %s (%v): want product Acme DB", files[releasePath], err)
			}
			// The target's view: brand.LoadFS on /etc/plinth.
			fsys := fstest.MapFS{}
			for _, name := range []string{brand.JSONFile, brand.LogoFile} {
				data := files[filepath.Join(brand.Dir, name)]
				if data == nil {
					t.Fatalf("initramfs lacks %s/%s", brand.Dir, name)
				}
				fsys[name] = &fstest.MapFile{Data: data}
			}
			b, err := brand.LoadFS(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if b.Product != "Acme DB" || brand.Hex(b.Background) != "#f4f4f4" || brand.Hex(b.Accent) != "#0066cc" {
				t.Errorf("target reads brand %+v", b)
			}
			if b.Logo.Bounds().Dx() != 300 || b.Logo.Bounds().Dy() != 100 {
				t.Errorf("target reads a %v logo, want 300x100", b.Logo.Bounds())
			}
			if got := color.NRGBAModel.Convert(b.Logo.At(150, 50)); got != (color.NRGBA{0xff, 0x88, 0x00, 0xff}) {
				t.Errorf("logo pixel %v, want the orange of the brand directory's logo", got)
			}
		})
	}
}

func TestMergeRefusesDuplicates(t *testing.T) {
	_, err := merge(map[string][]byte{"/etc/plinth/brand.json": nil}, map[string][]byte{"/etc/plinth/brand.json": nil})
	if err == nil || !strings.Contains(err.Error(), "/etc/plinth/brand.json") {
		t.Errorf("merge = %v", err)
	}
}
