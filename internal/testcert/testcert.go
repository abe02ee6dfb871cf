// Package testcert makes RSA keys and X.509 certificates for the tests
// of the signing packages (pkcs7sign, authenticode, efiauth, bundle): one
// place that knows how, each test saying only what its certificate needs.
package testcert

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// Options say what a certificate needs beyond a name.
type Options struct {
	NotBefore, NotAfter time.Time // validity
	CA                  bool      // a CA: IsCA and KeyUsageCertSign
	Parent              *Pair     // the issuer; nil: self-signed
	Organization        []string
	ExtKeyUsage         []x509.ExtKeyUsage
}

// Pair is an RSA-2048 private key and its certificate.
type Pair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// New makes a key and a certificate for it named cn.
func New(cn string, o Options) (*Pair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: o.Organization},
		NotBefore:    o.NotBefore, NotAfter: o.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: o.ExtKeyUsage,
	}
	if o.CA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if o.Parent != nil {
		issuer, signer = o.Parent.Cert, o.Parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Pair{key, cert}, nil
}

// Must is New for a test, which it fails on an error.
func Must(tb testing.TB, cn string, o Options) *Pair {
	tb.Helper()
	p, err := New(cn, o)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
