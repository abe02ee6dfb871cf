package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestUSBStoragePending(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  bool
	}{
		{"no usb", nil, false},
		{"keyboard only", map[string]string{"bus/usb/devices/1-1:1.0/bInterfaceClass": "03\n"}, false},
		{"stick still probing", map[string]string{"bus/usb/devices/1-1:1.0/bInterfaceClass": "08\n",
			"bus/usb/devices/1-1:1.0/host2/scsi_host/host2/x": ""}, true},
		{"stick with its disk", map[string]string{"bus/usb/devices/1-1:1.0/bInterfaceClass": "08\n",
			"bus/usb/devices/1-1:1.0/host2/target2:0:0/2:0:0:0/block/sda/size": "100\n"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, c := range tt.files {
				os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
				os.WriteFile(filepath.Join(root, p), []byte(c), 0o644)
			}
			if got := usbStoragePending(root); got != tt.want {
				t.Errorf("usbStoragePending = %v, want %v", got, tt.want)
			}
		})
	}
}

// The payload check runs only once asked to, once, and every wait gets
// its result.
func TestOnDemand(t *testing.T) {
	runs := make(chan struct{}, 3)
	o := later(func() error {
		runs <- struct{}{}
		return errors.New("bad medium")
	})
	select {
	case <-runs:
		t.Fatal("ran before it was started")
	case <-time.After(50 * time.Millisecond):
	}
	o.start()
	o.start()
	for range 2 {
		if err := o.wait(); err == nil || err.Error() != "bad medium" {
			t.Errorf("wait = %v, want bad medium", err)
		}
	}
	if n := len(runs); n != 1 {
		t.Errorf("ran %d times, want once", n)
	}
}
