package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/authenticode"
	"github.com/plinth-os/plinth/internal/efiauth"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/sbkeys"
)

// newKeys writes a fresh Secure Boot key set for product into dir and
// says plainly what holding it means.
func newKeys(dir, product string, out io.Writer) error {
	set, err := sbkeys.Generate(dir, product, time.Now(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "mkiso: wrote a Secure Boot key set to %s:\n  PK  %s\n  KEK %s\n  db  %s\n\n%s\n\nBuild with: mkiso -secureboot-keys %s (or secure-boot: keys: in plinth.yaml)\n",
		dir, set.PK.Cert.Subject, set.KEK.Cert.Subject, set.DB.Cert.Subject, sbkeys.Warning, dir)
	return nil
}

// resolveKeys loads the key set to sign with, if any: -secureboot-keys,
// else plinth.yaml's secure-boot: keys. Certificates must be valid now,
// when the images are made.
func resolveKeys(cfg *config, raw rawFlags) error {
	dir := raw.keysDir
	if dir == "" && cfg.ProductFile != nil && cfg.ProductFile.SecureBoot.Keys != "" {
		dir = cfg.ProductFile.SecureBoot.Keys
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.ProductDir, filepath.FromSlash(dir))
		}
	}
	if dir == "" {
		return refuseRequire(cfg)
	}
	set, err := sbkeys.Load(dir, time.Now())
	if err != nil {
		return fmt.Errorf("-secureboot-keys: %w", err)
	}
	cfg.Keys = set
	return nil
}

// sign signs an EFI binary with the db key when the build has keys; the
// signing time is the build's epoch, so the bytes stay reproducible.
func (b *isoBuild) sign(efi []byte) ([]byte, error) {
	if b.cfg.Keys == nil {
		return efi, nil
	}
	signed, err := authenticode.Sign(efi, b.cfg.Keys.DB.Signer, b.cfg.Keys.DB.Cert, b.cfg.Epoch)
	if err != nil {
		return nil, fmt.Errorf("secure boot: sign: %w", err)
	}
	return signed, nil
}

// signedWord says in the build log whether a binary was signed.
func (b *isoBuild) signedWord() string {
	if b.cfg.Keys == nil {
		return "unsigned"
	}
	return "signed by " + b.cfg.Keys.DB.Cert.Subject.CommonName
}

// enrollmentFiles are what the installer enrolls and what firmware menus
// and fleet tools take: the signed .auth updates (with and without
// Microsoft's CAs) and our certificates, by file name. No private key
// is among them.
func enrollmentFiles(cfg config) (map[string][]byte, error) {
	if cfg.Keys == nil {
		return nil, nil
	}
	k := cfg.Keys
	files, err := efiauth.Enrollment(efiauth.Keys{
		PK:       efiauth.KeyPair{Key: k.PK.Signer, Cert: k.PK.Cert},
		KEK:      efiauth.KeyPair{Key: k.KEK.Signer, Cert: k.KEK.Cert},
		DB:       k.DB.Cert,
		ExtraKEK: sbkeys.MicrosoftKEK(), ExtraDB: sbkeys.MicrosoftDB(),
		Owner: k.Owner(), ExtraOwner: sbkeys.MicrosoftOwner(),
		Time: cfg.Epoch,
	})
	if err != nil {
		return nil, fmt.Errorf("secure boot: enrollment files: %w", err)
	}
	out := files.Named()
	out[sbenroll.PKCertFile], out[sbenroll.KEKCertFile], out[sbenroll.DBCertFile] = k.PK.CertDER, k.KEK.CertDER, k.DB.CertDER
	return out, nil
}

// prepareKeys makes the enrollment files and writes them to out/keys/.
func (b *isoBuild) prepareKeys(context.Context) (string, error) {
	files, err := enrollmentFiles(b.cfg)
	if err != nil || files == nil {
		return "not signing: no Secure Boot keys", err
	}
	b.keyFiles = files
	dir := filepath.Join(filepath.Dir(b.cfg.ISOPath), "keys")
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("PK, KEK, db (+ Microsoft's %d KEK and %d db certificates) -> %s", len(sbkeys.MicrosoftKEK()), len(sbkeys.MicrosoftDB()), dir), nil
}

// keyFilesAt places the enrollment files under dir (an absolute path in
// an image), for the installer or the media.
func (b *isoBuild) keyFilesAt(dir string) map[string][]byte {
	out := map[string][]byte{}
	for name, data := range b.keyFiles {
		out[path.Join(dir, name)] = data
	}
	return out
}

// refuseRequire stops a build whose embedded answers demand Secure Boot
// (secure-boot: require) without keys to sign with: every install of it
// would fail.
func refuseRequire(cfg *config) error {
	if cfg.Answers == nil {
		return nil
	}
	a, err := answers.Parse(cfg.Answers)
	if err == nil && a.SecureBootPolicy() == answers.SecureBootRequire {
		return errors.New("the embedded answers say secure-boot: require, but the images are not signed: give -secureboot-keys (or secure-boot: keys: in plinth.yaml), or change the answers")
	}
	return nil
}
