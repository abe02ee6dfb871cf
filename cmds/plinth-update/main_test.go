package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/updatectl"
)

func TestRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "update.sock")
	l, err := updatectl.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go updatectl.Serve(ctx, l, func(_ context.Context, req updatectl.Request, w io.Writer) error {
		io.WriteString(w, "ok: "+req.Apply+"\n")
		return nil
	})
	tests := []struct {
		args   []string
		status int
		out    string
	}{
		{[]string{"apply", "/mnt/x.plinth"}, 0, "ok: /mnt/x.plinth\n"},
		{[]string{"check"}, 0, "ok: \n"},
		{[]string{}, 2, ""},
		{[]string{"apply"}, 2, ""},
		{[]string{"frob", "x"}, 2, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if st := run(ctx, tt.args, path, &out, &errOut); st != tt.status || out.String() != tt.out {
			t.Errorf("%q: status %d, out %q (%s); want %d, %q", tt.args, st, out.String(), errOut.String(), tt.status, tt.out)
		}
		if tt.status == 2 && !strings.Contains(errOut.String(), "usage") {
			t.Errorf("%q: no usage: %s", tt.args, errOut.String())
		}
	}
}
