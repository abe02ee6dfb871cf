package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/authenticode"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/sbkeys"
)

// defaultShimDir is where Debian's shim-signed and
// shim-helpers-amd64-signed put shim and MokManager.
const defaultShimDir = "/usr/lib/shim"

// shimChain is the Microsoft-signed shim and its MokManager that the
// media and installed disks boot through (-shim).
type shimChain struct {
	Shim, MokManager []byte
	Dir              string
}

// resolveShim loads the shim chain when -shim or plinth.yaml's
// secure-boot: shim asks for it. shim starts only second stages it can
// verify, so the images must be signed.
func resolveShim(cfg *config, raw rawFlags) error {
	want := raw.shim || (cfg.ProductFile != nil && cfg.ProductFile.SecureBoot.Shim)
	if !want {
		return nil
	}
	if cfg.Keys == nil {
		return errors.New("-shim: shim starts only a signed second stage: give -secureboot-keys (or secure-boot: keys: in plinth.yaml)")
	}
	dir := raw.shimDir
	shim, err := readEFI(dir, bootchain.ShimName)
	if err != nil {
		return err
	}
	if err := authenticode.Verify(shim, sbkeys.MicrosoftDB()...); err != nil {
		return fmt.Errorf("-shim: %s is not signed by Microsoft's UEFI CA, so Microsoft-only firmware would refuse it: %w", filepath.Join(dir, bootchain.ShimName), err)
	}
	mm, err := readEFI(dir, bootchain.MokManagerName)
	if err != nil {
		return err
	}
	if err := authenticode.Verify(mm, sbkeys.MicrosoftDB()...); errors.Is(err, authenticode.ErrNotSigned) {
		return fmt.Errorf("-shim: %s is not signed: shim would refuse to start it", filepath.Join(dir, bootchain.MokManagerName))
	}
	cfg.Shim = &shimChain{Shim: shim, MokManager: mm, Dir: dir}
	return nil
}

// readEFI reads name from dir, as Debian ships it (name.signed) or plain.
func readEFI(dir, name string) ([]byte, error) {
	var errs []error
	for _, n := range []string{name + ".signed", name} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("-shim: no %s in %s (apt-get install shim-signed shim-helpers-amd64-signed, or give -shim-dir): %w", name, dir, errors.Join(errs...))
}

// shimCertName is the file on the media's ESP that the operator picks in
// MokManager's "Enroll key from disk": the db certificate, DER, at the
// root where it is the first thing the file browser shows.
func shimCertName(product string) string {
	return "enroll-" + appconfig.HostnamePrefix(product) + "-key.cer"
}

// shimESPFiles are the media's removable-media files with the shim
// chain: shim as BOOTX64.EFI, the installer UKI at shim's default second
// stage, MokManager beside them, and the certificate to enroll.
func (b *isoBuild) shimESPFiles() map[string][]byte {
	files := map[string][]byte{}
	for _, f := range (bootchain.Chain{Shim: true}).Fallback() {
		switch f.Binary {
		case bootchain.Shim:
			files[f.Path] = b.cfg.Shim.Shim
		case bootchain.MokManager:
			files[f.Path] = b.cfg.Shim.MokManager
		case bootchain.RuntimeUKI:
			files[f.Path] = b.installerEFI
		}
	}
	files[shimCertName(b.cfg.Product)] = b.cfg.Keys.DB.CertDER
	return files
}
