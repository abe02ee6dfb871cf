package eventtest

import (
	"testing"

	"github.com/plinth-os/plinth/internal/event"
)

func TestRecorder(t *testing.T) {
	var r Recorder
	if err := r.Emit(event.Shutdown{Action: "power-off", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if got := r.Named("shutdown"); len(got) != 1 || got[0]["reason"] != "test" {
		t.Errorf("Named(shutdown) = %v", got)
	}
	if got := r.Named("network"); len(got) != 0 {
		t.Errorf("Named(network) = %v", got)
	}
	r.Check(t)
}
