package servicestate

import (
	"encoding/json"
	"testing"
)

func TestUnmarshal(t *testing.T) {
	for _, s := range All() {
		var v State
		if err := json.Unmarshal([]byte(`"`+string(s)+`"`), &v); err != nil || v != s {
			t.Errorf("%s: %v %q", s, err, v)
		}
	}
	for _, h := range AllHealth() {
		var v Health
		if err := json.Unmarshal([]byte(`"`+string(h)+`"`), &v); err != nil || v != h {
			t.Errorf("%s: %v %q", h, err, v)
		}
	}
	for _, bad := range []string{`"sleeping"`, `"healthy"`} {
		var v State
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("state %s was accepted", bad)
		}
	}
	for _, bad := range []string{`"running"`, `""`} {
		var v Health
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("health %s was accepted", bad)
		}
	}
}
