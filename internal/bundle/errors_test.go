package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/plinth-os/plinth/internal/pkcs7sign"
)

// TestTamperEveryByte changes each byte of a bundle in turn and checks
// that reading fails with the error for the section it is in.
func TestTamperEveryByte(t *testing.T) {
	b := newSample().write(t, "vendor")
	l := parseLayout(t, b)
	sections := []struct {
		name       string
		start, end int
		kinds      []error // any of them
	}{
		{"magic", 0, 8, []error{ErrFormat}},
		{"format version", 8, 12, []error{ErrFormat}},
		{"lengths and CRC", 12, 24, []error{ErrFormat}},
		{"manifest", l.manifest, l.sig, []error{ErrSignature}},
		// A changed certificate may still carry the signer's key: the
		// signature verifies, and the signer is then a stranger.
		{"signature", l.sig, l.parts, []error{ErrSignature, ErrUntrusted}},
		{"runtime.efi", l.parts, l.parts + 3000, []error{ErrPart}},
		{"extra.bin", l.parts + 3000, l.end, []error{ErrPart}},
	}
	for _, sec := range sections {
		for i := sec.start; i < sec.end; i++ {
			c := bytes.Clone(b)
			c[i] ^= 0x01
			_, err := readAll(c, nil)
			if !isAny(err, sec.kinds) {
				t.Fatalf("%s: byte %d changed: error %v, want one of %v", sec.name, i, err, sec.kinds)
			}
			if sec.kinds[0] == ErrPart && !strings.Contains(err.Error(), fmt.Sprintf("part %q", sec.name)) {
				t.Fatalf("byte %d changed: %v does not name part %s", i, err, sec.name)
			}
		}
	}
}

func isAny(err error, kinds []error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// withHeader returns b with its header fields changed and the CRC
// computed again, as a writer with other ideas would.
func withHeader(b []byte, version, manifestLen, sigLen uint32) []byte {
	c := bytes.Clone(b)
	binary.BigEndian.PutUint32(c[8:], version)
	binary.BigEndian.PutUint32(c[12:], manifestLen)
	binary.BigEndian.PutUint32(c[16:], sigLen)
	binary.BigEndian.PutUint32(c[20:], crc32.ChecksumIEEE(c[:20]))
	return c
}

func TestOpenErrors(t *testing.T) {
	s := newSample()
	b := s.write(t, "vendor")
	l := parseLayout(t, b)
	ml, sl := uint32(l.sig-l.manifest), uint32(l.parts-l.sig)
	// The signature with a zero byte after it, the length saying so:
	// pkcs7sign allows zero padding, a bundle does not.
	padded := append(withHeader(b[:l.parts], 1, ml, sl+1), 0)
	padded = append(padded, b[l.parts:]...)
	other := newSample()
	other.m.Version = "v1.4.3"
	ob := other.write(t, "vendor")
	swapped := append(bytes.Clone(b[:l.sig]), ob[parseLayout(t, ob).sig:]...)
	tests := []struct {
		name    string
		b       []byte
		trusted []string
		kind    error
		want    string
	}{
		{"empty", nil, nil, ErrTruncated, "truncated in the header, after 0 of its 24 bytes"},
		{"zip file", append([]byte("PK\x03\x04"), b[4:]...), nil, ErrFormat, `not a Plinth update bundle: it starts with "PK\x03\x04NDLE", not "PLBUNDLE"`},
		{"newer format", withHeader(b, 2, ml, sl), nil, ErrFormat, "format version 2, this appliance reads version 1"},
		{"damaged header", append(b[:12:12], append([]byte{0, 0, 0, 9}, b[16:]...)...), nil, ErrFormat, "header damaged"},
		{"manifest empty", withHeader(b, 1, 0, sl), nil, ErrFormat, "manifest of 0 bytes, want 1 to 1048576"},
		{"manifest too big", withHeader(b, 1, MaxManifestSize+1, sl), nil, ErrFormat, "manifest of 1048577 bytes"},
		{"signature empty", withHeader(b, 1, ml, 0), nil, ErrFormat, "signature of 0 bytes"},
		{"signature too big", withHeader(b, 1, ml, MaxSignatureSize+1), nil, ErrFormat, "signature of 65537 bytes, want 1 to 65536"},
		{"truncated in manifest", b[:l.manifest+10], nil, ErrTruncated, "truncated in the manifest, after 10 of its"},
		{"truncated in signature", b[:l.sig+10], nil, ErrTruncated, "truncated in the signature, after 10 of its"},
		{"untrusted", s.write(t, "other"), nil, ErrUntrusted, "signed by CN=Mallory, which this appliance does not trust (it trusts CN=Acme Updates)"},
		{"nothing trusted", b, []string{}, ErrUntrusted, "signed by CN=Acme Updates, which this appliance does not trust (it trusts no update key at all)"},
		{"padded signature", padded, nil, ErrSignature, "not one DER element"},
		{"another manifest's signature", swapped, nil, ErrSignature, "the manifest's signature does not verify"},
		{"garbage signature", withHeader(append(b[:l.sig:l.sig], 0x30, 0x03, 2, 1, 1), 1, ml, 5), nil, ErrSignature, "signature: pkcs7sign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := []string{"vendor"}
			if tt.trusted != nil {
				names = tt.trusted
			}
			_, err := Open(bytes.NewReader(tt.b), trusted(names...))
			wantErr(t, tt.name, err, tt.kind, tt.want)
		})
	}
}

// TestSignatureForms: signatures that verify but are not a bundle's.
func TestSignatureForms(t *testing.T) {
	manifest := []byte(`{"format":1,"product":"P","version":"1","built":"2025-03-04T05:06:07Z","parts":[{"name":"a","size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}`)
	tests := []struct {
		name    string
		content pkcs7sign.Content
		opts    pkcs7sign.Options
		want    string
	}{
		{"embedded content", pkcs7sign.Data(manifest), pkcs7sign.Options{SigningTime: testBuilt}, "content is embedded"},
		{"no signing time", pkcs7sign.Data(manifest), pkcs7sign.Options{NoSigningTime: true, Detached: true}, "not encoded as a bundle's signature is"},
		{"no attributes", pkcs7sign.Data(manifest), pkcs7sign.Options{NoAttributes: true, Detached: true}, "not encoded as a bundle's signature is"},
		{"bare SignedData", pkcs7sign.Data(manifest), pkcs7sign.Options{SigningTime: testBuilt, Detached: true, SignedDataOnly: true}, "not encoded as a bundle's signature is"},
	}
	for _, tt := range tests {
		sig, err := pkcs7sign.Sign(tt.content, key("vendor").key, key("vendor").cert, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		b := append(header(len(manifest), len(sig)), manifest...)
		_, err = Open(bytes.NewReader(append(b, sig...)), trusted("vendor"))
		wantErr(t, tt.name, err, ErrSignature, tt.want)
	}
}

func TestManifestErrors(t *testing.T) {
	empty := fmt.Sprintf("%x", sha256.Sum256(nil))
	part := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"size":0,"sha256":%q}`, name, empty)
	}
	manifest := func(fields string, parts ...string) string {
		if parts == nil {
			parts = []string{part("a")}
		}
		return `{"format":1,"product":"P","version":"1.2","built":"2025-03-04T05:06:07Z"` + fields +
			`,"parts":[` + strings.Join(parts, ",") + `]}`
	}
	many := make([]string, MaxParts+1)
	for i := range many {
		many[i] = part(fmt.Sprintf("p%d", i))
	}
	tests := []struct{ name, manifest, want string }{
		{"not JSON", "manifest", "manifest: invalid character"},
		{"two objects", manifest("") + "{}", "manifest: data after the JSON object"},
		{"unknown field", manifest(`,"postInstall":"rm -rf /"`), `manifest: json: unknown field "postInstall"`},
		{"format 2", strings.Replace(manifest(""), `"format":1`, `"format":2`, 1), "manifest: format 2, this build reads 1"},
		{"no product", strings.Replace(manifest(""), `"P"`, `""`, 1), `manifest: product "": empty`},
		{"control character", strings.Replace(manifest(""), `"1.2"`, `"1.2\u001b[2J"`, 1), "version \"1.2\\x1b[2J\": control character"},
		{"padded version", strings.Replace(manifest(""), `"1.2"`, `" 1.2"`, 1), "space at the start or end"},
		{"no build time", strings.Replace(manifest(""), `"2025-03-04T05:06:07Z"`, `"0001-01-01T00:00:00Z"`, 1), "build time not set"},
		{"signed at another time", strings.Replace(manifest(""), `05:06:07Z`, `05:06:08Z`, 1), "built 2025-03-04 05:06:08 +0000 UTC, but signed at 2025-03-04 05:06:07 +0000 UTC"},
		{"bad minVersion", manifest(`,"minVersion":"latest"`), `minVersion: "latest" is not a version`},
		{"minVersion after version", manifest(`,"minVersion":"1.3"`), "minVersion 1.3 is newer than version 1.2"},
		{"no parts", manifest(``, ``), "manifest: 0 parts, want 1 to 64"},
		{"too many parts", manifest(``, many...), "manifest: 65 parts, want 1 to 64"},
		{"duplicate part", manifest(``, part("a"), part("b"), part("a")), `part "a" is listed twice`},
		{"path in name", manifest(``, part("../efi")), `parts[0]: name "../efi": want a-z`},
		{"slash in name", manifest(``, part("a/b")), `name "a/b"`},
		{"hidden name", manifest(``, part(".a")), `name ".a"`},
		{"capitals in name", manifest(``, part("Runtime.efi")), `name "Runtime.efi"`},
		{"empty name", manifest(``, part("")), `name "": want 1 to 64 characters`},
		{"long name", manifest(``, part(strings.Repeat("a", 65))), "want 1 to 64 characters"},
		{"negative size", manifest(``, strings.Replace(part("a"), `"size":0`, `"size":-1`, 1)), `part "a": size -1`},
		{"uppercase digest", manifest(``, strings.Replace(part("a"), empty, strings.ToUpper(empty), 1)), "want 64 lowercase hex digits"},
		{"short digest", manifest(``, strings.Replace(part("a"), empty, empty[2:], 1)), "want 64 lowercase hex digits"},
		{"not hex", manifest(``, strings.Replace(part("a"), empty, "x"+empty[1:], 1)), "invalid byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(craft(t, []byte(tt.manifest))), trusted("vendor"))
			wantErr(t, tt.name, err, ErrFormat, tt.want)
		})
	}
}

func TestPartErrors(t *testing.T) {
	s := newSample()
	b := s.write(t, "vendor")
	l := parseLayout(t, b)
	changed := bytes.Clone(b)
	changed[l.parts+3000+99] ^= 0x80 // last byte of extra.bin
	tests := []struct {
		name string
		b    []byte
		kind error
		want string
	}{
		{"changed byte", changed, ErrPart, `part "extra.bin" has SHA-256 `},
		{"truncated in a part", b[:l.parts+3000+40], ErrTruncated, `truncated in part "extra.bin", after 40 of its 100 bytes`},
		{"trailing data", append(bytes.Clone(b), 0), ErrFormat, "data after the last part"},
		{"another bundle after it", append(bytes.Clone(b), b...), ErrFormat, "data after the last part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(tt.b, nil)
			wantErr(t, "Extract", err, tt.kind, tt.want)
			_, err = readAll(nil, iotest.OneByteReader(bytes.NewReader(tt.b)))
			wantErr(t, "Extract one byte at a time", err, tt.kind, tt.want)
		})
	}
}

// TestPartVerdict: the caller of Next learns whether a part was good
// however it reads, and the error sticks.
func TestPartVerdict(t *testing.T) {
	s := newSample()
	b := s.write(t, "vendor")
	b[parseLayout(t, b).parts] ^= 1 // first byte of runtime.efi
	reads := []struct {
		name string
		read func(io.Reader) error
		now  bool // the read itself returns the error
	}{
		{"io.Copy", func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }, true},
		// A caller that stops at the part's size hears it with the last bytes.
		{"one Read of the size", func(r io.Reader) error { _, err := r.Read(make([]byte, 3000)); return err }, true},
		{"io.ReadFull of the size", func(r io.Reader) error { _, err := io.ReadFull(r, make([]byte, 3000)); return err }, false},
		{"a few bytes", func(r io.Reader) error { _, err := r.Read(make([]byte, 10)); return err }, false},
		{"nothing", func(io.Reader) error { return nil }, false},
	}
	for _, rt := range reads {
		t.Run(rt.name, func(t *testing.T) {
			br, err := Open(bytes.NewReader(b), trusted("vendor"))
			if err != nil {
				t.Fatal(err)
			}
			_, part, _ := br.Next()
			if err := rt.read(part); errors.Is(err, ErrPart) != rt.now {
				t.Fatalf("read: %v, want ErrPart: %v", err, rt.now)
			}
			for range 2 { // Next checks what was not read, and says it again
				_, _, err = br.Next()
				wantErr(t, "Next", err, ErrPart, `part "runtime.efi" has SHA-256`)
			}
		})
	}
}

func TestReadError(t *testing.T) {
	b := newSample().write(t, "vendor")
	l := parseLayout(t, b)
	broken := errors.New("usb stick unplugged")
	for _, at := range []int{10, l.sig + 5, l.parts + 5} {
		r := io.MultiReader(bytes.NewReader(b[:at]), iotest.ErrReader(broken))
		_, err := readAll(nil, r)
		if !errors.Is(err, broken) || !strings.HasPrefix(err.Error(), "bundle: read ") {
			t.Errorf("read error at %d: %v", at, err)
		}
	}
}

func TestExtractErrors(t *testing.T) {
	b := newSample().write(t, "vendor")
	full := errors.New("no space left on device")
	tests := []struct {
		name  string
		dst   func(*stagingFile) (io.WriteCloser, error)
		want  string
		close bool // the staging file was closed
	}{
		{"dst fails", func(*stagingFile) (io.WriteCloser, error) { return nil, full }, `bundle: part "runtime.efi": no space`, false},
		{"write fails", func(f *stagingFile) (io.WriteCloser, error) { f.writeErr = full; return f, nil }, `bundle: part "runtime.efi": write: no space`, true},
		{"close fails", func(f *stagingFile) (io.WriteCloser, error) { f.closeErr = full; return f, nil }, `bundle: part "runtime.efi": close: no space`, true},
	}
	for _, tt := range tests {
		br, err := Open(bytes.NewReader(b), trusted("vendor"))
		if err != nil {
			t.Fatal(err)
		}
		f := &stagingFile{}
		err = br.Extract(func(PartInfo) (io.WriteCloser, error) { return tt.dst(f) })
		if !errors.Is(err, full) || err.Error() != tt.want+" left on device" || f.closed != tt.close {
			t.Errorf("%s: %v (closed %v)", tt.name, err, f.closed)
		}
	}
}

// changingData is a part whose bytes change after the first read.
type changingData struct{ reads int }

func (c *changingData) ReadAt(p []byte, off int64) (int, error) {
	c.reads++
	clear(p)
	if c.reads > 1 {
		p[0] = 1
	}
	return len(p), nil
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	s := newSample()
	part := func(name string, size int64, data []byte) []Part {
		return []Part{{Name: name, Size: size, Data: bytes.NewReader(data)}}
	}
	tests := []struct {
		name  string
		edit  func(m *Manifest)
		parts []Part
		key   string
		w     io.Writer
		want  string
	}{
		{"no parts", nil, []Part{}, "", nil, "manifest: 0 parts"},
		{"bad name", nil, part("EFI/x", 0, nil), "", nil, `name "EFI/x"`},
		{"duplicate", nil, append(part("a", 0, nil), part("a", 0, nil)...), "", nil, `part "a" is listed twice`},
		{"short data", nil, part("a", 10, []byte("abc")), "", nil, `part "a": 3 bytes of 10`},
		{"no data", nil, []Part{{Name: "a", Size: 1}}, "", nil, `part "a": no data`},
		{"changes while written", nil, []Part{{Name: "a", Size: 4, Data: &changingData{}}}, "", nil, `part "a" changed while the bundle was written`},
		{"no build time", func(m *Manifest) { m.Built = time.Time{} }, nil, "", nil, "build time not set"},
		{"bad min version", func(m *Manifest) { m.MinVersion = "one" }, nil, "", nil, `"one" is not a version`},
		{"empty version", func(m *Manifest) { m.Version = "" }, nil, "", nil, `version "": empty`},
		{"key of another certificate", nil, nil, "other", nil, "key does not belong to certificate"},
		{"writer fails", nil, nil, "", failingWriter{}, "bundle: write: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := s.m
			if tt.edit != nil {
				tt.edit(&m)
			}
			parts := tt.parts
			if parts == nil {
				parts = s.parts()
			}
			k := key("vendor").key
			if tt.key != "" {
				k = key(tt.key).key
			}
			w := tt.w
			if w == nil {
				w = io.Discard
			}
			err := Write(w, m, parts, k, key("vendor").cert)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
