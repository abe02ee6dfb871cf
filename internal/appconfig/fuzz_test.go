package appconfig

import (
	"bytes"
	"testing"
)

// FuzzParse: Parse never panics, and whatever it accepts re-encodes to
// bytes it accepts again unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(golden))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"settings":{"a":["x"],"b":1,"c":true}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		out, err := Marshal(c)
		if err != nil {
			t.Fatalf("Marshal of a parsed config: %v", err)
		}
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse of Marshal output: %v\n%s", err, out)
		}
		out2, _ := Marshal(c2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
