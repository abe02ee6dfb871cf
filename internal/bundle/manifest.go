package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Extension is the file name extension of bundles.
const Extension = ".plinth"

// PartRuntime is the name of the part that holds the runtime UKI.
const PartRuntime = "runtime.efi"

// FormatVersion is the format this package writes and reads.
const FormatVersion = 1

// Limits a reader enforces before it allocates or trusts anything.
const (
	// MaxManifestSize bounds the manifest, in bytes: it is read whole.
	MaxManifestSize = 1 << 20
	// MaxSignatureSize bounds the signature, in bytes: it is read whole.
	MaxSignatureSize = 64 << 10
	// MaxParts bounds the number of parts.
	MaxParts = 64
	// maxNameLen bounds a part's name, in bytes.
	maxNameLen = 64
	// maxTextLen bounds the product and version strings, in bytes.
	maxTextLen = 128
)

// Manifest describes a bundle. It is the signed part of the bundle: what
// it says is what the signer vouches for.
type Manifest struct {
	// Format is the bundle format version, FormatVersion. Write sets it.
	Format int `json:"format"`
	// Product is the product's name, as plinth.yaml gives it ("Acme DB").
	// An appliance takes only bundles of its own product.
	Product string `json:"product"`
	// Version is the version of the product this bundle installs.
	Version string `json:"version"`
	// Built is when the bundle's content was built, as the caller of
	// Write says (never the clock, so that a build is reproducible); it
	// is also the signature's signing time. Write stores it in UTC,
	// rounded down to the second.
	Built time.Time `json:"built"`
	// MinVersion, if set, is the oldest installed version this bundle
	// may update (see CompareVersions): older ones must take an
	// intermediate update first, say because this version's data
	// migration starts from MinVersion's data.
	MinVersion string `json:"minVersion,omitempty"`
	// Downgrade says the signer allows this bundle onto an appliance
	// that runs a newer version (package updater refuses older versions
	// otherwise): for going back on purpose, with data the older version
	// still reads.
	Downgrade bool `json:"downgrade,omitempty"`
	// Parts are the parts, in the order their bytes follow the
	// signature. Write fills them in from its parts argument.
	Parts []PartInfo `json:"parts"`
}

// PartInfo is a part as the manifest lists it.
type PartInfo struct {
	// Name names the part, e.g. PartRuntime; see the package
	// documentation for the characters allowed.
	Name string `json:"name"`
	// Size is the part's length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the SHA-256 of the part's bytes.
	SHA256 Digest `json:"sha256"`
}

// Digest is a SHA-256 digest; in JSON, 64 lowercase hex digits.
type Digest [sha256.Size]byte

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText writes the digest as lowercase hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads exactly 64 lowercase hex digits: one spelling per
// digest, so that two manifests that mean the same are the same bytes.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) != 2*len(d) || strings.ToLower(string(b)) != string(b) {
		return fmt.Errorf("sha256 %q: want %d lowercase hex digits", b, 2*len(d))
	}
	if _, err := hex.Decode(d[:], b); err != nil {
		return fmt.Errorf("sha256 %q: %w", b, err)
	}
	return nil
}

// parseManifest decodes the signed manifest bytes and checks them.
func parseManifest(b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, errorf(ErrFormat, "manifest: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(ErrFormat, "manifest: data after the JSON object")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// check applies the rules of the package documentation, for Write and
// for readers alike.
func (m *Manifest) check() error {
	if m.Format != FormatVersion {
		return errorf(ErrFormat, "manifest: format %d, this build reads %d", m.Format, FormatVersion)
	}
	for _, f := range []struct{ field, value string }{{"product", m.Product}, {"version", m.Version}} {
		if msg := checkText(f.value); msg != "" {
			return errorf(ErrFormat, "manifest: %s %q: %s", f.field, f.value, msg)
		}
	}
	if m.Built.IsZero() {
		return errorf(ErrFormat, "manifest: build time not set")
	}
	if err := m.checkMinVersion(); err != nil {
		return err
	}
	return checkParts(m.Parts)
}

// CheckUpdate returns nil if this bundle may update an appliance of
// product that runs version installed: the product must be the same, and
// installed at least MinVersion (see CompareVersions). It does not refuse
// the same or an older version: whether to reinstall or go back is the
// caller's decision.
func (m *Manifest) CheckUpdate(product, installed string) error {
	if product != m.Product {
		return fmt.Errorf("bundle: this is an update for %s, not for %s", m.Product, product)
	}
	if m.MinVersion == "" {
		return nil
	}
	c, err := CompareVersions(installed, m.MinVersion)
	if err != nil {
		return fmt.Errorf("bundle: %s %s updates only %s or later, and the installed version cannot be compared with that (%v): reinstall with the installer", m.Product, m.Version, m.MinVersion, err)
	}
	if c < 0 {
		return fmt.Errorf("bundle: %s %s updates only %s or later; this appliance runs %s: install an update to %s or later first", m.Product, m.Version, m.MinVersion, installed, m.MinVersion)
	}
	return nil
}

// checkText returns what is wrong with a product or version string, or "".
func checkText(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > maxTextLen:
		return fmt.Sprintf("longer than %d bytes", maxTextLen)
	case !utf8.ValidString(s):
		return "not UTF-8"
	case strings.TrimSpace(s) != s:
		return "space at the start or end"
	case strings.ContainsFunc(s, unicode.IsControl):
		return "control character"
	}
	return ""
}

// checkMinVersion refuses a MinVersion that could never be met, or that
// nobody could compare with the installed version.
func (m *Manifest) checkMinVersion() error {
	if m.MinVersion == "" {
		return nil
	}
	c, err := CompareVersions(m.MinVersion, m.Version)
	if err != nil {
		return errorf(ErrFormat, "manifest: minVersion: %v", err)
	}
	if c > 0 {
		return errorf(ErrFormat, "manifest: minVersion %s is newer than version %s", m.MinVersion, m.Version)
	}
	return nil
}

func checkParts(parts []PartInfo) error {
	if len(parts) == 0 || len(parts) > MaxParts {
		return errorf(ErrFormat, "manifest: %d parts, want 1 to %d", len(parts), MaxParts)
	}
	seen := make(map[string]bool, len(parts))
	for i, p := range parts {
		if msg := checkName(p.Name); msg != "" {
			return errorf(ErrFormat, "manifest: parts[%d]: name %q: %s", i, p.Name, msg)
		}
		if seen[p.Name] {
			return errorf(ErrFormat, "manifest: part %q is listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.Size < 0 {
			return errorf(ErrFormat, "manifest: part %q: size %d", p.Name, p.Size)
		}
	}
	return nil
}

// checkName returns what is wrong with a part name, or "". Names become
// file names in staging directories, so they cannot hold a slash or
// start with a dot.
func checkName(name string) string {
	if name == "" || len(name) > maxNameLen {
		return fmt.Sprintf("want 1 to %d characters", maxNameLen)
	}
	for i, c := range []byte(name) {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return "want a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
		}
	}
	return ""
}

// FileName returns the conventional file name of a bundle,
// <product>-<version>.plinth, with the product in lowercase and every run
// of characters other than letters, digits, '.', '_' and '+' (spaces,
// slashes) made one '-': "Acme DB", "v1.4.2" gives
// "acme-db-v1.4.2.plinth". Readers never rely on the name: the manifest
// says what a bundle holds.
func FileName(product, version string) string {
	p := strings.Trim(fileSafe(strings.ToLower(product)), ".-")
	if p == "" {
		p = "bundle"
	}
	return p + "-" + strings.Trim(fileSafe(version), "-") + Extension
}

func fileSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._+", r))
		if ok {
			b.WriteRune(r)
		} else if !dash {
			b.WriteByte('-')
		}
		dash = !ok
	}
	return b.String()
}
