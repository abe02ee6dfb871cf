package updatectl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serve runs a server with h on a socket in a temporary directory.
func serve(t *testing.T, h Handler) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "update.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go Serve(ctx, l, h)
	return path
}

func TestRoundTrip(t *testing.T) {
	var got []Request
	path := serve(t, func(_ context.Context, req Request, w io.Writer) error {
		got = append(got, req)
		fmt.Fprintf(w, "working on %+v\n", req)
		if req.Apply == "bad" {
			return errors.New("refused: tampered")
		}
		return nil
	})
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, %v; want 0600", fi.Mode(), err)
	}
	tests := []struct {
		req     Request
		out     string
		wantErr string
	}{
		{Request{Apply: "/mnt/a.plinth"}, "working on {Apply:/mnt/a.plinth Check:false}\n", ""},
		{Request{Check: true}, "working on {Apply: Check:true}\n", ""},
		{Request{Apply: "bad"}, "working on {Apply:bad Check:false}\n", "refused: tampered"},
		{Request{}, "", "give exactly one of apply and check"},
		{Request{Apply: "x", Check: true}, "", "give exactly one of apply and check"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := Do(context.Background(), path, tt.req, &out)
		if out.String() != tt.out || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%+v: out %q, err %v; want %q, %q", tt.req, out.String(), err, tt.out, tt.wantErr)
		}
	}
	if len(got) != 3 {
		t.Errorf("the handler saw %d requests, want the 3 valid ones", len(got))
	}
}

// A connection that ends without a reply (the appliance rebooted) is an
// error that says so.
func TestNoReply(t *testing.T) {
	path := filepath.Join(t.TempDir(), "update.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			bufio.NewReader(c).ReadBytes('\n')
			io.WriteString(c, "staged 2.0; rebooting\n")
			c.Close()
		}
	}()
	var out bytes.Buffer
	err = Do(context.Background(), path, Request{Check: true}, &out)
	if err == nil || !strings.Contains(err.Error(), "rebooting") || out.String() != "staged 2.0; rebooting\n" {
		t.Errorf("out %q, err %v", out.String(), err)
	}
}

func TestNoAppliance(t *testing.T) {
	err := Do(context.Background(), filepath.Join(t.TempDir(), "none.sock"), Request{Check: true}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "is the appliance running") {
		t.Errorf("err %v", err)
	}
}
