package bundle

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestApplicable(t *testing.T) {
	runtime := []PartInfo{{Name: PartRuntime}}
	failed := func(v string) string {
		if v == "2.5" {
			return "service db unhealthy"
		}
		return ""
	}
	tests := []struct {
		name string
		m    Manifest
		want RefusalCode // "" means applicable
		says string
	}{
		{"newer", Manifest{Product: "Acme DB", Version: "2.1", Parts: runtime}, "", ""},
		{"other product", Manifest{Product: "Other", Version: "9", Parts: runtime}, RefusedProduct, "this is Other 9"},
		{"needs an intermediate", Manifest{Product: "Acme DB", Version: "3.0", MinVersion: "2.2", Parts: runtime}, RefusedIntermediate, "2.2 or later"},
		{"two parts", Manifest{Product: "Acme DB", Version: "2.1", Parts: []PartInfo{{Name: PartRuntime}, {Name: "x"}}}, RefusedParts, "one part"},
		{"no parts", Manifest{Product: "Acme DB", Version: "2.1"}, RefusedParts, "one part"},
		{"same", Manifest{Product: "Acme DB", Version: "2.0", Parts: runtime}, RefusedNotNewer, "is the running version"},
		{"older", Manifest{Product: "Acme DB", Version: "1.9", Parts: runtime}, RefusedDowngrade, "did not allow"},
		{"older, allowed", Manifest{Product: "Acme DB", Version: "1.9", Downgrade: true, Parts: runtime}, "", ""},
		{"failed before", Manifest{Product: "Acme DB", Version: "2.5", Parts: runtime}, RefusedFailedBefore, "before (service db unhealthy) and is not tried again"},
		{"incomparable", Manifest{Product: "Acme DB", Version: "nightly", Parts: runtime}, RefusedVersion, "cannot tell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.m.Applicable("Acme DB", "2.0", failed)
			switch {
			case tt.want == "" && r != nil:
				t.Fatalf("refused: %v", r)
			case tt.want == "":
				return
			case r == nil:
				t.Fatalf("applicable, want %s", tt.want)
			case r.Code != tt.want || !strings.Contains(r.Reason, tt.says):
				t.Errorf("got %s %q, want %s containing %q", r.Code, r.Reason, tt.want, tt.says)
			}
		})
	}
}

func TestRefusalOf(t *testing.T) {
	tests := []struct {
		err  error
		want RefusalCode
		says string
	}{
		{errorf(ErrUntrusted, "signer CN=Mallory"), RefusedUntrusted, "not signed with an update key this appliance trusts: signer CN=Mallory"},
		{errorf(ErrSignature, "digest mismatch"), RefusedSignature, "changed after it was signed"},
		{fmt.Errorf("stage: %w", errorf(ErrPart, "runtime.efi")), RefusedDamaged, "changed after it was signed"},
		{errorf(ErrTruncated, "at byte 9"), RefusedDamaged, "incomplete"},
		{errorf(ErrFormat, "magic"), RefusedDamaged, "not a valid update bundle"},
		{errors.New("read: i/o error"), RefusedDamaged, "cannot be read: read: i/o error"},
	}
	for _, tt := range tests {
		r := RefusalOf(tt.err)
		if r.Code != tt.want || !strings.Contains(r.Reason, tt.says) {
			t.Errorf("%v: got %s %q, want %s containing %q", tt.err, r.Code, r.Reason, tt.want, tt.says)
		}
	}
}
