package suggest

import (
	"reflect"
	"testing"
)

func TestNearest(t *testing.T) {
	known := []string{"services", "settings", "files", "data-dirs", "network"}
	for _, tc := range []struct {
		s    string
		want []string
	}{
		{"servces", []string{"services"}},
		{"setings", []string{"settings"}},
		{"file", []string{"files"}},
		{"datadirs", []string{"data-dirs"}},
		{"zzzzzz", nil},
		{"settngs", []string{"settings"}},
	} {
		if got := nearest(tc.s, known); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("nearest(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	known := []string{"member-name", "members", "quota-bytes"}
	for _, tc := range []struct{ s, want string }{
		{"quota-byte", "; did you mean quota-bytes?"},
		{"member", "; did you mean member-name or members?"},
		{"zzzz", ""},
	} {
		if got := DidYouMean(tc.s, known); got != tc.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
