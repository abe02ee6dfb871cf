package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/updatechannel"
)

// channelFile is the channel file mkiso writes beside each bundle.
const channelFile = "channel.json"

// bundlePath is where the update bundle of this build goes: beside the
// ISO, named after the product and version.
func (b *isoBuild) bundlePath() string {
	return filepath.Join(filepath.Dir(b.cfg.ISOPath), bundle.FileName(b.cfg.Product, b.cfg.Version))
}

// channelPath is where the channel file goes: beside the bundle, which
// it names by a relative URL, so the directory can be served as it is.
func (b *isoBuild) channelPath() string {
	return filepath.Join(filepath.Dir(b.cfg.ISOPath), channelFile)
}

// writeBundle writes the signed update bundle of the runtime UKI and
// the channel file that offers it. Without a key to sign with there is
// neither.
func (b *isoBuild) writeBundle(context.Context) (string, error) {
	key, cert := b.cfg.bundleSigner()
	if key == nil {
		return "no update bundle: updates are off, no key was given to sign them (-update-key or updates: key: in plinth.yaml, made by mkiso -new-update-key DIR; else the Secure Boot db key signs)", nil
	}
	var out bytes.Buffer
	m := bundle.Manifest{Product: b.cfg.Product, Version: b.cfg.Version, Built: b.cfg.Epoch, MinVersion: b.cfg.Updates.MinVersion}
	parts := []bundle.Part{{Name: bundle.PartRuntime, Size: int64(len(b.runtimeEFI)), Data: bytes.NewReader(b.runtimeEFI)}}
	if err := bundle.Write(&out, m, parts, key, cert); err != nil {
		return "", fmt.Errorf("update bundle: %w", err)
	}
	if err := writeFileAtomic(b.bundlePath(), out.Bytes()); err != nil {
		return "", err
	}
	if err := b.writeChannel(out.Bytes()); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, %s -> %s, %s", mib(out.Len()), b.cfg.signerWord(), b.bundlePath(), channelFile), nil
}

// writeChannel writes the channel file for the bundle whose bytes are
// data.
func (b *isoBuild) writeChannel(data []byte) error {
	sum := sha256.Sum256(data)
	ch, err := updatechannel.Marshal(updatechannel.Channel{
		Product: b.cfg.Product, Version: b.cfg.Version,
		URL: filepath.Base(b.bundlePath()), Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return fmt.Errorf("channel file: %w", err)
	}
	return writeFileAtomic(b.channelPath(), ch)
}

// bundleOutputs lists the bundle and its channel file for SHA256SUMS
// when this build made them.
func (b *isoBuild) bundleOutputs() []string {
	if b.cfg.bundleCert() == nil {
		return nil
	}
	return []string{b.bundlePath(), b.channelPath()}
}
