package bundle

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"slices"
	"strings"

	"github.com/plinth-os/plinth/internal/pkcs7sign"
)

// oidData is id-data (RFC 5652 section 4): the signature's content type.
var oidData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}

// Reader reads the parts of a bundle whose signature Open has checked.
type Reader struct {
	src    io.Reader
	m      *Manifest
	signer *x509.Certificate
	next   int         // index of the part Next returns next
	cur    *partReader // the part Next returned last
	err    error       // once set, every Next returns it
}

// Open reads the header, manifest and signature of the bundle r and
// checks that the signature is good and made by one of trusted, or by a
// certificate one of them issued. Only then does it parse the manifest.
// Read the parts with Next or Extract; Open reads nothing of them.
func Open(r io.Reader, trusted []*x509.Certificate) (*Reader, error) {
	manifestLen, sigLen, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	manifest, err := readFull(r, manifestLen, "manifest")
	if err != nil {
		return nil, err
	}
	sig, err := readFull(r, sigLen, "signature")
	if err != nil {
		return nil, err
	}
	signed, err := verify(manifest, sig, trusted)
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(manifest)
	if err != nil {
		return nil, err
	}
	if !signed.SigningTime.Equal(m.Built) {
		return nil, errorf(ErrFormat, "manifest: built %s, but signed at %s", m.Built, signed.SigningTime)
	}
	return &Reader{src: r, m: m, signer: signed.Signer}, nil
}

// Manifest returns a copy of the bundle's manifest, which the signature
// covers. Changing it does not change what the Reader checks.
func (r *Reader) Manifest() *Manifest {
	m := *r.m
	m.Parts = slices.Clone(m.Parts)
	return &m
}

// Signer returns the certificate that signed the bundle.
func (r *Reader) Signer() *x509.Certificate { return r.signer }

// readHeader reads the fixed header and returns the lengths it gives.
// The format version is checked before the CRC: another version may lay
// its header out differently.
func readHeader(r io.Reader) (manifestLen, sigLen int, err error) {
	b, err := readFull(r, headerSize, "header")
	if err != nil {
		return 0, 0, err
	}
	if string(b[:len(magic)]) != magic {
		return 0, 0, errorf(ErrFormat, "not a Plinth update bundle: it starts with %q, not %q", b[:len(magic)], magic)
	}
	if v := binary.BigEndian.Uint32(b[8:]); v != FormatVersion {
		return 0, 0, errorf(ErrFormat, "format version %d, this appliance reads version %d", v, FormatVersion)
	}
	if sum := binary.BigEndian.Uint32(b[20:]); sum != crc32.ChecksumIEEE(b[:20]) {
		return 0, 0, errorf(ErrFormat, "header damaged (its CRC-32 does not match)")
	}
	ml, sl := binary.BigEndian.Uint32(b[12:]), binary.BigEndian.Uint32(b[16:])
	if ml == 0 || ml > MaxManifestSize {
		return 0, 0, errorf(ErrFormat, "manifest of %d bytes, want 1 to %d", ml, MaxManifestSize)
	}
	if sl == 0 || sl > MaxSignatureSize {
		return 0, 0, errorf(ErrFormat, "signature of %d bytes, want 1 to %d", sl, MaxSignatureSize)
	}
	return int(ml), int(sl), nil
}

// readFull reads the n bytes of the named field.
func readFull(r io.Reader, n int, what string) ([]byte, error) {
	b := make([]byte, n)
	got, err := io.ReadFull(r, b)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errorf(ErrTruncated, "truncated in the %s, after %d of its %d bytes", what, got, n)
	case err != nil:
		return nil, fmt.Errorf("bundle: read %s: %w", what, err)
	}
	return b, nil
}

// verify checks the detached signature sig over manifest and returns it
// parsed if one of trusted vouches for its signer.
func verify(manifest, sig []byte, trusted []*x509.Certificate) (*pkcs7sign.Signed, error) {
	// pkcs7sign tolerates zero padding after the DER (Authenticode
	// pads); here the header gives the exact length.
	var whole asn1.RawValue
	if rest, err := asn1.Unmarshal(sig, &whole); err != nil || len(rest) != 0 {
		return nil, errorf(ErrSignature, "the signature is not one DER element of the length the header gives")
	}
	s, err := pkcs7sign.Parse(sig)
	if err != nil {
		return nil, errorf(ErrSignature, "signature: %v", err)
	}
	if !s.ContentType.Equal(oidData) {
		return nil, errorf(ErrSignature, "the signature is over content of type %v, not id-data", s.ContentType)
	}
	if err := s.Verify(manifest); err != nil {
		return nil, errorf(ErrSignature, "the manifest's signature does not verify (manifest or signature changed after signing): %v", err)
	}
	if err := s.ChainsTo(trusted); err != nil {
		return nil, errorf(ErrUntrusted, "signed by %s, which this appliance does not trust (it trusts %s)", s.Signer.Subject, names(trusted))
	}
	if err := checkCanonical(manifest, sig, s); err != nil {
		return nil, err
	}
	return s, nil
}

// checkCanonical requires sig to be exactly what Write makes for this
// manifest, signer and signing time. CMS leaves some fields outside the
// signature (the SignedData's list of digest algorithms, the parameters
// of algorithm identifiers, the SignerInfo version); pkcs7sign.Verify
// does not look at them, so without this check they could be changed
// and the bundle still accepted. Sign is deterministic, so rebuilding the
// signature with the signature value sig carries (the last bytes of a
// SignedData without unsigned attributes) must give sig again; Sign also
// checks that value against the rebuilt attributes.
func checkCanonical(manifest, sig []byte, s *pkcs7sign.Signed) error {
	pub := s.Signer.PublicKey.(*rsa.PublicKey) // Verify accepts only RSA
	value := sig[max(0, len(sig)-pub.Size()):]
	again, err := pkcs7sign.Sign(pkcs7sign.Data(manifest), replaySigner{pub, value}, s.Signer,
		pkcs7sign.Options{SigningTime: s.SigningTime, Detached: true})
	if err != nil || !bytes.Equal(again, sig) {
		return errorf(ErrSignature, "the signature verifies but is not encoded as a bundle's signature is (changed after signing?)")
	}
	return nil
}

// replaySigner is a crypto.Signer that returns a signature value it was
// given, to rebuild a SignedData.
type replaySigner struct {
	pub   *rsa.PublicKey
	value []byte
}

func (r replaySigner) Public() crypto.PublicKey { return r.pub }

func (r replaySigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return r.value, nil
}

// names lists the subjects of certs for an error message.
func names(certs []*x509.Certificate) string {
	if len(certs) == 0 {
		return "no update key at all"
	}
	s := make([]string, len(certs))
	for i, c := range certs {
		s[i] = c.Subject.String()
	}
	return strings.Join(s, "; ")
}

// Next returns the next part: its manifest entry and a reader of its
// bytes. The reader returns an error instead of io.EOF at the end if the
// bytes are not the ones the manifest names (ErrPart), and an error if
// the stream ends first (ErrTruncated). So a part copied to a staging
// file is good only once that copy ended without an error; only then may
// it be made live.
//
// Next skips (and checks) what the caller left unread of the previous
// part. After the last part it checks that nothing follows and returns
// io.EOF: every part was good. Once Next or a part's reader returned an
// error, Next returns it again.
func (r *Reader) Next() (PartInfo, io.Reader, error) {
	if r.err != nil {
		return PartInfo{}, nil, r.err
	}
	if r.cur != nil {
		if _, err := io.Copy(io.Discard, r.cur); err != nil {
			r.err = err
			return PartInfo{}, nil, err
		}
	}
	if r.next == len(r.m.Parts) {
		r.err = r.checkEnd()
		return PartInfo{}, nil, r.err
	}
	info := r.m.Parts[r.next]
	r.next++
	r.cur = &partReader{src: r.src, info: info, left: info.Size, h: sha256.New()}
	return info, r.cur, nil
}

// checkEnd returns io.EOF if the stream ends after the last part.
func (r *Reader) checkEnd() error {
	var b [1]byte
	n, err := io.ReadFull(r.src, b[:])
	switch {
	case n > 0:
		return errorf(ErrFormat, "data after the last part")
	case err == io.EOF:
		return io.EOF
	}
	return fmt.Errorf("bundle: read after the last part: %w", err)
}

// Extract writes every part to the writer dst returns for it, typically
// a staging file, and closes that writer (also after an error). It returns
// nil only when every part was good and nothing followed the last one; on
// an error, the caller must discard what was written.
func (r *Reader) Extract(dst func(PartInfo) (io.WriteCloser, error)) error {
	for {
		info, part, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := extractPart(info, part, dst); err != nil {
			return err
		}
	}
}

func extractPart(info PartInfo, part io.Reader, dst func(PartInfo) (io.WriteCloser, error)) error {
	w, err := dst(info)
	if err != nil {
		return fmt.Errorf("bundle: part %q: %w", info.Name, err)
	}
	_, err = io.Copy(labelled{w, info.Name}, part)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("bundle: part %q: close: %w", info.Name, cerr)
	}
	return err
}

// labelled names the part in the errors of its writer, so that Extract's
// errors say whether reading or writing failed.
type labelled struct {
	w    io.Writer
	name string
}

func (l labelled) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err != nil {
		err = fmt.Errorf("bundle: part %q: write: %w", l.name, err)
	}
	return n, err
}

// partReader reads one part and checks it at its end.
type partReader struct {
	src  io.Reader
	info PartInfo
	left int64
	h    hash.Hash
	err  error // io.EOF once the part was read and good
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.left == 0 {
		p.err = p.check()
		return 0, p.err
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, err := p.src.Read(b)
	p.h.Write(b[:n])
	p.left -= int64(n)
	switch {
	case p.left == 0:
		// Give the verdict with the last bytes too, for a caller that
		// stops calling Read once it has Size bytes (io.ReadFull drops
		// it; Next returns it again).
		if p.err = p.check(); p.err != io.EOF {
			return n, p.err
		}
		return n, nil
	case errors.Is(err, io.EOF):
		p.err = errorf(ErrTruncated, "truncated in part %q, after %d of its %d bytes", p.info.Name, p.info.Size-p.left, p.info.Size)
	case err != nil:
		p.err = fmt.Errorf("bundle: read part %q: %w", p.info.Name, err)
	}
	return n, p.err
}

// check returns io.EOF if the part has its manifest's SHA-256.
func (p *partReader) check() error {
	if got := Digest(p.h.Sum(nil)); got != p.info.SHA256 {
		return errorf(ErrPart, "part %q has SHA-256 %s, the manifest says %s: the bundle is damaged or was changed after signing", p.info.Name, got, p.info.SHA256)
	}
	return io.EOF
}
