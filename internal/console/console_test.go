package console

import (
	"os"
	"path/filepath"
	"testing"
)

// screenAndSerial opens a fake system whose active consoles are tty0
// and ttyS0, plain files in the returned dev directory.
func screenAndSerial(t *testing.T) (*Set, string) {
	t.Helper()
	sys, dev := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(sys, "class/tty/console"), 0o755)
	os.WriteFile(filepath.Join(sys, "class/tty/console/active"), []byte("tty0 ttyS0\n"), 0o644)
	for _, n := range []string{"tty0", "ttyS0"} {
		os.WriteFile(filepath.Join(dev, n), nil, 0o644)
	}
	s, err := Open(sys, dev)
	if err != nil {
		t.Fatal(err)
	}
	return s, dev
}

func TestOpenSplitsSerial(t *testing.T) {
	s, dev := screenAndSerial(t)
	s.Text().Write([]byte("hello\n"))
	s.Events().Write([]byte("@plinth {}\n"))
	tty0, _ := os.ReadFile(filepath.Join(dev, "tty0"))
	ttyS0, _ := os.ReadFile(filepath.Join(dev, "ttyS0"))
	if string(tty0) != "hello\n" {
		t.Errorf("tty0 got %q, want only the text", tty0)
	}
	if string(ttyS0) != "hello\n@plinth {}\n" {
		t.Errorf("ttyS0 got %q, want text and event", ttyS0)
	}
}

func TestOpenNoConsole(t *testing.T) {
	if _, err := Open(t.TempDir(), t.TempDir()); err == nil {
		t.Error("Open with no consoles succeeded")
	}
}

func TestSerialLeavesTheScreenOut(t *testing.T) {
	s, dev := screenAndSerial(t)
	s.Serial().Text().Write([]byte("serial only\n"))
	tty0, _ := os.ReadFile(filepath.Join(dev, "tty0"))
	ttyS0, _ := os.ReadFile(filepath.Join(dev, "ttyS0"))
	if len(tty0) != 0 || string(ttyS0) != "serial only\n" {
		t.Errorf("tty0 %q, ttyS0 %q", tty0, ttyS0)
	}
}
