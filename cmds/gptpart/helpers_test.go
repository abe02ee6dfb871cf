package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// gptpart runs the command in-process.
func gptpart(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return status, o.String(), e.String()
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

// withoutDiskLine drops the first line of -p output, which names the
// target.
func withoutDiskLine(s string) string {
	_, rest, _ := strings.Cut(s[strings.Index(s, "Disk "):], "\n")
	return rest
}
