package wizard

import (
	"testing"

	"github.com/plinth-os/plinth/internal/event"
)

// screenEvent is w's screen event as automation reads it: formatted,
// checked against its documented form, and parsed back.
func screenEvent(t *testing.T, w *Wizard) map[string]any {
	t.Helper()
	line, err := event.Format(w.Event())
	if err != nil {
		t.Fatal(err)
	}
	if err := event.Validate(string(line)); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	obj, ok := event.Parse(string(line))
	if !ok {
		t.Fatalf("cannot parse %s", line)
	}
	return obj
}

// TestScreenEvents checks each screen's event line as a whole: the
// fields automation relies on, false and zero values included.
func TestScreenEvents(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *Wizard)
		want  string
	}{
		{"welcome", func(w *Wizard) {}, `{"event":"screen","screen":"welcome"}`},
		{"disks", func(w *Wizard) { press(w, "\n") },
			`{"event":"screen","screen":"disks","disks":[` +
				`{"shortId":"b0001","name":"sda","serial":"USB0001","eligible":false,"hasData":false,"selected":false},` +
				`{"shortId":"345678","name":"nvme0n1","serial":"NV12345678","eligible":true,"hasData":true,"selected":true},` +
				`{"shortId":"rt0042","name":"vda","serial":"VIRT0042","eligible":true,"hasData":false,"selected":false}]}`},
		{"no disks", func(w *Wizard) { press(w, "\n"); w.SetDisks(nil) }, `{"event":"screen","screen":"disks","disks":null}`},
		{"confirm an empty disk", func(w *Wizard) { press(w, "\n3\nrt") },
			`{"event":"screen","screen":"confirm","shortId":"rt0042","disk":"vda","hasData":false,"typed":2,"enrollKeys":false}`},
		{"advanced", func(w *Wizard) { press(w, "\nadb") },
			`{"event":"screen","screen":"advanced","dataSize":"db","hostname":"","field":0}`},
		{"failed", func(w *Wizard) {
			press(w, "\n\n345678\n")
			w.Finished(Result{}, &Failure{Code: "install-write", Message: "write failed"})
		}, `{"event":"screen","screen":"failed","code":"install-write","message":"write failed","wrote":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(Machine{}, cands(), maxData)
			tt.setup(w)
			screenEvent(t, w)
			line, _ := event.Format(w.Event())
			if got := string(line[len(event.Prefix) : len(line)-1]); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
