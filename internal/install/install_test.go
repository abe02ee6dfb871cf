package install

import (
	"bytes"
	"context"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/event"
)

// A payload that does not match the manifest stops the install before
// discovery: nothing is looked at, nothing written.
func TestCorruptPayloadStopsFirst(t *testing.T) {
	var events bytes.Buffer
	env := Env{SysRoot: "/nonexistent", DevRoot: "/nonexistent", ProcRoot: "/nonexistent",
		Events: event.New(&events), Log: func(string, ...any) {}}
	m := Manifest{Product: "P", Version: "1", RuntimeUKISHA256: "00", RuntimeUKISize: 3}
	_, err := Run(context.Background(), env, Request{Answers: &answers.Answers{}, Manifest: m, UKI: []byte("uki")})
	if Code(err) != "payload-corrupt" {
		t.Fatalf("err = %v (code %q), want payload-corrupt", err, Code(err))
	}
	if events.Len() != 0 {
		t.Errorf("events before the payload check: %s", events.String())
	}
}
