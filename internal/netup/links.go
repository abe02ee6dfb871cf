package netup

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// WiredInterfaces lists the physical Ethernet interfaces in
// sysRoot/class/net, sorted by name: type 1 (ARPHRD_ETHER), backed by a
// device (so not a bridge, veth, tun or dummy), and not wireless.
func WiredInterfaces(sysRoot string) []string {
	dir := filepath.Join(sysRoot, "class", "net")
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		n := e.Name()
		p := filepath.Join(dir, n)
		if readTrim(filepath.Join(p, "type")) != "1" || !exists(filepath.Join(p, "device")) ||
			exists(filepath.Join(p, "wireless")) || exists(filepath.Join(p, "phy80211")) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MatchInterface reports whether interface name matches sel, a kernel
// name or a MAC address (any case); an empty sel matches everything.
func MatchInterface(sysRoot, name, sel string) bool {
	if sel == "" || sel == name {
		return true
	}
	mac := readTrim(filepath.Join(sysRoot, "class", "net", name, "address"))
	return mac != "" && strings.EqualFold(mac, sel)
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
