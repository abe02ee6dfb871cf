package product

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testcert"
)

// updates is a file whose updates: section starts on line 3.
func updates(lines ...string) string {
	return y(append([]string{"product:", "  name: Acme", "updates:"}, lines...)...)
}

func TestParseUpdates(t *testing.T) {
	def := defaultUpdates()
	for _, tc := range []struct {
		name string
		yaml string
		want Updates
	}{
		{"no section", y("product:", "  name: Acme"), def},
		{"empty section", y("product:", "  name: Acme", "updates: {}"), def},
		{"relative key", updates("  key: secrets/update"), Updates{Key: "secrets/update", CheckInterval: time.Hour, CommitAfter: time.Minute, TrialTimeout: 10 * time.Minute}},
		{"absolute key", updates("  key: /srv/keys//update/"), Updates{Key: "/srv/keys/update", CheckInterval: time.Hour, CommitAfter: time.Minute, TrialTimeout: 10 * time.Minute}},
		{"http channel", updates("  channel: http://10.0.2.2:8080/channel.json"), Updates{Channel: "http://10.0.2.2:8080/channel.json", CheckInterval: time.Hour, CommitAfter: time.Minute, TrialTimeout: 10 * time.Minute}},
		{"everything", updates("  key: k", "  channel: https://u.example/c.json?track=stable", "  check-interval: 1m", "  ca: ca.pem",
			"  commit-after: 5m", "  trial-timeout: 5m1s", "  min-version: 1.2.3-rc.1+b5"),
			Updates{Key: "k", Channel: "https://u.example/c.json?track=stable", CheckInterval: time.Minute, CA: "ca.pem",
				CommitAfter: 5 * time.Minute, TrialTimeout: 5*time.Minute + time.Second, MinVersion: "1.2.3-rc.1+b5"}},
		{"short commit, default trial", updates("  commit-after: 1s"), Updates{CheckInterval: time.Hour, CommitAfter: time.Second, TrialTimeout: 10 * time.Minute}},
		{"long trial, default commit", updates("  trial-timeout: 2h"), Updates{CheckInterval: time.Hour, CommitAfter: time.Minute, TrialTimeout: 2 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if p.Updates != tc.want {
				t.Errorf("Updates = %+v, want %+v", p.Updates, tc.want)
			}
		})
	}
}

func TestParseUpdatesErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"scalar", y("product:", "  name: Acme", "updates: yes"), 3, "updates", "want a mapping (key:, channel:, check-interval:"},
		{"unknown key", updates("  chanel: https://u.example/c.json"), 4, "updates.chanel", "did you mean channel?"},
		{"empty key", updates("  key:"), 4, "updates.key", "empty value"},
		{"key outside", updates("  key: ../keys"), 4, "updates.key", "outside plinth.yaml's directory"},
		{"channel ftp", updates("  channel: ftp://u.example/c.json"), 4, "updates.channel", `want the http:// or https:// URL of the channel file, e.g. https://updates.example.com/acme/channel.json, got "ftp://u.example/c.json"`},
		{"channel relative", updates("  channel: /c.json"), 4, "updates.channel", "want the http:// or https:// URL"},
		{"channel no host", updates("  channel: https:///c.json"), 4, "updates.channel", "want the http:// or https:// URL"},
		{"channel port only", updates("  channel: https://:443/c.json"), 4, "updates.channel", "want the http:// or https:// URL"},
		{"channel space", updates(`  channel: "https://u.example/my channel.json"`), 4, "updates.channel", "contains a space or control character"},
		{"channel bad escape", updates("  channel: https://u.example/%zz"), 4, "updates.channel", `invalid URL escape "%zz"`},
		{"channel password", updates("  channel: https://me:secret@u.example/c.json"), 4, "updates.channel", "holds a user name or password"},
		{"channel fragment", updates("  channel: https://u.example/c.json#top"), 4, "updates.channel", "has a #fragment"},
		{"channel list", updates("  channel: [https://u.example/c.json]"), 4, "updates.channel", "want a single value, got a list"},
		{"interval too short", updates("  check-interval: 59s"), 4, "updates.check-interval", "59s is too often: at least 1m0s"},
		{"interval zero", updates("  check-interval: 0s"), 4, "updates.check-interval", "want a duration above zero"},
		{"interval no unit", updates("  check-interval: 60"), 4, "updates.check-interval", `want a duration such as 500ms, 10s, 2m or 1h30m, got "60"`},
		{"ca absolute", updates("  ca: /etc/ssl/ca.pem"), 4, "updates.ca", "want a path relative to plinth.yaml's directory"},
		{"ca outside", updates("  ca: ../ca.pem"), 4, "updates.ca", "outside plinth.yaml's directory"},
		{"commit zero", updates("  commit-after: 0s"), 4, "updates.commit-after", "want a duration above zero"},
		{"trial negative", updates("  trial-timeout: -1m"), 4, "updates.trial-timeout", "-1m is negative"},
		{"trial equals commit", updates("  commit-after: 2m", "  trial-timeout: 2m"), 5, "updates.trial-timeout", "trial-timeout 2m0s is not longer than commit-after 2m0s"},
		{"trial below default commit", updates("  trial-timeout: 30s"), 4, "updates.trial-timeout", "not longer than the default commit-after 1m0s"},
		{"commit above default trial", updates("  commit-after: 10m"), 4, "updates.commit-after", "commit-after 10m0s is not shorter than the default trial-timeout 10m0s: set trial-timeout too"},
		{"min-version git", updates("  min-version: git"), 4, "updates.min-version", `want a version such as 1.2.0 or v2.0.0-rc.1 (at most 64 characters), got "git"`},
		{"min-version word", updates("  min-version: latest"), 4, "updates.min-version", `got "latest"`},
		{"min-version dirty", updates("  min-version: 1.2.0-dirty"), 4, "updates.min-version", "installed versions cannot be compared with it"},
		{"min-version empty field", updates("  min-version: 1.2.0--rc"), 4, "updates.min-version", "installed versions cannot be compared with it"},
	})
}

// TestParseUpdatesMinVersionNumber: a bare number is a version, as in
// product: version:.
func TestParseUpdatesMinVersionNumber(t *testing.T) {
	p, err := Parse([]byte(updates("  min-version: 2")))
	if err != nil || p.Updates.MinVersion != "2" {
		t.Errorf("min-version: 2 = %q, %v", p.Updates.MinVersion, err)
	}
}

// caPEM returns a PEM CA certificate named cn.
func caPEM(t *testing.T, cn string) []byte {
	t.Helper()
	c := testcert.Must(t, cn, testcert.Options{CA: true, NotBefore: time.Now(), NotAfter: time.Now().AddDate(1, 0, 0)})
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
}

// TestCheckUpdatesCA: the CA file holds PEM certificates and nothing
// else; Check names the field and its line.
func TestCheckUpdatesCA(t *testing.T) {
	ca := caPEM(t, "Acme CA")
	for _, tc := range []struct {
		name    string
		content []byte // nil: a directory
		msg     string // "": accepted
	}{
		{"one certificate", ca, ""},
		{"two certificates with comments", append(append([]byte("# Acme's CAs\n"), ca...), caPEM(t, "Acme CA 2")...), ""},
		{"a directory", nil, "ca.pem is not a regular file"},
		{"no PEM", []byte("not a certificate\n"), "ca.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----)"},
		{"a private key", append(append([]byte{}, ca...), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})...), "ca.pem holds a PRIVATE KEY block: keep only the CA certificates in it"},
		{"a broken certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")}), "ca.pem: certificate 1 is not a valid X.509 certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content == nil {
				os.Mkdir(filepath.Join(dir, "ca.pem"), 0o755)
			} else {
				write(t, filepath.Join(dir, "ca.pem"), string(tc.content))
			}
			checkCAFile(t, updates("  channel: https://u.example/c.json", "  ca: ca.pem"), dir, "updates.ca", tc.msg)
		})
	}
}

func TestCheckChannel(t *testing.T) {
	for _, s := range []string{"https://u.example/c.json", "http://192.0.2.1:8080/x/channel.json", "https://[2001:db8::1]/c.json", "HTTPS://U.EXAMPLE/c.json"} {
		if err := CheckChannel(s); err != nil {
			t.Errorf("CheckChannel(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "u.example/c.json", "file:///c.json", "https://u.example/c.json#", strings.Repeat("x", 3000)} {
		if err := CheckChannel(s); err == nil {
			t.Errorf("CheckChannel(%q) accepted it", s)
		}
	}
}

// checkCAFile parses yaml, whose CA file is in dir, and checks it: Check
// passes when msg is "", else fails on line 5 in field saying msg.
func checkCAFile(t *testing.T, yaml, dir, field, msg string) {
	t.Helper()
	p, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	err = p.Check(dir)
	if msg == "" {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 5 || pe.Field != field || !strings.Contains(pe.Message, msg) {
		t.Errorf("Check = %v, want line 5 field %s saying %q", err, field, msg)
	}
}
