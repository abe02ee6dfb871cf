package sbkeys

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Key sizes Load accepts, in bits; see the package documentation for why.
const (
	minBits = 2048
	maxBits = 4096
)

// errEncrypted marks a key Load cannot use without a passphrase.
var errEncrypted = errors.New("encrypted")

// isPEM tells PEM from DER: DER never holds the armour line.
func isPEM(b []byte) bool { return bytes.Contains(b, []byte("-----BEGIN ")) }

// readCert reads the one certificate of a PEM or DER file.
func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	der, err := certDER(b)
	if err != nil {
		return nil, fmt.Errorf("certificate %s %w", path, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate %s is not an X.509 certificate in PEM or DER form (%v): put the key's certificate there", path, err)
	}
	return c, nil
}

// certDER returns the DER of the file's certificate; its errors complete
// the sentence "certificate FILE ...".
func certDER(b []byte) ([]byte, error) {
	if !isPEM(b) {
		return b, nil
	}
	var certs [][]byte
	var other []string
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			certs = append(certs, blk.Bytes)
		} else {
			other = append(other, blk.Type)
		}
	}
	switch {
	case len(certs) == 1:
		return certs[0], nil
	case len(certs) > 1:
		return nil, fmt.Errorf("holds %d certificates: keep only this key's own certificate in it", len(certs))
	case len(other) > 0:
		return nil, fmt.Errorf("holds no certificate, only %s: a private key belongs in a file named as the package documentation says (PK.key, PK.key.pem, PK.key.der)", strings.Join(other, ", "))
	default:
		return nil, errors.New("holds no readable PEM block: put the key's certificate there, PEM or DER")
	}
}

// readKey reads an RSA private key of a PEM or DER file, PKCS#8 or PKCS#1.
func readKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(b)
	if errors.Is(err, errEncrypted) {
		return nil, fmt.Errorf("private key %s is encrypted, which Plinth does not support: decrypt it into a file only you can read "+
			"(openssl pkey -in %s -out %s.plain, chmod 600, and move it into place) and keep the key set itself in a secret store", path, path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %w", path, err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key %s is %s, not RSA: Plinth signs with RSA and SHA-256, which all UEFI firmware verifies: use an RSA-2048 key", path, keyType(key))
	}
	if bits := rk.N.BitLen(); bits < minBits || bits > maxBits {
		return nil, fmt.Errorf("private key %s is RSA-%d: use RSA of %d to %d bits (UEFI firmware verifies RSA-2048; fewer bits are too weak, and not all firmware verifies more than %d)",
			path, bits, minBits, maxBits, maxBits)
	}
	return rk, nil
}

// parsePrivateKey returns the key of a PEM or DER file; its errors other
// than errEncrypted complete the sentence "FILE ...".
func parsePrivateKey(b []byte) (any, error) {
	der := b
	if isPEM(b) {
		blk, err := keyBlock(b)
		if err != nil {
			return nil, err
		}
		der = blk.Bytes
	}
	k, err8 := x509.ParsePKCS8PrivateKey(der)
	if err8 == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if isEncryptedPKCS8(der) {
		return nil, errEncrypted
	}
	return nil, fmt.Errorf("is not a private key in PEM or DER form, PKCS#8 or PKCS#1 (%v): put the certificate's RSA private key there", err8)
}

// keyBlock returns the first private key block of a PEM file.
func keyBlock(b []byte) (*pem.Block, error) {
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			return nil, errors.New("holds no PEM private key block: put the certificate's RSA private key there")
		}
		if !strings.HasSuffix(blk.Type, "PRIVATE KEY") {
			continue
		}
		// PKCS#8 encryption changes the block type, OpenSSL's traditional
		// encryption of PKCS#1 adds a Proc-Type header.
		if blk.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(blk.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, errEncrypted
		}
		return blk, nil
	}
}

// isEncryptedPKCS8 reports whether der is a PKCS#8 EncryptedPrivateKeyInfo
// (RFC 5958 section 3) with a password-based scheme of PKCS#5 or PKCS#12,
// which is what `openssl pkcs8 -topk8 -outform DER` writes.
func isEncryptedPKCS8(der []byte) bool {
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil || len(rest) != 0 {
		return false
	}
	oid := info.Algorithm.Algorithm.String()
	return strings.HasPrefix(oid, "1.2.840.113549.1.5.") || strings.HasPrefix(oid, "1.2.840.113549.1.12.1.")
}

func keyType(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey, *ecdh.PrivateKey:
		return "an elliptic-curve key"
	case ed25519.PrivateKey:
		return "an Ed25519 key"
	default:
		return fmt.Sprintf("a %T", k)
	}
}
