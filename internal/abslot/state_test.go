package abslot

import (
	"strings"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	st := NewState("v1", 1234, ukiSum("v1"))
	st.B = SlotState{Status: Staged, Version: "v2", Size: 99, SHA256: strings.Repeat("ab", 32)}
	st.Trial = &TrialRecord{Slot: B, Version: "v2", FromVersion: "v1", Started: testNow, Armed: true}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseState(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Marshal()
	if string(again) != string(b) {
		t.Errorf("round trip changed slots.json:\n%s\n%s", b, again)
	}
	for _, want := range []string{`"committed": "A"`, `"status": "staged"`, `"armed": true`, `"started": "2025-03-04T05:06:07Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("slots.json lacks %s:\n%s", want, b)
		}
	}
}

func TestParseStateRejects(t *testing.T) {
	good := `"a": {"status": "committed", "version": "v1", "size": 5, "sha256": "` + strings.Repeat("0", 64) + `"}`
	cases := []struct{ name, json, err string }{
		{"unknown field", `{"format": 1, "committed": "A", ` + good + `, "b": {"status": "empty"}, "x": 1}`, "unknown field"},
		{"format", `{"format": 2, "committed": "A", ` + good + `, "b": {"status": "empty"}}`, "format 2"},
		{"committed slot", `{"format": 1, "committed": "C", ` + good + `, "b": {"status": "empty"}}`, "not A or B"},
		{"committed not committed", `{"format": 1, "committed": "B", ` + good + `, "b": {"status": "empty"}}`, "committed slot B has status"},
		{"bad digest", `{"format": 1, "committed": "A", "a": {"status": "committed", "version": "v1", "size": 5, "sha256": "ABC"}, "b": {"status": "empty"}}`, "64 lower-case"},
		{"empty with file", `{"format": 1, "committed": "A", ` + good + `, "b": {"status": "empty", "size": 3}}`, "records no file"},
		{"unknown status", `{"format": 1, "committed": "A", ` + good + `, "b": {"status": "weird"}}`, "unknown status"},
		{"trial of committed", `{"format": 1, "committed": "A", ` + good + `, "b": {"status": "empty"}, "trial": {"slot": "A", "version": "v1", "fromVersion": "v1", "started": "2025-03-04T05:06:07Z", "armed": false}}`, "trial slot"},
		{"trial of empty", `{"format": 1, "committed": "A", ` + good + `, "b": {"status": "empty"}, "trial": {"slot": "B", "version": "", "fromVersion": "v1", "started": "2025-03-04T05:06:07Z", "armed": false}}`, `status "empty"`},
		{"legacy is a slot", `{"format": 1, "committed": "A", ` + good + `, "b": {"status": "empty"}, "legacy": "EFI/plinth/slot-b.efi"}`, "legacy"},
		{"truncated", `{"format": 1, "committed": "A", ` + good, "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseState([]byte(c.json)); err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseState: %v, want an error with %q", err, c.err)
			}
		})
	}
}

func TestSlotPaths(t *testing.T) {
	if A.Path() != "EFI/plinth/slot-a.efi" || B.Path() != "EFI/plinth/slot-b.efi" {
		t.Errorf("slot paths %s, %s", A.Path(), B.Path())
	}
	if A.Other() != B || B.Other() != A || Slot("").Valid() {
		t.Error("Other or Valid is wrong")
	}
}
