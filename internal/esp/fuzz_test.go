package esp

import (
	"strings"
	"testing"
)

func FuzzParseLoaderPartUUID(f *testing.F) {
	f.Add(utf16z(esp1))
	f.Add([]byte{0, 0xd8, 0, 0})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseLoaderPartUUID(b)
		if err == nil && !strings.EqualFold(strings.TrimSpace(decodeUTF16(b)), g.String()) {
			t.Fatalf("accepted %q as %s", b, g)
		}
	})
}
