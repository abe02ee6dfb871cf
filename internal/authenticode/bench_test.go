package authenticode

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/plinth-os/plinth/uki"
)

// BenchmarkSignUKI signs a UKI the size of an installer carrying etcd
// (20 MiB): the time mkiso adds per signed binary.
func BenchmarkSignUKI(b *testing.B) {
	stub, err := os.ReadFile(debianStub)
	if err != nil {
		b.Fatalf("systemd-stub is required (apt-get install -y systemd-boot-efi): %v", err)
	}
	big20 := make([]byte, 20<<20)
	rand.Read(big20)
	img, err := uki.Image{OSRelease: uki.OSRelease("Bench", "bench", "1"), Cmdline: "quiet", Uname: "6.1.0",
		Linux: big20[:4<<20], Initrd: big20[4<<20:]}.Build(stub)
	if err != nil {
		b.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench db"},
		NotBefore: signingTime.AddDate(-1, 0, 0), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		signed, err := Sign(img, key, cert, signingTime)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(signed)-len(img)), "bytes-added")
	}
}
