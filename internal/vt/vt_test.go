package vt

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// call is one ioctl; get calls record arg -1.
type call struct {
	req uint
	arg int
}

// fakeVT records ioctls, answers KDGKBMODE with kbMode and fails the calls
// listed in fail. The "tty" is a regular file, so we can see it closed.
type fakeVT struct {
	kbMode int
	fail   map[call]error
	calls  []call
	file   *os.File
}

func (v *fakeVT) tty(t *testing.T) tty {
	return tty{
		open: func(path string) (*os.File, error) {
			f, err := os.Create(path)
			v.file = f
			return f, err
		},
		set: func(fd int, req uint, value int) error {
			c := call{req, value}
			v.calls = append(v.calls, c)
			if fd != int(v.file.Fd()) {
				t.Errorf("ioctl on fd %d, want the tty's fd %d", fd, v.file.Fd())
			}
			return v.fail[c]
		},
		get: func(fd int, req uint) (int, error) {
			c := call{req, -1}
			v.calls = append(v.calls, c)
			return v.kbMode, v.fail[c]
		},
	}
}

func (v *fakeVT) closed() bool {
	_, err := v.file.Stat()
	return errors.Is(err, os.ErrClosed)
}

var (
	getKb    = call{kdGetKbMode, -1}
	graphics = call{kdSetMode, 1}
	text     = call{kdSetMode, 0}
	kbOff    = call{kdSetKbMode, 4}
)

func TestGraphicsAndRestore(t *testing.T) {
	tests := []struct {
		name        string
		kbMode      int
		wantSetup   []call
		wantRestore []call
	}{
		{"unicode keyboard", kUnicode, []call{getKb, graphics, kbOff}, []call{{kdSetKbMode, kUnicode}, text}},
		{"xlate keyboard", 1, []call{getKb, graphics, kbOff}, []call{{kdSetKbMode, 1}, text}},
		{"keyboard left off by an earlier run comes back on", kOff, []call{getKb, graphics, kbOff}, []call{{kdSetKbMode, kUnicode}, text}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeVT{kbMode: tt.kbMode}
			restore, err := v.tty(t).graphics(filepath.Join(t.TempDir(), "tty0"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.calls, tt.wantSetup) {
				t.Errorf("setup ioctls %v, want %v", v.calls, tt.wantSetup)
			}
			if v.closed() {
				t.Error("tty closed while in graphics mode; restore needs it")
			}
			v.calls = nil
			if err := restore(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.calls, tt.wantRestore) {
				t.Errorf("restore ioctls %v, want %v", v.calls, tt.wantRestore)
			}
			if !v.closed() {
				t.Error("restore left the tty open")
			}
			v.calls = nil
			if err := restore(); err != nil || len(v.calls) != 0 {
				t.Errorf("second restore: err %v, ioctls %v; want nothing done", err, v.calls)
			}
		})
	}
}

func TestGraphicsFailures(t *testing.T) {
	tests := []struct {
		name      string
		fail      call
		wantCalls []call
		wantErr   string
	}{
		{"not a VT", getKb, []call{getKb}, "KDGKBMODE"},
		{"graphics refused", graphics, []call{getKb, graphics}, "KD_GRAPHICS"},
		{"keyboard off refused: back to text", kbOff, []call{getKb, graphics, kbOff, text}, "K_OFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeVT{kbMode: kUnicode, fail: map[call]error{tt.fail: unix.ENOTTY}}
			restore, err := v.tty(t).graphics(filepath.Join(t.TempDir(), "tty0"))
			if err == nil || restore != nil {
				t.Fatalf("no error; want one about %s", tt.wantErr)
			}
			if !errors.Is(err, unix.ENOTTY) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want ENOTTY and %q", err, tt.wantErr)
			}
			if !slices.Equal(v.calls, tt.wantCalls) {
				t.Errorf("ioctls %v, want %v", v.calls, tt.wantCalls)
			}
			if !v.closed() {
				t.Error("tty left open after a failure")
			}
		})
	}
}

func TestRestoreTriesEverything(t *testing.T) {
	v := &fakeVT{kbMode: kUnicode}
	restore, err := v.tty(t).graphics(filepath.Join(t.TempDir(), "tty0"))
	if err != nil {
		t.Fatal(err)
	}
	v.fail = map[call]error{{kdSetKbMode, kUnicode}: unix.EIO}
	v.calls = nil
	err = restore()
	if !errors.Is(err, unix.EIO) || !strings.Contains(err.Error(), "keyboard stays off") {
		t.Errorf("error %v, want EIO about the keyboard", err)
	}
	if want := []call{{kdSetKbMode, kUnicode}, text}; !slices.Equal(v.calls, want) {
		t.Errorf("ioctls %v, want %v: text mode must come back even if the keyboard does not", v.calls, want)
	}
	if !v.closed() {
		t.Error("tty left open")
	}
}

// The real ioctls refuse a file that is not a terminal.
func TestGraphicsRealIoctlOnPlainFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tty0")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Graphics(p); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("error %v, want ENOTTY", err)
	}
	if _, err := Graphics(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want not-exist", err)
	}
}
