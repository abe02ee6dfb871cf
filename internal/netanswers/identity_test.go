package netanswers

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fakeNIC describes one /sys/class/net entry.
type fakeNIC struct {
	name, typ, addr string
	device          bool   // has a device link: backed by hardware
	extra           string // "wireless" or "phy80211", if any
}

// fakeSys writes a sysfs tree with the given interfaces and DMI ids;
// an empty uuid or serial leaves the file out.
func fakeSys(t *testing.T, nics []fakeNIC, uuid, serial string) string {
	t.Helper()
	sys := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nics {
		dir := filepath.Join(sys, "class", "net", n.name)
		write(filepath.Join(dir, "type"), n.typ+"\n")
		write(filepath.Join(dir, "address"), n.addr+"\n")
		if n.device {
			write(filepath.Join(dir, "device", "vendor"), "0x1af4\n")
		}
		if n.extra != "" {
			write(filepath.Join(dir, n.extra, "index"), "0\n")
		}
	}
	dmi := filepath.Join(sys, "class", "dmi", "id")
	if uuid != "" {
		write(filepath.Join(dmi, "product_uuid"), uuid+"\n")
	}
	if serial != "" {
		write(filepath.Join(dmi, "product_serial"), serial+"\n")
	}
	return sys
}

func TestReadIdentity(t *testing.T) {
	nics := []fakeNIC{
		{name: "eth1", typ: "1", addr: "52:54:00:AB:CD:EF", device: true},
		{name: "enp1s0", typ: "1", addr: "52:54:00:12:34:56", device: true},
		{name: "wlan0", typ: "1", addr: "02:00:00:00:00:01", device: true, extra: "wireless"},
		{name: "wlp2s0", typ: "1", addr: "02:00:00:00:00:02", device: true, extra: "phy80211"},
		{name: "br0", typ: "1", addr: "02:00:00:00:00:03"},
		{name: "lo", typ: "772", addr: "00:00:00:00:00:00"},
		{name: "ib0", typ: "32", addr: "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c", device: true},
		{name: "enp3s0", typ: "1", addr: "00:00:00:00:00:00", device: true},
	}
	tests := []struct {
		name         string
		uuid, serial string
		want         Identity
	}{
		{name: "all there", uuid: "4C4C4544-0042-3610-8058-B4C04F564E32", serial: "CZ1234ABC",
			want: Identity{UUID: "4c4c4544-0042-3610-8058-b4c04f564e32", Serial: "CZ1234ABC"}},
		{name: "no dmi files"},
		{name: "placeholders", uuid: "00000000-0000-0000-0000-000000000000", serial: "To Be Filled By O.E.M."},
		{name: "all-ones uuid, default serial", uuid: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", serial: "Default string"},
	}
	wantNICs := []NIC{{Name: "enp1s0", MAC: "52-54-00-12-34-56"}, {Name: "eth1", MAC: "52-54-00-ab-cd-ef"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReadIdentity(fakeSys(t, nics, tt.uuid, tt.serial))
			tt.want.NICs = wantNICs
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadIdentity = %+v, want %+v", got, tt.want)
			}
		})
	}
}
