package main

import (
	"bytes"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/netinstall"
	"github.com/plinth-os/plinth/internal/testcert"
)

// netCA returns a PEM CA certificate.
func netCA(t *testing.T) []byte {
	t.Helper()
	c := testcert.Must(t, "Provisioning CA", testcert.Options{CA: true, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)})
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
}

// netProduct writes a plinth.yaml with the given installer: lines and
// certs/prov.pem beside it, and returns the file's path.
func netProduct(t *testing.T, ca []byte, installer ...string) string {
	t.Helper()
	body := "product: {name: Acme DB, version: \"1.2.3\"}\n"
	if len(installer) > 0 {
		body += "installer:\n  " + strings.Join(installer, "\n  ") + "\n"
	}
	dir := writeTree(t, t.TempDir(), map[string]string{"plinth.yaml": body, "certs/prov.pem": string(ca)})
	return filepath.Join(dir, "plinth.yaml")
}

// TestNetInstallSettings: plinth.yaml gives the URL templates and the
// CA, each flag wins over its field, and no build has any without them.
func TestNetInstallSettings(t *testing.T) {
	ca, otherCA := netCA(t), netCA(t)
	otherFile := filepath.Join(t.TempDir(), "other.pem")
	if err := os.WriteFile(otherFile, otherCA, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := netProduct(t, ca, "answers-url: https://prov.example/a/${uuid}.yaml", "report-url: https://prov.example/r/${uuid}", "ca: certs/prov.pem")
	for _, tc := range []struct {
		name   string
		args   []string
		want   netinstall.Config
		wantCA []byte
	}{
		{"nothing", nil, netinstall.Config{}, nil},
		{"flags alone", []string{"-answers-url", " http://10.0.2.2:8080/${mac}.yaml ", "-report-url", "http://10.0.2.2:8080/report", "-answers-ca", otherFile},
			netinstall.Config{AnswersURL: "http://10.0.2.2:8080/${mac}.yaml", ReportURL: "http://10.0.2.2:8080/report"}, otherCA},
		{"CA alone, for URLs from SMBIOS", []string{"-answers-ca", otherFile}, netinstall.Config{}, otherCA},
		{"plinth.yaml", []string{"-config", conf},
			netinstall.Config{AnswersURL: "https://prov.example/a/${uuid}.yaml", ReportURL: "https://prov.example/r/${uuid}"}, ca},
		{"flags win", []string{"-config", conf, "-answers-url", "http://10.0.2.2/${serial}", "-answers-ca", otherFile},
			netinstall.Config{AnswersURL: "http://10.0.2.2/${serial}", ReportURL: "https://prov.example/r/${uuid}"}, otherCA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseFlags(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.NetInstall != tc.want || !bytes.Equal(cfg.NetInstallCA, tc.wantCA) {
				t.Errorf("net install %+v with CA %d bytes, want %+v with %d bytes", cfg.NetInstall, len(cfg.NetInstallCA), tc.want, len(tc.wantCA))
			}
			files, err := netInstallFiles(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := files[netinstall.Path]; ok == tc.want.IsZero() {
				t.Errorf("initramfs files %v: %s present %v, want %v", keys(files), netinstall.Path, ok, !tc.want.IsZero())
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestNetInstallErrors: a bad template or CA stops the build before
// anything is written, naming the flag or the field.
func TestNetInstallErrors(t *testing.T) {
	ca := netCA(t)
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644)
	withKey := filepath.Join(t.TempDir(), "ca+key.pem")
	os.WriteFile(withKey, append(append([]byte{}, ca...), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}})...), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown variable", []string{"-answers-url", "https://p/${hostname}"}, []string{"-answers-url: netanswers: URL template", "unknown variable ${hostname}"}},
		{"unclosed", []string{"-report-url", "https://p/${uuid"}, []string{"-report-url: ", "no closing }"}},
		{"ftp", []string{"-answers-url", "ftp://p/${mac}"}, []string{"-answers-url: ", "want an http:// or https:// URL"}},
		{"no host", []string{"-report-url", "https:///r"}, []string{"-report-url: ", "no host"}},
		{"CA missing", []string{"-answers-ca", "/nonexistent/ca.pem"}, []string{"-answers-ca /nonexistent/ca.pem: ", "no such file"}},
		{"CA not PEM", []string{"-answers-ca", notPEM}, []string{"-answers-ca " + notPEM, "not PEM"}},
		{"CA with a key", []string{"-answers-ca", withKey}, []string{"-answers-ca " + withKey, `"RSA PRIVATE KEY", want CERTIFICATE`}},
		{"plinth.yaml template", []string{"-config", netProduct(t, ca, "answers-url: https://p/${host}")},
			[]string{"plinth.yaml:3:", "installer.answers-url", "unknown variable ${host}"}},
		{"plinth.yaml CA", []string{"-config", netProduct(t, []byte("nope\n"), "ca: certs/prov.pem")},
			[]string{"plinth.yaml:3:", "installer.ca", "holds no PEM certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkRefused(t, tc.args, tc.want) })
	}
}

// TestNetInstallInInitramfs builds with the URLs and the CA: the
// installer UKI's initramfs carries them where the installer reads
// them (netinstall.Load), the build log says so, and a build without
// them carries neither file (TestBuildSteps checks its log).
func TestNetInstallInInitramfs(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	ca := netCA(t)
	conf := netProduct(t, ca, "answers-url: http://10.0.2.2:8080/answers/${uuid}.yaml", "ca: certs/prov.pem")
	dir, log := buildWith(t, t.TempDir(), "-config", conf, "-report-url", "http://10.0.2.2:8080/report/${mac}")
	if !strings.Contains(log, "(runtime UKI, manifest, answers URL, report URL, answers CA inside)") {
		t.Errorf("build log does not name the files:\n%s", log)
	}
	files := initrdFiles(t, filepath.Join(dir, "plinth-installer.efi"))
	if !bytes.Equal(files[netinstall.CAPath], ca) {
		t.Errorf("%s holds %q, want the CA", netinstall.CAPath, files[netinstall.CAPath])
	}
	p := filepath.Join(t.TempDir(), "netinstall.json")
	if err := os.WriteFile(p, files[netinstall.Path], 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := netinstall.Load(p)
	want := netinstall.Config{AnswersURL: "http://10.0.2.2:8080/answers/${uuid}.yaml", ReportURL: "http://10.0.2.2:8080/report/${mac}"}
	if err != nil || got != want {
		t.Errorf("%s = %+v, %v; want %+v", netinstall.Path, got, err, want)
	}
	if rt := initrdFiles(t, filepath.Join(dir, "plinth-runtime.efi")); rt[netinstall.Path] != nil || rt[netinstall.CAPath] != nil {
		t.Error("the runtime image carries the installer's network files")
	}

	plain, _ := buildWith(t, t.TempDir(), "-config", netProduct(t, ca))
	files = initrdFiles(t, filepath.Join(plain, "plinth-installer.efi"))
	if files[netinstall.Path] != nil || files[netinstall.CAPath] != nil {
		t.Errorf("a build without URLs carries %s or %s", netinstall.Path, netinstall.CAPath)
	}
}
