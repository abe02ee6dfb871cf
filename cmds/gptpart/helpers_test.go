package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// tool returns the path of a required external tool; a missing one fails
// the test: these tools are part of the test setup.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	return testdisk.Tool(t, name, pkg)
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testdisk.Run(t, name, args...)
}

// gptpart runs the command in-process.
func gptpart(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return status, o.String(), e.String()
}

func sparseImage(t *testing.T, name string, size int64) string {
	t.Helper()
	return testdisk.TempSparse(t, name, size)
}

func fileHash(t *testing.T, p string) [32]byte {
	t.Helper()
	return testdisk.SHA256(t, p)
}

// gptAreas returns the MBR, primary and backup GPT areas (the whole of
// what sgdisk and gptpart write) of an image or device with ss-byte
// sectors and a 128-entry array.
func gptAreas(t *testing.T, p string, ss int64) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	n := (2 + 128*128/ss) * ss
	b := make([]byte, 2*n)
	if _, err := f.ReadAt(b[:n], 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(b[n:], size-n+ss); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return b
}

// loopDevice attaches img with the given logical sector size and
// partition scanning; it is detached at cleanup.
func loopDevice(t *testing.T, img string, ss int) string {
	t.Helper()
	losetup := tool(t, "losetup", "util-linux")
	dev := strings.TrimSpace(runTool(t, losetup, "--sector-size", fmt.Sprint(ss), "-P", "-f", "--show", img))
	t.Cleanup(func() {
		if out, err := exec.Command(losetup, "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v %s", dev, err, out)
		}
	})
	return dev
}

// withoutDiskLine drops the first line of -p output, which names the
// target.
func withoutDiskLine(s string) string {
	_, rest, _ := strings.Cut(s[strings.Index(s, "Disk "):], "\n")
	return rest
}
