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
	var v State
	if err := json.Unmarshal([]byte(`"sleeping"`), &v); err == nil {
		t.Error("an unknown state was accepted")
	}
}
