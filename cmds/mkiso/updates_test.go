package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/sbkeys"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/updatechannel"
	"github.com/plinth-os/plinth/internal/updatekey"
)

// testKeys makes a Secure Boot key set and an update key for "Acme DB".
func testKeys(t *testing.T) (sbDir, updDir string, set *sbkeys.Set, upd *updatekey.Key) {
	t.Helper()
	root := t.TempDir()
	sbDir, updDir = filepath.Join(root, "sb"), filepath.Join(root, "update")
	set, err := sbkeys.Generate(sbDir, "Acme DB", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if upd, err = updatekey.Generate(updDir, "Acme DB", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	return sbDir, updDir, set, upd
}

// updatesProduct writes a plinth.yaml with an updates: section, its CA
// file and an update key beside it (keys/update, named relatively), and
// returns the file's path and the CA's PEM.
func updatesProduct(t *testing.T, updDir string) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	ca, err := os.ReadFile(filepath.Join(updDir, updatekey.CertFile)) // any CA certificate will do
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{
		"plinth.yaml": `product: {name: Acme DB, version: "1.2.3"}
updates:
  key: keys/update
  channel: https://updates.example.com/acme/channel.json
  ca: certs/ca.pem
  commit-after: 2m
  min-version: 1.0.0
`,
		"certs/ca.pem": string(ca),
	})
	copyKey(t, updDir, filepath.Join(dir, "keys", "update"))
	return filepath.Join(dir, "plinth.yaml"), ca
}

// copyKey copies an update key's two files, with their modes.
func copyKey(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{updatekey.CertFile, updatekey.KeyFile} {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(filepath.Join(from, name))
		if err := os.WriteFile(filepath.Join(to, name), b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// buildWith runs a build with stand-in kernels and busybox binaries into
// a new directory and returns it and the build log.
func buildWith(t *testing.T, cache string, args ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := parseFlags(append([]string{
		"-o", filepath.Join(dir, "plinth-installer.iso"), "-kernel", standInKernel(t, "6.1.0-installer"), "-runtime-kernel", standInKernel(t, "6.1.0-runtime"),
		"-cache-dir", cache,
	}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	seedBusybox(t, cfg, cache)
	var log bytes.Buffer
	if err := build(context.Background(), cfg, &log); err != nil {
		t.Fatalf("build: %v\n%s", err, log.String())
	}
	return dir, log.String()
}

// TestUpdateKeyBuild builds with an update key (from plinth.yaml) and
// Secure Boot keys: the update key signs the bundle, the db key does
// not; channel.json offers the bundle; the runtime carries the update
// certificate and plinth.yaml's updates:, -update-channel winning; and a
// second build gives the same bytes.
func TestUpdateKeyBuild(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	sbDir, updDir, set, upd := testKeys(t)
	conf, ca := updatesProduct(t, updDir)
	const channelURL = "http://10.0.2.2:8080/acme/channel.json"
	cache := t.TempDir()
	args := []string{"-config", conf, "-secureboot-keys", sbDir, "-update-channel", channelURL}
	dir, log := buildWith(t, cache, args...)
	if !strings.Contains(log, "signed by the update key Acme DB update signing -> "+filepath.Join(dir, "acme-db-1.2.3.plinth")+", channel.json") {
		t.Errorf("build log does not say the update key signed the bundle:\n%s", log)
	}
	bundlePath := filepath.Join(dir, "acme-db-1.2.3.plinth")
	checkBundleTrust(t, bundlePath, upd.Cert, set.DB.Cert)
	checkChannel(t, dir, bundlePath, channelURL)

	spec := runtimeSpec(t, dir)
	want := productspec.Updates{
		Certificates: string(upd.CertPEM()), Channel: channelURL, CheckInterval: productspec.Duration(time.Hour), CA: string(ca),
		CommitAfter: productspec.Duration(2 * time.Minute), TrialTimeout: productspec.DefaultTrialTimeout,
	}
	if spec.Updates != want {
		t.Errorf("runtime spec's updates:\n%+v\nwant\n%+v", spec.Updates, want)
	}
	installer := initrdFiles(t, filepath.Join(dir, "plinth-installer.efi"))[productspec.Path]
	if runtime := initrdFiles(t, filepath.Join(dir, "plinth-runtime.efi"))[productspec.Path]; !bytes.Equal(installer, runtime) {
		t.Error("the installer's product spec differs from the runtime's")
	}

	again, _ := buildWith(t, cache, args...)
	for _, name := range []string{"acme-db-1.2.3.plinth", "channel.json", "SHA256SUMS", "plinth-runtime.efi"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds with the same keys and inputs", name)
		}
	}
}

// checkBundleTrust opens the bundle trusting good (it opens, and carries
// plinth.yaml's min-version) and trusting bad (it is refused).
func checkBundleTrust(t *testing.T, path string, good, bad *x509.Certificate) {
	t.Helper()
	for _, tc := range []struct {
		cert *x509.Certificate
		ok   bool
	}{{good, true}, {bad, false}} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := bundle.Open(f, []*x509.Certificate{tc.cert})
		f.Close()
		switch {
		case tc.ok && err != nil:
			t.Errorf("bundle.Open trusting %s: %v", tc.cert.Subject, err)
		case tc.ok && (r.Manifest().MinVersion != "1.0.0" || r.Manifest().Product != "Acme DB" || r.Manifest().Version != "1.2.3"):
			t.Errorf("bundle manifest %+v, want Acme DB 1.2.3 with minVersion 1.0.0", r.Manifest())
		case !tc.ok && !errors.Is(err, bundle.ErrUntrusted):
			t.Errorf("bundle.Open trusting %s: %v, want ErrUntrusted", tc.cert.Subject, err)
		}
	}
}

// checkChannel reads channel.json as an appliance would, served from
// channelURL: it names the bundle beside it, with the size and SHA-256
// sha256sum gives; SHA256SUMS lists both and sha256sum -c agrees.
func checkChannel(t *testing.T, dir, bundlePath, channelURL string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "channel.json"))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := updatechannel.Parse(data, channelURL)
	if err != nil {
		t.Fatalf("channel.json: %v\n%s", err, data)
	}
	fi, err := os.Stat(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	sum, _, _ := strings.Cut(testdisk.Run(t, testdisk.Tool(t, "sha256sum"), bundlePath), " ")
	if ch.URL != "http://10.0.2.2:8080/acme/acme-db-1.2.3.plinth" || ch.Size != fi.Size() || ch.SHA256 != sum || ch.Product != "Acme DB" || ch.Version != "1.2.3" {
		t.Errorf("channel %+v, want the bundle beside it: %d bytes, sha256 %s", ch, fi.Size(), sum)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	for _, name := range []string{"channel.json", filepath.Base(bundlePath)} {
		if !bytes.Contains(sums, []byte("  "+name+"\n")) {
			t.Errorf("SHA256SUMS lacks %s:\n%s", name, sums)
		}
	}
	check := exec.Command(testdisk.Tool(t, "sha256sum"), "-c", "--strict", "SHA256SUMS")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil || strings.Count(string(out), ": OK\n") != 5 {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
}

// checkNoBundle: a build without keys writes no bundle and no channel
// file, and its runtime refuses every bundle.
func checkNoBundle(t *testing.T, dir string) {
	t.Helper()
	if m, _ := filepath.Glob(filepath.Join(dir, "*.plinth")); len(m) > 0 {
		t.Errorf("a build without keys wrote %v", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "channel.json")); err == nil {
		t.Error("a build without keys wrote channel.json")
	}
	if u := runtimeSpec(t, dir).Updates; u.Certificates != "" || u.CheckInterval != productspec.DefaultCheckInterval {
		t.Errorf("runtime updates %+v, want no certificates and the defaults", u)
	}
}

// runtimeSpec reads the product spec out of the runtime UKI's initramfs.
func runtimeSpec(t *testing.T, dir string) *productspec.Spec {
	t.Helper()
	b := initrdFiles(t, filepath.Join(dir, "plinth-runtime.efi"))[productspec.Path]
	spec, err := productspec.Parse(b)
	if err != nil {
		t.Fatalf("runtime %s: %v\n%s", productspec.Path, err, b)
	}
	return spec
}

// TestBundleSigner: the update key signs when given, else the db key;
// the runtime trusts that one certificate; without keys it trusts none.
func TestBundleSigner(t *testing.T) {
	sbDir, updDir, set, upd := testKeys(t)
	for _, tc := range []struct {
		name string
		args []string
		want *x509.Certificate // nil: no bundle
	}{
		{"no keys", nil, nil},
		{"Secure Boot keys", []string{"-secureboot-keys", sbDir}, set.DB.Cert},
		{"update key", []string{"-update-key", updDir}, upd.Cert},
		{"both", []string{"-secureboot-keys", sbDir, "-update-key", updDir}, upd.Cert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseFlags(append([]string{"-version", "1.2.3"}, tc.args...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			_, cert := cfg.bundleSigner()
			if (cert == nil) != (tc.want == nil) || cert != nil && !cert.Equal(tc.want) {
				t.Errorf("signer %v, want %v", subject(cert), subject(tc.want))
			}
			spec, err := productSpec(cfg)
			if err != nil {
				t.Fatal(err)
			}
			u := spec.Updates
			if u.CheckInterval != productspec.DefaultCheckInterval || u.CommitAfter != productspec.DefaultCommitAfter || u.TrialTimeout != productspec.DefaultTrialTimeout || u.Channel != "" || u.CA != "" {
				t.Errorf("updates %+v, want the defaults and no channel", u)
			}
			if tc.want == nil {
				if u.Certificates != "" {
					t.Errorf("certificates %q, want none", u.Certificates)
				}
				return
			}
			blk, rest := pem.Decode([]byte(u.Certificates))
			if blk == nil || blk.Type != "CERTIFICATE" || len(rest) != 0 || !bytes.Equal(blk.Bytes, tc.want.Raw) {
				t.Errorf("certificates %q, want the PEM of %s alone", u.Certificates, tc.want.Subject)
			}
		})
	}
}

func subject(c *x509.Certificate) string {
	if c == nil {
		return "none"
	}
	return c.Subject.String()
}

// TestUpdateFlagErrors: a wrong key, channel or min-version stops the
// build before anything is written, naming the flag or field.
func TestUpdateFlagErrors(t *testing.T) {
	_, updDir, _, _ := testKeys(t)
	open := filepath.Join(t.TempDir(), "open")
	copyKey(t, updDir, open)
	os.Chmod(filepath.Join(open, updatekey.KeyFile), 0o644)
	product := func(updates string) string {
		dir := writeTree(t, t.TempDir(), map[string]string{"plinth.yaml": "product: {name: Acme DB, version: \"1.2.3\"}\nupdates:\n" + updates})
		return filepath.Join(dir, "plinth.yaml")
	}
	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing key", []string{"-update-key", missing}, []string{"-update-key: updatekey: update key directory " + missing + " does not exist", ". mkiso -new-update-key " + missing + " makes one"}},
		{"open key", []string{"-update-key", open}, []string{"-update-key: updatekey: private key", "chmod 600"}},
		{"bad channel", []string{"-update-channel", "ftp://u.example/c.json"}, []string{"-update-channel: want the http:// or https:// URL of the channel file"}},
		{"plinth.yaml key missing", []string{"-config", product("  key: keys\n")}, []string{"plinth.yaml updates.key: updatekey: update key directory", "keys does not exist"}},
		{"plinth.yaml bad field", []string{"-config", product("  check-interval: 10s\n")}, []string{"plinth.yaml:3:", "updates.check-interval", "too often"}},
		{"min-version newer", []string{"-config", product("  min-version: 2.0.0\n"), "-update-key", updDir},
			[]string{"plinth.yaml updates.min-version: 2.0.0 is newer than this build's version 1.2.3"}},
		{"version not comparable", []string{"-config", product("  min-version: 1.0.0\n"), "-update-key", updDir, "-version", "dev"},
			[]string{"this build's version cannot be compared with 1.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkRefused(t, tc.args, tc.want) })
	}
	// Without a key there is no bundle, so min-version cannot be wrong.
	if _, err := parseFlags([]string{"-config", product("  min-version: 2.0.0\n")}, io.Discard); err != nil {
		t.Errorf("min-version without a key: %v", err)
	}
}

// TestNewUpdateKey: -new-update-key makes the key plinth.yaml names,
// though it does not exist yet, says what holding it means, and the
// next build loads it.
func TestNewUpdateKey(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{"plinth.yaml": "product: {name: Acme DB, version: \"1.2.3\"}\nupdates:\n  key: keys/update\n"})
	conf, keyDir := filepath.Join(dir, "plinth.yaml"), filepath.Join(dir, "keys", "update")
	cfg, err := parseFlags([]string{"-config", conf, "-new-update-key", keyDir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := newKeyFiles(cfg, &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"wrote an update key to " + keyDir, "CN=Acme DB update signing", updatekey.Warning, "mkiso -update-key " + keyDir} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	if fi, err := os.Stat(filepath.Join(keyDir, updatekey.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key: %v, %v; want mode 0600", fi, err)
	}
	if err := newKeyFiles(cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second -new-update-key: %v, want a refusal", err)
	}
	if cfg, err = parseFlags([]string{"-config", conf}, io.Discard); err != nil || cfg.UpdateKey == nil || cfg.UpdateKey.Cert.Subject.CommonName != "Acme DB update signing" {
		t.Errorf("build with the new key: %v", err)
	}
}

// checkRefused runs mkiso's flag parsing on args, which must fail with
// an error containing every string of want, before out/ exists.
func checkRefused(t *testing.T, args, want []string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out", "x.iso")
	_, err := parseFlags(append(args, "-o", out), io.Discard)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if _, serr := os.Stat(filepath.Dir(out)); serr == nil {
		t.Error("out/ was created")
	}
}
