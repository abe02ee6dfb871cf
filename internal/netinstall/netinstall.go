// Package netinstall is what the build tells the installer about
// installs over the network: the URL template of the answers, the URL
// template of the reports, and the CA certificates trusted for their
// HTTPS besides the system's. mkiso writes them into the installer's
// initramfs (Config as JSON at Path, the CA certificates at CAPath)
// from plinth.yaml's installer: answers-url:, report-url: and ca:, or
// its -answers-url, -report-url and -answers-ca flags; the installer
// reads them back with Load.
//
// The templates are those of package netanswers (${mac}, ${uuid},
// ${serial}); SMBIOS OEM strings on the machine win over both.
package netinstall

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/plinth-os/plinth/internal/netanswers"
	"github.com/plinth-os/plinth/internal/strictjson"
	"github.com/plinth-os/plinth/internal/updatechannel"
)

// Files mkiso puts into the installer image. Either may be missing: a
// build without URLs has no Path, one without a CA no CAPath.
const (
	Path   = "/etc/plinth/netinstall.json"
	CAPath = "/etc/plinth/netinstall-ca.pem"
)

// Config is the JSON file at Path.
type Config struct {
	// AnswersURL is the URL template of the answers file (netanswers.Expand); "": none.
	AnswersURL string `json:"answersURL,omitempty"`
	// ReportURL is the URL template the installer posts its events and,
	// after a failure, its log bundle to (package report); "": none.
	ReportURL string `json:"reportURL,omitempty"`
}

// IsZero reports whether c names no URL: mkiso then writes no file.
func (c Config) IsZero() bool { return c == Config{} }

// Validate checks both templates (netanswers.CheckTemplate).
func (c Config) Validate() error {
	for _, t := range []struct{ field, value string }{{"answersURL", c.AnswersURL}, {"reportURL", c.ReportURL}} {
		if t.value == "" {
			continue
		}
		if err := netanswers.CheckTemplate(t.value); err != nil {
			return fmt.Errorf("netinstall: %s: %w", t.field, err)
		}
	}
	return nil
}

// Marshal is the file at Path, after Validate.
func Marshal(c Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b, err := strictjson.Encode(c)
	if err != nil {
		return nil, fmt.Errorf("netinstall: encode: %w", err)
	}
	return b, nil
}

// Load reads and validates the file at path; a missing file is the
// zero Config: the image was built without URLs.
func Load(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return c, fmt.Errorf("netinstall: %w", err)
	}
	if err := strictjson.Decode(b, &c); err != nil {
		return Config{}, fmt.Errorf("netinstall: %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// CheckCA returns why pem is not a file of PEM CA certificates, or nil:
// at least one certificate, and nothing else, since every image carries
// it (a private key in it would be published).
func CheckCA(pem []byte) error {
	certs, err := updatechannel.ParseCertificates(pem)
	switch {
	case err != nil:
		return fmt.Errorf("netinstall: %w", err)
	case len(certs) == 0:
		return errors.New("netinstall: no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificates the provisioning server's HTTPS chains to")
	}
	return nil
}

// LoadCA reads the CA certificates at path; a missing file is none.
func LoadCA(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("netinstall: %w", err)
	}
	if err := CheckCA(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
