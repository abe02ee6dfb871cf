package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/initramfs"
	"github.com/plinth-os/plinth/internal/authenticode"
	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/sbkeys"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/uki"
)

// signedBuild builds with stand-in kernels and busybox binaries and the
// key set in keys, into a new directory.
func signedBuild(t *testing.T, keys, cache string, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := parseFlags(append([]string{
		"-o", filepath.Join(dir, "plinth-installer.iso"), "-kernel", standInKernel(t, "6.1.0-installer"), "-runtime-kernel", standInKernel(t, "6.1.0-runtime"),
		"-cache-dir", cache, "-version", "1.2.3", "-secureboot-keys", keys,
	}, extra...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	seedBusybox(t, cfg, cache)
	var log bytes.Buffer
	if err := build(context.Background(), cfg, &log); err != nil {
		t.Fatalf("build: %v\n%s", err, log.String())
	}
	return dir
}

// TestSignedBuild: with keys, both UKIs are signed (sbverify and
// osslsigncode accept them with our db certificate, and reject them with
// one byte changed), the enrollment files are in out/keys, on the ISO
// and in the installer, no private key is in anything written, and the
// same inputs give the same bytes.
func TestSignedBuild(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	keys := filepath.Join(t.TempDir(), "keys")
	set, err := sbkeys.Generate(keys, "Test", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	dir := signedBuild(t, keys, cache)
	dbCert := filepath.Join(keys, "db.crt")
	for _, name := range []string{"plinth-installer.efi", "plinth-runtime.efi"} {
		efi := filepath.Join(dir, name)
		checkSigned(t, efi, dbCert, true)
		b, _ := os.ReadFile(efi)
		if err := authenticode.Verify(b, set.DB.Cert); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		b[len(b)/3] ^= 0x40 // inside the sections, which the signature covers
		tampered := filepath.Join(t.TempDir(), name)
		os.WriteFile(tampered, b, 0o644)
		checkSigned(t, tampered, dbCert, false)
	}
	inInstaller := initrdFiles(t, filepath.Join(dir, "plinth-installer.efi"))
	for _, name := range sbenroll.Files() {
		out, err := os.ReadFile(filepath.Join(dir, "keys", name))
		if err != nil {
			t.Errorf("out/keys: %v", err)
		}
		if got := inInstaller[sbenroll.KeyDir+"/"+name]; !bytes.Equal(got, out) {
			t.Errorf("the installer's %s/%s differs from out/keys/%s", sbenroll.KeyDir, name, name)
		}
	}
	checkBundle(t, dir, set)
	noPrivateKey(t, dir, set)
	again := signedBuild(t, keys, cache)
	for _, name := range []string{"plinth-installer.efi", "plinth-runtime.efi", "plinth-installer.iso", "keys/db.auth", "keys/PK.auth"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds with the same keys and inputs", name)
		}
	}
}

// checkSigned runs sbverify and osslsigncode on efi with cert as the
// trusted certificate; ok says whether both must accept it.
func checkSigned(t *testing.T, efi, cert string, ok bool) {
	t.Helper()
	for _, argv := range [][]string{
		{testdisk.Tool(t, "sbverify"), "--cert", cert, efi},
		{testdisk.Tool(t, "osslsigncode"), "verify", "-CAfile", cert, "-in", efi},
	} {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if (err == nil) != ok {
			t.Errorf("%s on %s: err %v, want accepted %v\n%s", filepath.Base(argv[0]), filepath.Base(efi), err, ok, out)
		}
	}
}

// noPrivateKey looks for each private key, in every encoding mkiso could
// have copied it in, in every file of dir.
func noPrivateKey(t *testing.T, dir string, set *sbkeys.Set) {
	t.Helper()
	var needles [][]byte
	for _, k := range []sbkeys.Key{set.PK, set.KEK, set.DB} {
		der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
		if err != nil {
			t.Fatal(err)
		}
		needles = append(needles, der[len(der)/2:len(der)/2+64], k.Signer.D.Bytes()[:32],
			pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})[40:120])
	}
	search := func(name string, b []byte) {
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s holds a private key", name)
			}
		}
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		search(p, b)
		if strings.HasSuffix(p, ".efi") { // the initramfs is compressed: look inside
			for name, data := range initrdFiles(t, p) {
				search(p+":"+name, data)
			}
		}
		return nil
	})
}

// initrdFiles returns the files of a UKI's initramfs by path.
func initrdFiles(t *testing.T, efi string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(efi)
	if err != nil {
		t.Fatal(err)
	}
	secs, err := uki.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return initrdOf(t, secs[".initrd"])
}

// initrdOf returns the files of a compressed initramfs by path.
func initrdOf(t *testing.T, initrd []byte) map[string][]byte {
	t.Helper()
	recs, err := initramfs.Read(initrd)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, r := range recs {
		if r.ReaderAt != nil && r.FileSize > 0 {
			data := make([]byte, r.FileSize)
			if _, err := r.ReadAt(data, 0); err != nil && err != io.EOF {
				t.Fatal(err)
			}
			files["/"+strings.TrimPrefix(r.Name, "/")] = data
		}
	}
	return files
}

func TestBadKeysStopTheBuild(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out", "x.iso")
	_, err := parseFlags([]string{"-secureboot-keys", filepath.Join(dir, "none"), "-o", out}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-secureboot-keys") {
		t.Fatalf("missing key directory: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(out)); err == nil {
		t.Error("out/ was created")
	}
}

func TestRequireNeedsKeys(t *testing.T) {
	ans := filepath.Join(t.TempDir(), "install.yaml")
	os.WriteFile(ans, []byte("disk: largest\nsecure-boot: require\n"), 0o644)
	if _, err := parseFlags([]string{"-answers", ans}, io.Discard); err == nil || !strings.Contains(err.Error(), "secure-boot: require") {
		t.Errorf("require without keys: %v", err)
	}
}

// checkBundle opens the build's update bundle trusting the db
// certificate: it holds the runtime UKI, byte for byte.
func checkBundle(t *testing.T, dir string, set *sbkeys.Set) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, bundle.FileName("Plinth", "1.2.3")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := bundle.Open(f, []*x509.Certificate{set.DB.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Manifest(); m.Product != "Plinth" || m.Version != "1.2.3" {
		t.Errorf("bundle manifest %+v", m)
	}
	var got bytes.Buffer
	err = r.Extract(func(p bundle.PartInfo) (io.WriteCloser, error) { return nopCloser{&got}, nil })
	if want, _ := os.ReadFile(filepath.Join(dir, "plinth-runtime.efi")); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Errorf("bundle's runtime UKI: %d bytes, %v; want the %d of plinth-runtime.efi", got.Len(), err, len(want))
	}
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if !bytes.Contains(sums, []byte(bundle.FileName("Plinth", "1.2.3"))) {
		t.Errorf("SHA256SUMS lacks the bundle:\n%s", sums)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
