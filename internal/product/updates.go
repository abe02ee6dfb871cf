package product

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/productspec"
)

// Defaults and limits of updates:, the same as the runtime's.
const (
	DefaultCheckInterval = time.Duration(productspec.DefaultCheckInterval)
	DefaultCommitAfter   = time.Duration(productspec.DefaultCommitAfter)
	DefaultTrialTimeout  = time.Duration(productspec.DefaultTrialTimeout)
	// MinCheckInterval keeps a fleet from hammering the vendor's server.
	MinCheckInterval = time.Minute
	// maxChannelLen bounds the channel URL, in bytes.
	maxChannelLen = 2048
)

// Updates is updates:: how installed appliances take updates. Parse
// fills in the defaults, also without the section.
type Updates struct {
	// Key is the update key's directory (package updatekey): absolute,
	// or slash-separated and relative to plinth.yaml's directory; "":
	// bundles are signed with the Secure Boot db key, if there is one.
	Key string
	// Channel is the URL of the channel file (package updatechannel),
	// http or https; "": the appliance checks no channel.
	Channel string
	// CheckInterval is how often the appliance reads the channel.
	CheckInterval time.Duration
	// CA is a PEM file of CA certificates the appliance trusts for
	// HTTPS besides the system's, slash-separated and relative to
	// plinth.yaml's directory; "": none.
	CA string
	// CommitAfter is how long every service must stay healthy before a
	// new version commits; TrialTimeout how long it has to get there.
	CommitAfter  time.Duration
	TrialTimeout time.Duration
	// MinVersion is the oldest installed version this build's bundle
	// may update (bundle.Manifest.MinVersion); "": any.
	MinVersion string
}

func defaultUpdates() Updates {
	return Updates{CheckInterval: DefaultCheckInterval, CommitAfter: DefaultCommitAfter, TrialTimeout: DefaultTrialTimeout}
}

// updates reads updates:.
func (ps *parser) updates(v val) error {
	f, err := v.fields("key", "channel", "check-interval", "ca", "commit-after", "trial-timeout", "min-version")
	if err != nil {
		return err
	}
	u := &ps.p.Updates
	if kv, ok := f.get("key"); ok {
		if u.Key, err = keysPath(kv); err != nil {
			return err
		}
	}
	if cv, ok := f.get("channel"); ok {
		if u.Channel, err = channel(cv); err != nil {
			return err
		}
	}
	if iv, ok := f.get("check-interval"); ok {
		if u.CheckInterval, err = checkInterval(iv); err != nil {
			return err
		}
	}
	if av, ok := f.get("ca"); ok {
		if u.CA, err = repoPath(av); err != nil {
			return err
		}
		ps.p.lines[av.field] = position{av.Line, av.Column}
	}
	if mv, ok := f.get("min-version"); ok {
		if u.MinVersion, err = minVersion(mv); err != nil {
			return err
		}
	}
	return trial(f, u)
}

func channel(v val) (string, error) {
	s, err := v.line()
	if err != nil {
		return "", err
	}
	if err := CheckChannel(s); err != nil {
		return "", v.errorf("%v", err)
	}
	return s, nil
}

// CheckChannel returns what is wrong with a channel file's URL, or nil.
// mkiso checks -update-channel with it too.
func CheckChannel(s string) error {
	const want = "want the http:// or https:// URL of the channel file, e.g. https://updates.example.com/acme/channel.json"
	u, err := url.Parse(s)
	switch {
	case len(s) > maxChannelLen:
		return fmt.Errorf("%d bytes long; at most %d", len(s), maxChannelLen)
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("%q contains a space or control character: %s", s, want)
	case err != nil:
		return fmt.Errorf("%s, got %q (%v)", want, s, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.Opaque != "":
		return fmt.Errorf("%s, got %q", want, s)
	case u.User != nil:
		return fmt.Errorf("%q holds a user name or password, which every image would carry for anyone to read: serve the channel file without them (bundles are signed)", s)
	case u.Fragment != "" || strings.HasSuffix(s, "#"):
		return fmt.Errorf("%q has a #fragment, which a server never sees: remove it", s)
	}
	return nil
}

func checkInterval(v val) (time.Duration, error) {
	d, err := v.duration(true)
	if err == nil && d < MinCheckInterval {
		return 0, v.errorf("%s is too often: at least %s (every machine of the fleet asks the server)", d, MinCheckInterval)
	}
	return d, err
}

// minVersion reads a version as product.version writes one (git is not
// one), that package bundle can compare with installed versions.
func minVersion(v val) (string, error) {
	s, err := v.line()
	if err != nil {
		return "", err
	}
	if len(s) > maxVersionLen || !semver.MatchString(s) {
		return "", v.errorf("want a version such as 1.2.0 or v2.0.0-rc.1 (at most %d characters), got %q", maxVersionLen, s)
	}
	if _, err := bundle.CompareVersions(s, s); err != nil {
		return "", v.errorf("installed versions cannot be compared with it: %v", err)
	}
	return s, nil
}

// trial reads commit-after: and trial-timeout:; the trial must leave the
// services time to stay healthy for commit-after.
func trial(f fields, u *Updates) error {
	var err error
	cv, hasCommit := f.get("commit-after")
	if hasCommit {
		if u.CommitAfter, err = cv.duration(true); err != nil {
			return err
		}
	}
	tv, hasTrial := f.get("trial-timeout")
	if hasTrial {
		if u.TrialTimeout, err = tv.duration(true); err != nil {
			return err
		}
	}
	if u.TrialTimeout > u.CommitAfter {
		return nil
	}
	if !hasTrial {
		return cv.errorf("commit-after %s is not shorter than the default trial-timeout %s: set trial-timeout too, longer than commit-after", u.CommitAfter, u.TrialTimeout)
	}
	which := "commit-after"
	if !hasCommit {
		which = "the default commit-after"
	}
	return tv.errorf("trial-timeout %s is not longer than %s %s: the services could never stay healthy long enough to commit", u.TrialTimeout, which, u.CommitAfter)
}

// checkCA returns why the file at path is not a PEM file of
// certificates, or "". It goes into every runtime image: a private key
// in it would be published.
func checkCA(path, rel string) string {
	if msg := checkRegular(path, rel); msg != "" {
		return msg
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("%s: %v", rel, err)
	}
	n := 0
	for rest := b; ; n++ {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return fmt.Sprintf("%s holds a %s block: keep only the CA certificates in it (every image carries the file)", rel, blk.Type)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return fmt.Sprintf("%s: certificate %d is not a valid X.509 certificate: %v", rel, n+1, err)
		}
	}
	if n == 0 {
		return fmt.Sprintf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificates the HTTPS server's certificate chains to", rel)
	}
	return ""
}
