package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plinth-os/plinth/internal/bundle"
)

// bundlePath is where the update bundle of this build goes: beside the
// ISO, named after the product and version.
func (b *isoBuild) bundlePath() string {
	return filepath.Join(filepath.Dir(b.cfg.ISOPath), bundle.FileName(b.cfg.Product, b.cfg.Version))
}

// writeBundle writes the signed update bundle of the runtime UKI. It is
// signed with the db key: whoever may sign what these machines boot may
// sign their updates. Without keys there is no bundle.
func (b *isoBuild) writeBundle(context.Context) (string, error) {
	if b.cfg.Keys == nil {
		return "no update bundle: it is signed with the Secure Boot db key (-secureboot-keys)", nil
	}
	var out bytes.Buffer
	m := bundle.Manifest{Product: b.cfg.Product, Version: b.cfg.Version, Built: b.cfg.Epoch}
	parts := []bundle.Part{{Name: bundle.PartRuntime, Size: int64(len(b.runtimeEFI)), Data: bytes.NewReader(b.runtimeEFI)}}
	if err := bundle.Write(&out, m, parts, b.cfg.Keys.DB.Signer, b.cfg.Keys.DB.Cert); err != nil {
		return "", fmt.Errorf("update bundle: %w", err)
	}
	if err := writeFileAtomic(b.bundlePath(), out.Bytes()); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s -> %s", mib(out.Len()), b.bundlePath()), nil
}

// bundleOutputs lists the bundle for SHA256SUMS when there is one.
func (b *isoBuild) bundleOutputs() []string {
	if _, err := os.Stat(b.bundlePath()); b.cfg.Keys == nil || err != nil {
		return nil
	}
	return []string{b.bundlePath()}
}
