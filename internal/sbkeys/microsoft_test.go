package sbkeys

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/ovmfvars"
)

// ovmfMSVars is the VARS image of Debian's ovmf package (in
// internal/hostdeps/packages.txt) that the embedded certificates come from.
const ovmfMSVars = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"

// TestMicrosoftMatchesOVMF extracts the certificates from the VARS image
// on this machine again and compares them with the embedded files.
func TestMicrosoftMatchesOVMF(t *testing.T) {
	image, err := os.ReadFile(ovmfMSVars)
	if err != nil {
		t.Fatalf("%v: apt-get install ovmf (or make deps)", err)
	}
	if MicrosoftOwner() != ovmfvars.MicrosoftOwner() {
		t.Fatalf("MicrosoftOwner %s, but the certificates are taken from entries owned by %s", MicrosoftOwner(), ovmfvars.MicrosoftOwner())
	}
	files, err := ovmfvars.MicrosoftCertificates(image)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for _, f := range files {
		want[path.Join("microsoft", f.Var, f.Name)] = f.DER
	}
	got := map[string][]byte{}
	err = fs.WalkDir(microsoftFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got[p], err = microsoftFS.ReadFile(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, der := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("%s holds %s, which is not embedded: go generate ./internal/sbkeys", ovmfMSVars, p)
		} else if !bytes.Equal(g, der) {
			t.Errorf("embedded %s differs from the certificate in %s: go generate ./internal/sbkeys", p, ovmfMSVars)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("embedded %s is not in %s: go generate ./internal/sbkeys", p, ovmfMSVars)
		}
	}
}

// msCert is what Microsoft publishes about one of its certificates; the
// SHA-1 thumbprints are the ones its Secure Boot key guidance lists.
type msCert struct {
	subject, issuer, thumbprint string
}

func TestMicrosoftCertificates(t *testing.T) {
	const marketplace = "Microsoft Corporation Third Party Marketplace Root"
	tests := []struct {
		name string
		got  func() []*x509.Certificate
		want []msCert
	}{
		{"KEK", MicrosoftKEK, []msCert{
			{"Microsoft Corporation KEK CA 2011", marketplace, "31590bfd89c9d74ed087dfac66334b3931254b30"},
		}},
		{"db", MicrosoftDB, []msCert{ // file name order: MicCorUEF… before MicWinPro…
			{"Microsoft Corporation UEFI CA 2011", marketplace, "46def63b5ce61cf8ba0de2e6639c1019d0ed14f3"},
			{"Microsoft Windows Production PCA 2011", "Microsoft Root Certificate Authority 2010", "580a6f4cc4e4b669b9ebdc1b2b3e087b80d0678d"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			certs := tc.got()
			if len(certs) != len(tc.want) {
				t.Fatalf("%d certificates, want %d", len(certs), len(tc.want))
			}
			for i, c := range certs {
				w := tc.want[i]
				sum := sha1.Sum(c.Raw)
				if c.Subject.CommonName != w.subject || c.Issuer.CommonName != w.issuer || hex.EncodeToString(sum[:]) != w.thumbprint {
					t.Errorf("certificate %d: subject %q, issuer %q, thumbprint %x; want %+v", i, c.Subject.CommonName, c.Issuer.CommonName, sum, w)
				}
				if o := c.Subject.Organization; len(o) != 1 || o[0] != "Microsoft Corporation" {
					t.Errorf("%s: organization %v", w.subject, o)
				}
				if pub, ok := c.PublicKey.(*rsa.PublicKey); !ok || pub.N.BitLen() != 2048 {
					t.Errorf("%s: public key %T, want RSA-2048", w.subject, c.PublicKey)
				}
			}
			certs[0].Subject.CommonName = "changed"
			if tc.got()[0].Subject.CommonName == "changed" {
				t.Error("a caller's change reaches the next caller")
			}
		})
	}
}

// TestMicrosoftREADME checks that the README describes every embedded file.
func TestMicrosoftREADME(t *testing.T) {
	readme, err := os.ReadFile("microsoft/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"microsoft/KEK", "microsoft/db"} {
		entries, err := fs.ReadDir(microsoftFS, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if name := strings.TrimPrefix(dir, "microsoft/") + "/" + e.Name(); !bytes.Contains(readme, []byte("### `"+name+"`")) {
				t.Errorf("microsoft/README.md does not describe %s", name)
			}
		}
	}
}
