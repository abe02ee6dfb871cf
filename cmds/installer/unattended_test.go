package main

import (
	"os"
	"path/filepath"
	"testing"
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
