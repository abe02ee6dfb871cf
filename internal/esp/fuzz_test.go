package esp

import "testing"

func FuzzParseLoaderPartUUID(f *testing.F) {
	f.Add(utf16z(esp1))
	f.Add([]byte{0, 0xd8, 0, 0})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseLoaderPartUUID(b)
		if err == nil && len(s) != 36 {
			t.Fatalf("accepted %q", s)
		}
	})
}
