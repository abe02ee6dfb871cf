package uki

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

func testImage() Image {
	return Image{
		OSRelease: OSRelease("Plinth", "plinth", "0.1.0"),
		Cmdline:   DefaultCmdline(),
		Uname:     "6.1.0-plinth",
		Splash:    fake(3001, 3),
		Initrd:    fake(7_654_321, 4),
		Linux:     fake(1_234_567, 5),
	}
}

func TestBuildDebianStub(t *testing.T) {
	stub := readStub(t)
	orig := bytes.Clone(stub)
	im := testImage()
	out, err := im.Build(stub)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !bytes.Equal(stub, orig) {
		t.Fatal("Build modified the stub")
	}
	verify(t, stub, im.Sections(), out)

	again, err := Build(stub, im.Sections())
	if err != nil || !bytes.Equal(out, again) {
		t.Errorf("Build is not deterministic (err %v)", err)
	}

	// The stub's .sbat travels along unchanged: shim checks it.
	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(m[".sbat"], []byte("sbat,1,")) || !bytes.Contains(m[".sdmagic"], []byte("systemd-stub")) {
		t.Errorf(".sbat/.sdmagic missing or wrong: %q / %q", m[".sbat"], m[".sdmagic"])
	}
	if len(out)%8 != 0 {
		t.Errorf("output length %d not a multiple of 8", len(out))
	}
}

// TestBuildOsslsigncode cross-checks the checksum with an unrelated
// implementation.
func TestBuildOsslsigncode(t *testing.T) {
	bin := testdisk.Tool(t, "osslsigncode")
	out, err := testImage().Build(readStub(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "uki.efi")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	// Exits non-zero because the image is unsigned; only the checksum
	// lines matter.
	rep, _ := exec.Command(bin, "verify", "-in", path).CombinedOutput()
	// It prints one "PE checksum" line if the stored value is right and
	// "Current"/"Calculated" lines plus a warning if not.
	re := regexp.MustCompile(`(?m)^(\w* ?)PE checksum\s*:\s*([0-9A-Fa-f]+)`)
	got := re.FindAllStringSubmatch(string(rep), -1)
	if len(got) == 0 || bytes.Contains(rep, []byte("invalid PE checksum")) {
		t.Fatalf("osslsigncode disagrees with the checksum:\n%s", rep)
	}
	for _, g := range got {
		v, _ := strconv.ParseUint(g[2], 16, 32)
		if uint32(v) != refChecksum(out) {
			t.Errorf("osslsigncode %s checksum %#x, want %#x\n%s", g[1], v, refChecksum(out), rep)
		}
	}
}

// TestBuildGrowsHeaders adds more sections than fit between the Debian
// stub's section table and its first section, so the stub's data must move.
func TestBuildGrowsHeaders(t *testing.T) {
	stub := readStub(t)
	var secs []Section
	for i := range 12 {
		secs = append(secs, Section{Name: ".p" + strconv.Itoa(i), Data: fake(1000*i+1, uint64(i))})
	}
	out, err := Build(stub, secs)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	verify(t, stub, secs, out)
	sf, _ := pe.NewFile(bytes.NewReader(stub))
	f, _ := pe.NewFile(bytes.NewReader(out))
	if f.Sections[0].Offset == sf.Sections[0].Offset {
		t.Errorf("stub data did not move (first section still at %#x)", f.Sections[0].Offset)
	}
}

// TestBuildSynthetic covers stub features the Debian stub lacks.
func TestBuildSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name string
		pe   testPE
		secs int // 3 or more forces the headers to grow
	}{
		{"pe32+", testPE{}, 2},
		{"pe32", testPE{pe32: true}, 2},
		{"grow", testPE{}, 3},
		{"grow pe32", testPE{pe32: true}, 5},
		{"debug dir", testPE{debug: true}, 1},
		{"debug dir grow", testPE{debug: true}, 4},
		{"signed", testPE{cert: true}, 1},
		{"symbols grow", testPE{symbols: true}, 3},
		{"everything", testPE{debug: true, cert: true, symbols: true}, 6},
		{"no new sections", testPE{symbols: true, cert: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := tc.pe.build()
			var secs []Section
			for i := range tc.secs {
				secs = append(secs, Section{Name: ".s" + strconv.Itoa(i), Data: fake(777*i+5, uint64(i+10))})
			}
			out, err := Build(stub, secs)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			verify(t, stub, secs, out)
			if tc.pe.debug {
				// Follow the debug directory's file pointer.
				f, _ := pe.NewFile(bytes.NewReader(out))
				rd := f.Section(".rdata")
				ptr := binary.LittleEndian.Uint32(out[rd.Offset+24:])
				if got := string(out[ptr : ptr+uint32(len(testDebugData))]); got != testDebugData {
					t.Errorf("debug data pointer %#x leads to %q", ptr, got)
				}
			}
			if tc.pe.cert && bytes.Contains(out, []byte("fakesig!")) {
				t.Error("certificate table not dropped")
			}
		})
	}
}

func TestBuildEdgeCases(t *testing.T) {
	stub := readStub(t)
	small := testPE{}.build()
	for _, tc := range []struct {
		name    string
		stub    []byte
		secs    []Section
		wantErr string // substring; "" means success
		wantIs  error
	}{
		{name: "empty data", stub: stub, secs: []Section{{".cmdline", nil}, {".linux", []byte("k")}, {".empty", []byte{}}}},
		{name: "no sections", stub: stub},
		{name: "8-byte name", stub: stub, secs: []Section{{".initrd2", []byte("x")}}},
		{name: "name too long", stub: stub, secs: []Section{{".initrd12", []byte("x")}}, wantErr: "longer than 8 bytes"},
		{name: "empty name", stub: stub, secs: []Section{{"", []byte("x")}}, wantErr: "empty name"},
		{name: "NUL in name", stub: stub, secs: []Section{{".a\x00b", []byte("x")}}, wantErr: "contains NUL"},
		{name: "duplicate of stub section", stub: stub, secs: []Section{{".sbat", []byte("x")}}, wantErr: `duplicate section name ".sbat"`},
		{name: "duplicate new section", stub: stub, secs: []Section{{".linux", nil}, {".linux", nil}}, wantErr: "duplicate"},
		{name: "too many sections", stub: stub, secs: manySections(89), wantErr: "at most 96"},
		{name: "96 sections", stub: stub, secs: manySections(88)},
		{name: "non-PE text", stub: []byte("#!/bin/sh\necho this is not a PE file\n" + strings.Repeat(" ", 100)), wantIs: ErrNotPE},
		{name: "empty input", stub: nil, wantIs: ErrNotPE},
		{name: "MZ only", stub: append([]byte("MZ"), make([]byte, 100)...), wantIs: ErrNotPE},
		{name: "ELF", stub: append([]byte("\x7fELF"), make([]byte, 100)...), wantIs: ErrNotPE},
		{name: "truncated stub", stub: stub[:0x1000], wantErr: "beyond end of file"},
		{name: "bad file alignment", stub: setU32(small, 0x58+36, 0x300), wantErr: "FileAlignment"},
		{name: "header padding in use", stub: setU32(small, 0x1f0, 0xdeadbeef), secs: []Section{{".x", []byte("x")}}, wantErr: "not empty"},
		{name: "no room below first VA", stub: setU32(setU32(small, 0x58+240+12, 0x200), 0x58+32, 0x200), secs: manySections(5), wantErr: "no room"},
		{name: "cert not at end", stub: setU32(setU32(small, 0x58+112+32, 0x500), 0x58+112+36, 8), wantErr: "certificate table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Build(tc.stub, tc.secs)
			switch {
			case tc.wantIs != nil:
				if !errors.Is(err, tc.wantIs) {
					t.Fatalf("Build error = %v, want %v", err, tc.wantIs)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Build error = %v, want one containing %q", err, tc.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				verify(t, tc.stub, tc.secs, out)
				return
			}
			if !strings.HasPrefix(err.Error(), "uki: ") || out != nil {
				t.Errorf("error %q lacks context or output not nil", err)
			}
		})
	}
}

func manySections(n int) []Section {
	var s []Section
	for i := range n {
		s = append(s, Section{Name: ".n" + strconv.Itoa(i), Data: []byte{byte(i)}})
	}
	return s
}

func setU32(b []byte, off int, v uint32) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

func TestEmptySectionLayout(t *testing.T) {
	out, err := Build(readStub(t), []Section{{".empty", nil}, {".next", []byte("data")}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := pe.NewFile(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	e, n := f.Section(".empty"), f.Section(".next")
	if e.VirtualSize != 0 || e.Size != 0 || e.Offset != 0 {
		t.Errorf(".empty: VirtualSize %d, SizeOfRawData %d, PointerToRawData %#x; want all 0", e.VirtualSize, e.Size, e.Offset)
	}
	if n.VirtualAddress <= e.VirtualAddress {
		t.Errorf(".next at %#x does not follow .empty at %#x", n.VirtualAddress, e.VirtualAddress)
	}
}

func TestChecksumMatchesStub(t *testing.T) {
	// binutils wrote the Debian stub's checksum; both implementations
	// must reproduce it.
	stub := readStub(t)
	p, err := parsePE(stub)
	if err != nil {
		t.Fatal(err)
	}
	stored := p.opt32(ohCheckSum)
	if got := peChecksum(stub, p.optHdr+ohCheckSum); got != stored {
		t.Errorf("peChecksum(stub) = %#x, stored %#x", got, stored)
	}
	if got := refChecksum(stub); got != stored {
		t.Errorf("refChecksum(stub) = %#x, stored %#x", got, stored)
	}
	// Odd lengths and odd field offsets against the reference.
	for n := 70; n < 90; n++ {
		b := fake(n, uint64(n))
		binary.LittleEndian.PutUint32(b[0x3c:], 0)
		if got, want := peChecksum(b, 24), refChecksumAt(b, 24); got != want {
			t.Errorf("len %d: peChecksum %#x, want %#x", n, got, want)
		}
		if got, want := peChecksum(b, 25), refChecksumAt(b, 25); got != want {
			t.Errorf("len %d odd field: peChecksum %#x, want %#x", n, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	stub := readStub(t)
	m, err := Parse(stub)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".text", ".reloc", ".data", ".sbat", ".sdmagic"} {
		if len(m[name]) == 0 {
			t.Errorf("Parse(stub): section %s missing", name)
		}
	}
	sf, err := pe.NewFile(bytes.NewReader(stub))
	if err != nil {
		t.Fatal(err)
	}
	if text := sf.Section(".text"); len(m[".text"]) != int(text.VirtualSize) {
		t.Errorf(".text: %d bytes, want VirtualSize %d", len(m[".text"]), text.VirtualSize)
	}
	dup := bytes.Clone(stub)
	p, _ := parsePE(dup)
	copy(dup[p.tableOff+sectionHeaderSize:], ".text\x00\x00\x00")
	if _, err := Parse(dup); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("Parse with duplicate names: err = %v", err)
	}
	if _, err := Parse([]byte("hello")); !errors.Is(err, ErrNotPE) {
		t.Errorf("Parse(text): err = %v, want ErrNotPE", err)
	}
}

func BenchmarkBuild(b *testing.B) {
	stub := readStub(b)
	im := Image{
		OSRelease: OSRelease("Plinth", "plinth", "0.1.0"),
		Cmdline:   DefaultCmdline(),
		Uname:     "6.1.0-plinth",
		Linux:     fake(12<<20, 1),
		Initrd:    fake(20<<20, 2),
	}
	secs := im.Sections()
	b.SetBytes(int64(len(im.Linux) + len(im.Initrd)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(stub, secs); err != nil {
			b.Fatal(err)
		}
	}
}
