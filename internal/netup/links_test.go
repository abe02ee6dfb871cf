package netup

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fakeIf struct {
	name, typ, mac, ifindex string
	device, wireless        bool
}

func fakeNet(t *testing.T, ifs ...fakeIf) string {
	sys := t.TempDir()
	for _, f := range ifs {
		d := filepath.Join(sys, "class", "net", f.name)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "type"), []byte(f.typ+"\n"), 0o644)
		os.WriteFile(filepath.Join(d, "address"), []byte(f.mac+"\n"), 0o644)
		os.WriteFile(filepath.Join(d, "ifindex"), []byte(f.ifindex+"\n"), 0o644)
		if f.device {
			os.MkdirAll(filepath.Join(d, "device"), 0o755)
		}
		if f.wireless {
			os.MkdirAll(filepath.Join(d, "wireless"), 0o755)
		}
	}
	return sys
}

func TestWiredInterfaces(t *testing.T) {
	sys := fakeNet(t,
		fakeIf{name: "lo", typ: "772", ifindex: "1"},
		fakeIf{name: "eth0", typ: "1", mac: "52:54:00:12:34:56", ifindex: "2", device: true},
		fakeIf{name: "enp0s3", typ: "1", mac: "52:54:00:AB:CD:EF", ifindex: "3", device: true},
		fakeIf{name: "wlan0", typ: "1", ifindex: "4", device: true, wireless: true},
		fakeIf{name: "br0", typ: "1", ifindex: "5"},
		fakeIf{name: "ib0", typ: "32", ifindex: "6", device: true},
	)
	if got := strings.Join(WiredInterfaces(sys), ","); got != "enp0s3,eth0" {
		t.Errorf("WiredInterfaces = %s", got)
	}
	tests := []struct {
		name, sel string
		want      bool
	}{
		{"eth0", "", true},
		{"eth0", "eth0", true},
		{"eth0", "enp0s3", false},
		{"enp0s3", "52:54:00:ab:cd:ef", true},
		{"eth0", "52:54:00:ab:cd:ef", false},
	}
	for _, tt := range tests {
		if got := MatchInterface(sys, tt.name, tt.sel); got != tt.want {
			t.Errorf("MatchInterface(%s, %q) = %v", tt.name, tt.sel, got)
		}
	}
	if WiredInterfaces(t.TempDir()) != nil {
		t.Error("interfaces found in an empty sysfs")
	}
}

func TestResolvConf(t *testing.T) {
	a := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	got := string(ResolvConf([]netip.Addr{a("10.0.2.3"), a("2001:db8::53"), a("1.1.1.1"), a("8.8.8.8")}, "example.test"))
	want := "# Written by the Plinth appliance supervisor.\nsearch example.test\nnameserver 10.0.2.3\nnameserver 2001:db8::53\nnameserver 1.1.1.1\n"
	if got != want {
		t.Errorf("ResolvConf =\n%s\nwant\n%s", got, want)
	}
}

func TestSetHostname(t *testing.T) {
	etc := t.TempDir()
	var set string
	if err := SetHostname(etc, "plinth-3f2a9c", func(b []byte) error { set = string(b); return nil }); err != nil {
		t.Fatal(err)
	}
	h, _ := os.ReadFile(filepath.Join(etc, "hostname"))
	hosts, _ := os.ReadFile(filepath.Join(etc, "hosts"))
	if set != "plinth-3f2a9c" || string(h) != "plinth-3f2a9c\n" || !strings.Contains(string(hosts), "127.0.1.1\tplinth-3f2a9c\n") || !strings.Contains(string(hosts), "127.0.0.1\tlocalhost") {
		t.Errorf("sethostname %q, hostname %q, hosts %q", set, h, hosts)
	}
}
