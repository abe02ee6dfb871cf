package main

import (
	"errors"
	"strings"
	"testing"
)

// The failure text made for the console becomes plain lines for the
// status screen: no CRs, no '=' frame, the what-to-do kept.
func TestPlainText(t *testing.T) {
	f := &failure{code: "x", summary: "The data partition is missing.", err: errors.New("no partition labelled plinth-data"), hint: "Reinstall."}
	got := plainText(f.text())
	if strings.Contains(got, "\r") || strings.Contains(got, "====") {
		t.Errorf("console framing left in %q", got)
	}
	for _, want := range []string{"The data partition is missing.", "no partition labelled plinth-data", "What to do: Reinstall."} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}
