package bundle

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/plinth-os/plinth/internal/pkcs7sign"
)

// magic starts every bundle.
const magic = "PLBUNDLE"

// headerSize is the length of the fixed header.
const headerSize = 24

// Part is one part for Write: Size bytes of Data, from offset 0. Write
// reads each part twice, once to hash it for the manifest (which comes
// before the parts) and once to copy it, so Data is an io.ReaderAt: an
// *os.File, a *bytes.Reader, an *io.SectionReader.
type Part struct {
	Name string
	Size int64
	Data io.ReaderAt
}

// Write writes a bundle of parts, in that order, to w, with the manifest
// m signed by key, whose certificate is cert (RSA; see package
// pkcs7sign). m gives the product, version, build time and minimum
// version; Write sets its format and parts. The same arguments give the
// same bytes: nothing depends on the clock or on randomness.
//
// If a part's data changes while Write copies it, Write fails: the
// manifest already written would not match. w then holds a partial
// bundle that readers refuse.
func Write(w io.Writer, m Manifest, parts []Part, key crypto.Signer, cert *x509.Certificate) error {
	m.Format = FormatVersion
	m.Built = m.Built.UTC().Truncate(time.Second)
	var err error
	if m.Parts, err = hashParts(parts); err != nil {
		return err
	}
	if err := m.check(); err != nil {
		return err // already says which field of the manifest is wrong
	}
	manifest, sig, err := signedManifest(&m, key, cert)
	if err != nil {
		return err
	}
	for _, b := range [][]byte{header(len(manifest), len(sig)), manifest, sig} {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("bundle: write: %w", err)
		}
	}
	for i, p := range parts {
		if err := copyPart(w, p, m.Parts[i]); err != nil {
			return err
		}
	}
	return nil
}

// hashParts reads each part to fill in its manifest entry.
func hashParts(parts []Part) ([]PartInfo, error) {
	infos := make([]PartInfo, len(parts))
	for i, p := range parts {
		if p.Data == nil || p.Size < 0 {
			return nil, fmt.Errorf("bundle: write: part %q: no data, or a negative size", p.Name)
		}
		h := sha256.New()
		if err := copyN(h, p); err != nil {
			return nil, err
		}
		infos[i] = PartInfo{Name: p.Name, Size: p.Size, SHA256: Digest(h.Sum(nil))}
	}
	return infos, nil
}

// copyN copies exactly p.Size bytes of p to w.
func copyN(w io.Writer, p Part) error {
	n, err := io.Copy(w, io.NewSectionReader(p.Data, 0, p.Size))
	if err == nil && n != p.Size {
		err = fmt.Errorf("%d bytes of %d", n, p.Size)
	}
	if err != nil {
		return fmt.Errorf("bundle: write: part %q: %w", p.Name, err)
	}
	return nil
}

// signedManifest returns the manifest's JSON and its detached signature.
func signedManifest(m *Manifest, key crypto.Signer, cert *x509.Certificate) ([]byte, []byte, error) {
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: write: manifest: %w", err)
	}
	manifest = append(manifest, '\n')
	if len(manifest) > MaxManifestSize {
		return nil, nil, fmt.Errorf("bundle: write: manifest of %d bytes, at most %d", len(manifest), MaxManifestSize)
	}
	sig, err := pkcs7sign.Sign(pkcs7sign.Data(manifest), key, cert, pkcs7sign.Options{SigningTime: m.Built, Detached: true})
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: write: sign manifest: %w", err)
	}
	if len(sig) > MaxSignatureSize {
		return nil, nil, fmt.Errorf("bundle: write: signature of %d bytes, at most %d (a certificate that large?)", len(sig), MaxSignatureSize)
	}
	return manifest, sig, nil
}

// header returns the fixed header (see the package documentation).
func header(manifestLen, sigLen int) []byte {
	b := make([]byte, 0, headerSize)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint32(b, FormatVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(manifestLen))
	b = binary.BigEndian.AppendUint32(b, uint32(sigLen))
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// copyPart copies a part to w and checks that it still has the SHA-256
// its manifest entry got from hashParts.
func copyPart(w io.Writer, p Part, info PartInfo) error {
	h := sha256.New()
	if err := copyN(io.MultiWriter(w, h), p); err != nil {
		return err
	}
	if Digest(h.Sum(nil)) != info.SHA256 {
		return fmt.Errorf("bundle: write: part %q changed while the bundle was written", p.Name)
	}
	return nil
}
