package bundle_test

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/plinth-os/plinth/internal/bundle"
)

// An appliance takes an update: check the signature and that the update
// applies before reading the parts, stage every part, and make nothing
// live unless Extract returned nil.
func ExampleOpen() {
	var trusted []*x509.Certificate // built into the runtime
	f, err := os.Open("/media/usb/acme-db-v2.0.0.plinth")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	br, err := bundle.Open(f, trusted)
	if err != nil {
		fmt.Println(err) // e.g. signed by CN=..., which this appliance does not trust
		return
	}
	if err := br.Manifest().CheckUpdate("Acme DB", "v1.9.0"); err != nil {
		fmt.Println(err)
		return
	}
	staging := "/data/.update"
	err = br.Extract(func(p bundle.PartInfo) (io.WriteCloser, error) {
		return os.Create(filepath.Join(staging, p.Name)) // names are safe as file names
	})
	if err != nil {
		fmt.Println(err) // discard the staging directory
		return
	}
	// Every part is good: copy runtime.efi into the inactive slot.
}
