package netup

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// ResolvConf renders resolv.conf for servers (at most the first three:
// the glibc and Go resolvers ignore the rest) and a search domain.
func ResolvConf(servers []netip.Addr, search string) []byte {
	var b strings.Builder
	b.WriteString("# Written by the Plinth appliance supervisor.\n")
	if search != "" {
		fmt.Fprintf(&b, "search %s\n", search)
	}
	for i, s := range servers {
		if i == 3 {
			break
		}
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	return []byte(b.String())
}

// writeAtomic replaces path with data through a temporary file and a
// rename, so a reader never sees a half-written file.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("netup: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("netup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("netup: %w", err)
	}
	return nil
}

// SetHostname sets the kernel hostname with set (unix.Sethostname on the
// target) and writes etcDir/hostname and etcDir/hosts, so the name and
// localhost resolve without DNS.
func SetHostname(etcDir, name string, set func([]byte) error) error {
	if set != nil {
		if err := set([]byte(name)); err != nil {
			return fmt.Errorf("netup: sethostname %q: %w", name, err)
		}
	}
	if err := writeAtomic(filepath.Join(etcDir, "hostname"), []byte(name+"\n")); err != nil {
		return err
	}
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\t%s\n", name)
	return writeAtomic(filepath.Join(etcDir, "hosts"), []byte(hosts))
}
