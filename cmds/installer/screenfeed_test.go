package main

import (
	"strconv"
	"testing"

	"github.com/plinth-os/plinth/internal/view"
)

// TestScreenFeed: show does not wait for a slow screen, views the screen
// had no time for are dropped, and close returns with the last view
// drawn.
func TestScreenFeed(t *testing.T) {
	tests := []struct {
		name  string
		shows int
	}{
		{"one view", 1},
		{"many views while the first is drawn", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			var drawn []string
			f := newScreenFeed(func(v view.View) {
				if len(drawn) == 0 {
					close(started)
					<-release // the first draw is slow
				}
				drawn = append(drawn, v.Heading)
			})
			f.show(view.View{Heading: "0"})
			<-started
			for i := 1; i < tt.shows; i++ {
				f.show(view.View{Heading: strconv.Itoa(i)}) // must not block on the slow draw
			}
			close(release)
			f.close()
			want := strconv.Itoa(tt.shows - 1)
			if len(drawn) == 0 || drawn[len(drawn)-1] != want {
				t.Fatalf("drawn %v, want the last to be %s", drawn, want)
			}
			if len(drawn) > 2 {
				t.Errorf("drawn %v: views shown during a draw were not dropped", drawn)
			}
		})
	}
}

// TestScreenFeedNoScreen: without a framebuffer the feed draws nothing
// and close still returns.
func TestScreenFeedNoScreen(t *testing.T) {
	f := newScreenFeed(nil)
	f.show(view.View{Heading: "x"})
	f.close()
}
