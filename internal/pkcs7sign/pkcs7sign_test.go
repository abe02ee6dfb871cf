package pkcs7sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"strings"
	"testing"
	"time"

	"github.com/foxboron/go-uefi/pkcs7"
	"github.com/plinth-os/plinth/internal/testcert"
)

var testTime = time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC)

type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// newKeyPair makes an RSA key and a certificate for it, self-signed when
// parent is nil, else issued by parent.
func newKeyPair(t *testing.T, cn string, parent *keyPair) *keyPair {
	t.Helper()
	o := testcert.Options{NotBefore: testTime.Add(-time.Hour), NotAfter: testTime.Add(24 * time.Hour), CA: true}
	if parent != nil {
		o.Parent = &testcert.Pair{Key: parent.key, Cert: parent.cert}
	}
	p := testcert.Must(t, cn, o)
	return &keyPair{p.Key, p.Cert}
}

func typedContent(t *testing.T) Content {
	t.Helper()
	der, err := asn1.Marshal(struct {
		A int
		B []byte
	}{7, []byte("payload")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Typed(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 4}, der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignVerify(t *testing.T) {
	kp := newKeyPair(t, "signer", nil)
	data := []byte("variable name, GUID, attributes, time, data")
	tests := []struct {
		name     string
		content  Content
		opts     Options
		detached []byte
		wantTime time.Time
	}{
		{"authenticode shape", typedContent(t), Options{SigningTime: testTime}, nil, testTime.Truncate(time.Second)},
		{"data embedded", Data(data), Options{SigningTime: testTime}, nil, testTime.Truncate(time.Second)},
		{"no signing time", Data(data), Options{NoSigningTime: true}, nil, time.Time{}},
		{"no attributes", typedContent(t), Options{NoAttributes: true}, nil, time.Time{}},
		{"uefi variable shape", Data(data), Options{NoAttributes: true, Detached: true, SignedDataOnly: true}, data, time.Time{}},
		{"detached with attributes", Data(data), Options{SigningTime: testTime, Detached: true}, data, testTime.Truncate(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := Sign(tt.content, kp.key, kp.cert, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(tt.detached); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !s.ContentType.Equal(tt.content.typ) || !s.Signer.Equal(kp.cert) || !s.SigningTime.Equal(tt.wantTime) {
				t.Errorf("parsed type %v signer %q time %v", s.ContentType, s.Signer.Subject, s.SigningTime)
			}
			if tt.opts.Detached != (s.Content == nil) {
				t.Errorf("content embedded = %v, want %v", s.Content != nil, !tt.opts.Detached)
			}
			if err := s.ChainsTo([]*x509.Certificate{kp.cert}); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestGoUEFIAccepts checks our output with go-uefi's independent parser
// and signature check.
func TestGoUEFIAccepts(t *testing.T) {
	kp := newKeyPair(t, "signer", nil)
	for _, o := range []Options{{SigningTime: testTime}, {NoAttributes: true, Detached: true, SignedDataOnly: true}} {
		der, err := Sign(typedContent(t), kp.key, kp.cert, o)
		if err != nil {
			t.Fatal(err)
		}
		p, err := pkcs7.ParsePKCS7(der)
		if err != nil {
			t.Fatalf("go-uefi ParsePKCS7 (%+v): %v", o, err)
		}
		if o.NoAttributes {
			continue // go-uefi verifies only signatures over attributes
		}
		if ok, err := p.Verify(kp.cert); !ok || err != nil {
			t.Fatalf("go-uefi Verify = %v, %v", ok, err)
		}
	}
}

// TestDigestCoversContentsOctets pins RFC 2315 section 9.3: the
// messageDigest of typed content leaves out its tag and length.
func TestDigestCoversContentsOctets(t *testing.T) {
	kp := newKeyPair(t, "signer", nil)
	c := typedContent(t)
	der, err := Sign(c, kp.key, kp.cert, Options{SigningTime: testTime})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.attribute(oidMessageDigest)
	sum := sha256.Sum256(c.der[2:]) // the test content is short: a 2-byte header
	want, _ := asn1.Marshal(sum[:])
	if !bytes.Equal(got, want) {
		t.Fatalf("messageDigest = %x, want %x", got, want)
	}
}

func TestAttributesSortedAndTimeEncoding(t *testing.T) {
	kp := newKeyPair(t, "signer", nil)
	tests := []struct {
		when time.Time
		tag  int
	}{
		{testTime, asn1.TagUTCTime},
		// 23:30 on 31 December 2049 west of Greenwich is 2050 in UTC.
		{time.Date(2049, 12, 31, 23, 30, 0, 0, time.FixedZone("X", -3600)), asn1.TagGeneralizedTime},
	}
	for _, tt := range tests {
		der, err := Sign(Data([]byte("x")), kp.key, kp.cert, Options{SigningTime: tt.when})
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		var raw []asn1.RawValue
		if _, err := asn1.UnmarshalWithParams(s.attributeSet(), &raw, "set"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(raw); i++ {
			if bytes.Compare(raw[i-1].FullBytes, raw[i].FullBytes) > 0 {
				t.Errorf("attribute %d sorts before %d: SET OF not in DER order", i, i-1)
			}
		}
		v, _ := s.attribute(oidSigningTime)
		if int(v[0]) != tt.tag || !s.SigningTime.Equal(tt.when.Truncate(time.Second)) {
			t.Errorf("signingTime %v: tag %d (want %d), parsed %v", tt.when, v[0], tt.tag, s.SigningTime)
		}
	}
}

func TestDeterministic(t *testing.T) {
	kp := newKeyPair(t, "signer", nil)
	sign := func(when time.Time) []byte {
		der, err := Sign(typedContent(t), kp.key, kp.cert, Options{SigningTime: when})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	a, b := sign(testTime), sign(testTime)
	if !bytes.Equal(a, b) {
		t.Fatal("same inputs gave different bytes")
	}
	if bytes.Equal(a, sign(testTime.Add(time.Second))) {
		t.Fatal("a different signing time gave the same bytes")
	}
}

func TestVerifyRejects(t *testing.T) {
	kp := newKeyPair(t, "signer", nil)
	data := []byte("the signed data")
	embedded, _ := Sign(Data(data), kp.key, kp.cert, Options{SigningTime: testTime})
	detached, _ := Sign(Data(data), kp.key, kp.cert, Options{NoAttributes: true, Detached: true})
	tests := []struct {
		name     string
		der      []byte
		detached []byte
		want     string
	}{
		{"changed content", bytes.Replace(embedded, data, []byte("the signed dat!"), 1), nil, "messageDigest"},
		{"changed detached data", detached, []byte("the signed dat!"), "verification error"},
		{"detached not given", detached, nil, "not given"},
		{"both", embedded, data, "embedded"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.der)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if err := s.Verify(tt.detached); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Verify = %v, want error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestChainsTo(t *testing.T) {
	ca := newKeyPair(t, "ca", nil)
	leaf := newKeyPair(t, "leaf", ca)
	other := newKeyPair(t, "other", nil)
	der, err := Sign(Data([]byte("x")), leaf.key, leaf.cert, Options{SigningTime: testTime})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		roots []*x509.Certificate
		ok    bool
	}{
		{"issuer", []*x509.Certificate{ca.cert}, true},
		{"leaf itself", []*x509.Certificate{other.cert, leaf.cert}, true},
		{"unrelated", []*x509.Certificate{other.cert}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		if err := s.ChainsTo(tt.roots); (err == nil) != tt.ok {
			t.Errorf("%s: ChainsTo = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestSignErrors(t *testing.T) {
	kp := newKeyPair(t, "signer", nil)
	other := newKeyPair(t, "other", nil)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name string
		key  crypto.Signer
		opts Options
		want string
	}{
		{"no signing time", kp.key, Options{}, "signing time not set"},
		{"wrong key", other.key, Options{SigningTime: testTime}, "does not belong"},
		{"ecdsa", ec, Options{SigningTime: testTime}, "only RSA"},
		{"year out of range", kp.key, Options{SigningTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "attribute"},
	}
	for _, tt := range tests {
		if _, err := Sign(Data([]byte("x")), tt.key, kp.cert, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Sign = %v, want error containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := Typed(oidData, []byte{0x30, 0x05, 0x01}); err == nil {
		t.Error("Typed accepted truncated DER")
	}
}
