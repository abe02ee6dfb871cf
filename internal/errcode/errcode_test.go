package errcode

import (
	"encoding/json"
	"testing"
)

func TestAll(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range All() {
		if c == "" || seen[c] || !c.Known() {
			t.Errorf("code %q empty, repeated or not known", c)
		}
		seen[c] = true
	}
	if Code("disk-has-data ").Known() || Code("").Known() {
		t.Error("an unknown code is known")
	}
}

func TestUnmarshal(t *testing.T) {
	var v struct{ Code Code }
	if err := json.Unmarshal([]byte(`{"Code":"verify"}`), &v); err != nil || v.Code != Verify {
		t.Errorf("verify: %v %q", err, v.Code)
	}
	for _, bad := range []string{`{"Code":"oops"}`, `{"Code":""}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}
