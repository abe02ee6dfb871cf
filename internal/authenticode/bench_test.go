package authenticode

import (
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testcert"
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
	p := testcert.Must(b, "bench db", testcert.Options{NotBefore: signingTime.AddDate(-1, 0, 0), NotAfter: time.Now().AddDate(1, 0, 0)})
	key, cert := p.Key, p.Cert
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		signed, err := Sign(img, key, cert, signingTime)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(signed)-len(img)), "bytes-added")
	}
}
