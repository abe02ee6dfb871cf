package sbkeys

import (
	"crypto/x509"
	"embed"
	"fmt"
	"io/fs"
	"path"

	"github.com/plinth-os/plinth/internal/guid"
)

//go:generate go run ./internal/mscerts -vars /usr/share/OVMF/OVMF_VARS_4M.ms.fd -out microsoft

// microsoftFS holds Microsoft's UEFI certificates as Debian's OVMF enrolls
// them; microsoft/README.md says where from and what each is for.
//
//go:embed microsoft/KEK/*.der microsoft/db/*.der
var microsoftFS embed.FS

// MicrosoftOwner is the SignatureOwner GUID Microsoft's certificates are
// enrolled under (EDK2's gMicrosoftVendorGuid, as in Debian's OVMF and in
// firmware shipped with Microsoft's keys): enroll MicrosoftKEK and
// MicrosoftDB under it, so that tools that list owners recognise them.
func MicrosoftOwner() guid.GUID { return guid.MustParse("77fa9abd-0359-4d32-bd60-28f4e78f784b") }

// MicrosoftKEK returns Microsoft's key-exchange key certificates (they sign
// updates to db and dbx), in file name order.
func MicrosoftKEK() []*x509.Certificate { return microsoftCerts("KEK") }

// MicrosoftDB returns the certificates Microsoft's signed images chain to:
// the Windows Production PCA (Windows boot) and the UEFI CA (third-party
// option ROMs such as GPUs', and shim), in file name order.
func MicrosoftDB() []*x509.Certificate { return microsoftCerts("db") }

// microsoftCerts parses the certificates afresh on each call, so that no
// caller can change what another one gets.
func microsoftCerts(variable string) []*x509.Certificate {
	dir := path.Join("microsoft", variable)
	entries, err := fs.ReadDir(microsoftFS, dir)
	if err != nil {
		panic(fmt.Sprintf("sbkeys: embedded %s: %v", dir, err)) // the tests read every file
	}
	certs := make([]*x509.Certificate, 0, len(entries))
	for _, e := range entries {
		der, err := microsoftFS.ReadFile(path.Join(dir, e.Name()))
		if err == nil {
			var c *x509.Certificate
			c, err = x509.ParseCertificate(der)
			certs = append(certs, c)
		}
		if err != nil {
			panic(fmt.Sprintf("sbkeys: embedded %s/%s: %v", dir, e.Name(), err))
		}
	}
	return certs
}
