package main

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/product"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/updatekey"
)

// newUpdateKey writes a fresh update key for product into dir and says
// plainly what holding it means.
func newUpdateKey(dir, productName string, out io.Writer) error {
	k, err := updatekey.Generate(dir, productName, time.Now(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "mkiso: wrote an update key to %s:\n  %s  %s\n  %s  private key\n\n%s\n\nBuild with: mkiso -update-key %s (or updates: key: in plinth.yaml)\n",
		dir, updatekey.CertFile, k.Cert.Subject, updatekey.KeyFile, updatekey.Warning, dir)
	return nil
}

// newKeyFiles makes the key set and the update key the flags ask for.
func newKeyFiles(cfg config, out io.Writer) error {
	if cfg.NewKeysDir != "" {
		if err := newKeys(cfg.NewKeysDir, cfg.Product, out); err != nil {
			return err
		}
	}
	if cfg.NewUpdateKeyDir != "" {
		return newUpdateKey(cfg.NewUpdateKeyDir, cfg.Product, out)
	}
	return nil
}

// generatingKeys reports whether this run only makes keys: the keys the
// flags and plinth.yaml name may not exist yet, and are not loaded.
func (cfg *config) generatingKeys() bool {
	return cfg.NewKeysDir != "" || cfg.NewUpdateKeyDir != ""
}

// resolveUpdates takes updates: from plinth.yaml (or the defaults), lets
// -update-channel win, reads the CA file and loads the update key:
// -update-key, else updates: key:.
func resolveUpdates(cfg *config, raw rawFlags) error {
	cfg.Updates = product.Updates{CheckInterval: product.DefaultCheckInterval, CommitAfter: product.DefaultCommitAfter, TrialTimeout: product.DefaultTrialTimeout}
	if cfg.ProductFile != nil {
		cfg.Updates = cfg.ProductFile.Updates
	}
	if raw.updateChannel != "" {
		if err := product.CheckChannel(raw.updateChannel); err != nil {
			return fmt.Errorf("-update-channel: %w", err)
		}
		cfg.Updates.Channel = raw.updateChannel
	}
	if ca := cfg.Updates.CA; ca != "" {
		b, err := os.ReadFile(filepath.Join(cfg.ProductDir, filepath.FromSlash(ca)))
		if err != nil {
			return fmt.Errorf("%s updates.ca: %w", product.FileName, err)
		}
		cfg.UpdateCA = b
	}
	if err := loadUpdateKey(cfg, raw); err != nil {
		return err
	}
	return checkMinVersion(cfg)
}

// loadUpdateKey loads -update-key, else plinth.yaml's updates: key:.
// The certificate must be valid now, when the bundle is signed.
func loadUpdateKey(cfg *config, raw rawFlags) error {
	dir, source := raw.updateKeyDir, "-update-key"
	if dir == "" && cfg.ProductFile != nil && cfg.Updates.Key != "" {
		dir, source = cfg.Updates.Key, product.FileName+" updates.key"
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.ProductDir, filepath.FromSlash(dir))
		}
	}
	if dir == "" {
		return nil
	}
	k, err := updatekey.Load(dir, time.Now())
	if errors.Is(err, updatekey.ErrMissing) {
		return fmt.Errorf("%s: %w. mkiso -new-update-key %s makes one", source, err, dir)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	cfg.UpdateKey = k
	return nil
}

// checkMinVersion refuses, before anything is built, a min-version the
// bundle could not carry: one newer than this build, or one this
// build's version cannot be compared with.
func checkMinVersion(cfg *config) error {
	oldest := cfg.Updates.MinVersion
	if oldest == "" || cfg.bundleCert() == nil {
		return nil
	}
	c, err := bundle.CompareVersions(oldest, cfg.Version)
	switch {
	case err != nil:
		return fmt.Errorf("%s updates.min-version: this build's version cannot be compared with %s (%v): give -version or tag the commit", product.FileName, oldest, err)
	case c > 0:
		return fmt.Errorf("%s updates.min-version: %s is newer than this build's version %s: no machine could install its bundle", product.FileName, oldest, cfg.Version)
	}
	return nil
}

// bundleSigner returns the key that signs update bundles and its
// certificate: the update key, else the Secure Boot db key (whoever may
// sign what the machines boot may sign their updates); nil without
// either.
func (cfg *config) bundleSigner() (crypto.Signer, *x509.Certificate) {
	switch {
	case cfg.UpdateKey != nil:
		return cfg.UpdateKey.Signer, cfg.UpdateKey.Cert
	case cfg.Keys != nil:
		return cfg.Keys.DB.Signer, cfg.Keys.DB.Cert
	}
	return nil, nil
}

// bundleCert is the certificate the runtime trusts for bundles; nil:
// there are no bundles.
func (cfg *config) bundleCert() *x509.Certificate {
	_, cert := cfg.bundleSigner()
	return cert
}

// signerWord says in the build log which key signed the bundle.
func (cfg *config) signerWord() string {
	if cfg.UpdateKey != nil {
		return "signed by the update key " + cfg.UpdateKey.Cert.Subject.CommonName
	}
	return "signed by the Secure Boot db key " + cfg.Keys.DB.Cert.Subject.CommonName + " (-update-key gives updates a key of their own)"
}

// updatesSpec is how the runtime takes updates: the certificate that
// signs its bundles (none: every bundle is refused), the channel and
// the trial's times.
func updatesSpec(cfg config) productspec.Updates {
	u := cfg.Updates
	out := productspec.Updates{
		Channel: u.Channel, CheckInterval: productspec.Duration(u.CheckInterval), CA: string(cfg.UpdateCA),
		CommitAfter: productspec.Duration(u.CommitAfter), TrialTimeout: productspec.Duration(u.TrialTimeout),
	}
	if cert := cfg.bundleCert(); cert != nil {
		out.Certificates = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	}
	return out
}
