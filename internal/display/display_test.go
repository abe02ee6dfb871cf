package display

import (
	"path/filepath"
	"testing"
)

// Without a framebuffer Open fails before it touches the VT, so the
// caller can keep the text console as it is.
func TestOpenWithoutFramebuffer(t *testing.T) {
	dir := t.TempDir()
	if d, err := Open(filepath.Join(dir, "fb0"), filepath.Join(dir, "tty0"), dir); err == nil || d != nil {
		t.Fatalf("Open without a framebuffer = %v, %v; want an error", d, err)
	}
}
