package updater

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPrepareDownload(t *testing.T) {
	tests := []struct {
		name    string
		size    int64
		wantErr string
	}{
		{"fits", 1 << 20, ""},
		{"larger than the free space", 1 << 62, "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "updates")
			dst := filepath.Join(dir, "acme-2.0.plinth")
			os.MkdirAll(dir, 0o700)
			for _, n := range []string{"acme-1.9.plinth.part", "acme-1.9.plinth.part.meta", "acme-2.0.plinth.part", "acme-2.0.plinth.part.meta"} {
				os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
			}
			err := prepareDownload(dst, tt.size)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("prepareDownload(%d) = %v, want %q", tt.size, err, tt.wantErr)
			}
			names, _ := filepath.Glob(filepath.Join(dir, "*"))
			for i := range names {
				names[i] = filepath.Base(names[i])
			}
			if want := []string{"acme-2.0.plinth.part", "acme-2.0.plinth.part.meta"}; !slices.Equal(names, want) {
				t.Errorf("left in the directory: %q, want %q (the other version's files removed, this one's kept)", names, want)
			}
		})
	}
}
