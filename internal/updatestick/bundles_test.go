package updatestick

import (
	"crypto/x509"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/vfat"
)

// stick returns the files of a stick holding good, unusable and broken
// bundles, and the trusted certificates.
func stick(t *testing.T) (map[string][]byte, []*x509.Certificate) {
	t.Helper()
	k := newKeys(t)
	v := func(version string) []byte { return makeBundle(t, k.vendor, product, version, "") }
	v19 := v("v1.9.0")
	return map[string][]byte{
		"acme-db-v1.5.0.plinth":        v("v1.5.0"),
		"acme-db-v1.1.0.plinth":        v("v1.1.0"),
		"acme-db-v2.0.0.plinth":        makeBundle(t, k.vendor, product, "v2.0.0", "v1.3.0"),
		"other-v9.0.0.plinth":          makeBundle(t, k.vendor, "Other Thing", "v9.0.0", ""),
		"plinth/acme-db-v1.4.0.plinth": v("v1.4.0"),
		"plinth/ACME-DB-V1.6.0.PLINTH": v("v1.6.0"),
		// A version claimed newer in the manifest, after signing.
		"tampered-manifest.plinth":  []byte(strings.Replace(string(v19), `"v1.9.0"`, `"v1.9.9"`, 1)),
		"tampered-signature.plinth": changeByte(v19, inSignature(v19)),
		"header.plinth":             changeByte(v19, 13), // the manifest length
		"mallory.plinth":            makeBundle(t, k.mallory, product, "v3.0.0", ""),
		"truncated.plinth":          v19[:len(v19)-100],
		"padded.plinth":             append(v("v1.8.0"), "more"...),
		"junk.plinth":               []byte("this is not a bundle but a note about one\n"),
		// Not looked at: AppleDouble, not a bundle name, too deep.
		"._acme-db-v1.5.0.plinth":      []byte("\x00\x05\x16\x07 Mac OS X metadata"),
		"notes.txt":                    []byte("update to 1.5 on Monday\n"),
		"old/plinth/acme-db-v3.plinth": v("v3.0.0"),
		"old/acme-db-v3.plinth":        v("v3.0.0"),
	}, []*x509.Certificate{k.vendor.Cert}
}

func TestBundles(t *testing.T) {
	t.Parallel()
	files, trusted := stick(t)
	dir := t.TempDir()
	writeFiles(t, dir, files)
	if err := os.Mkdir(filepath.Join(dir, "dir.plinth"), 0o755); err != nil {
		t.Fatal(err)
	}
	cands, rej, err := Bundles(dir, trusted)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cands {
		got = append(got, strings.TrimPrefix(c.Path, dir+"/")+" "+c.Manifest.Product+" "+c.Manifest.Version)
		if fi, err := os.Stat(c.Path); err != nil || fi.Size() != c.Size {
			t.Errorf("%s: Size %d, file %v", c.Path, c.Size, err)
		}
	}
	want := []string{
		"acme-db-v1.1.0.plinth Acme DB v1.1.0",
		"acme-db-v1.5.0.plinth Acme DB v1.5.0",
		"acme-db-v2.0.0.plinth Acme DB v2.0.0",
		"other-v9.0.0.plinth Other Thing v9.0.0",
		"plinth/ACME-DB-V1.6.0.PLINTH Acme DB v1.6.0",
		"plinth/acme-db-v1.4.0.plinth Acme DB v1.4.0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("candidates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	wantRej := map[string]string{
		"header.plinth":             "not a valid update bundle: header damaged",
		"junk.plinth":               `not a valid update bundle: not a Plinth update bundle: it starts with "this is ", not "PLBUNDLE"`,
		"mallory.plinth":            "not signed with an update key this appliance trusts: signed by CN=Mallory, which this appliance does not trust (it trusts CN=Acme Updates)",
		"padded.plinth":             "not a valid update bundle: longer than its manifest says (data after its end): the file has ",
		"tampered-manifest.plinth":  "damaged, or changed after it was signed: the manifest's signature does not verify",
		"tampered-signature.plinth": "damaged, or changed after it was signed: ",
		"truncated.plinth":          "incomplete (was the copy or download interrupted? fetch it again): shorter than its manifest says: the file has ",
	}
	if len(rej) != len(wantRej) {
		t.Errorf("rejected %d files, want %d: %+v", len(rej), len(wantRej), rej)
	}
	for _, r := range rej {
		name := strings.TrimPrefix(r.Path, dir+"/")
		if w, ok := wantRej[name]; !ok || !strings.HasPrefix(r.Reason, w) {
			t.Errorf("%s rejected: %q, want %q", name, r.Reason, w)
		}
		if r.Version != "" {
			t.Errorf("%s: the version %q of an untrusted manifest is reported", name, r.Version)
		}
	}

	checkPick(t, dir, cands)
}

// checkPick picks from the candidates of TestBundles.
func checkPick(t *testing.T, dir string, cands []Candidate) {
	best, ok, rej := Pick(cands, product, "v1.2.0", func(v string) string {
		if v == "v1.6.0" {
			return "it panicked"
		}
		return ""
	})
	if !ok || best.Manifest.Version != "v1.5.0" || best.Path != filepath.Join(dir, "acme-db-v1.5.0.plinth") {
		t.Fatalf("Pick = %+v, %v, want v1.5.0", best, ok)
	}
	wantPick := []Rejected{
		{Path: "acme-db-v1.1.0.plinth", Version: "v1.1.0", Refusal: bundle.Refusal{Code: bundle.RefusedDowngrade, Reason: "a downgrade: v1.1.0 is older than the running v1.2.0 and its signer did not allow downgrades"}},
		{Path: "acme-db-v2.0.0.plinth", Version: "v2.0.0", Refusal: bundle.Refusal{Code: bundle.RefusedIntermediate, Reason: "cannot update the running version: Acme DB v2.0.0 updates only v1.3.0 or later; this appliance runs v1.2.0: install an update to v1.3.0 or later first"}},
		{Path: "other-v9.0.0.plinth", Version: "v9.0.0", Refusal: bundle.Refusal{Code: bundle.RefusedProduct, Reason: "for another product: this is Other Thing v9.0.0, and this appliance runs Acme DB"}},
		{Path: "plinth/ACME-DB-V1.6.0.PLINTH", Version: "v1.6.0", Refusal: bundle.Refusal{Code: bundle.RefusedFailedBefore, Reason: "v1.6.0 failed its trial on this appliance before (it panicked) and is not tried again; publish a newer version"}},
		{Path: "plinth/acme-db-v1.4.0.plinth", Version: "v1.4.0", Refusal: bundle.Refusal{Code: bundle.RefusedSuperseded, Reason: "v1.4.0 is older than v1.5.0 in " + filepath.Join(dir, "acme-db-v1.5.0.plinth")}},
	}
	for i := range wantPick {
		wantPick[i].Path = filepath.Join(dir, wantPick[i].Path)
	}
	if !slices.Equal(rej, wantPick) {
		t.Errorf("Pick rejected:\n%+v\nwant:\n%+v", rej, wantPick)
	}
}

func TestBundlesEmpty(t *testing.T) {
	t.Parallel()
	cands, rej, err := Bundles(t.TempDir(), nil)
	if len(cands) != 0 || len(rej) != 0 || err != nil {
		t.Errorf("Bundles of an empty stick = %v, %v, %v", cands, rej, err)
	}
	if _, _, err := Bundles(filepath.Join(t.TempDir(), "gone"), nil); err == nil {
		t.Error("Bundles of a missing directory succeeded")
	}
}

// TestBundlesOnFAT reads a FAT image as the stick, through internal/vfat
// (the kernel here has no FAT driver): names as FAT stores them, a
// directory in capitals.
func TestBundlesOnFAT(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	files := map[string][]byte{
		"PLINTH/acme-db-v1.5.0.plinth": makeBundle(t, k.vendor, product, "v1.5.0", ""),
		"Acme-DB-v1.4.0.Plinth":        makeBundle(t, k.vendor, product, "v1.4.0", ""),
		"._Acme-DB-v1.4.0.Plinth":      []byte("metadata"),
		"BACKUP/acme-db-v9.plinth":     makeBundle(t, k.vendor, product, "v9.0.0", ""),
	}
	img := filepath.Join(t.TempDir(), "stick.img")
	formatFAT(t, img, 34<<20, 32, Label, 0, files)
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fsys, err := vfat.Open(f, 0, 34<<20)
	if err != nil {
		t.Fatal(err)
	}
	cands, rej, err := bundlesFS(fsys, []*x509.Certificate{k.vendor.Cert})
	if err != nil || len(rej) != 0 {
		t.Fatalf("bundlesFS: %v, rejected %+v", err, rej)
	}
	var got []string
	for _, c := range cands {
		got = append(got, c.Path+" "+c.Manifest.Version)
	}
	if want := []string{"Acme-DB-v1.4.0.Plinth v1.4.0", "PLINTH/acme-db-v1.5.0.plinth v1.5.0"}; !slices.Equal(got, want) {
		t.Errorf("bundlesFS = %q, want %q", got, want)
	}
	if _, err := fsys.Stat("PLINTH/acme-db-v1.5.0.plinth"); err != nil {
		t.Fatal(err) // the layout the test meant
	}
}

// inSignature returns the offset of a byte in the signature value of
// bundle b, which ends the signature: after the 24-byte header, the
// manifest and the signature, whose lengths the header gives.
func inSignature(b []byte) int {
	m, sig := binary.BigEndian.Uint32(b[12:]), binary.BigEndian.Uint32(b[16:])
	return 24 + int(m) + int(sig) - 10
}
