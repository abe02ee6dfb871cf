package main

import "github.com/plinth-os/plinth/internal/view"

// screenFeed draws views on a goroutine of its own, always the newest it
// was given, and drops those it had no time for. A redraw of the whole
// framebuffer takes 60 to 100 ms under emulation, and an unattended
// install reports each of its steps: drawn in line, the redraws were a
// third of the install's time.
type screenFeed struct {
	views chan view.View // capacity 1: the newest view not drawn yet
	done  chan struct{}  // closed when the last view is drawn
}

// newScreenFeed starts drawing with draw; draw nil makes a feed that
// draws nothing (no framebuffer).
func newScreenFeed(draw func(view.View)) *screenFeed {
	f := &screenFeed{views: make(chan view.View, 1), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for v := range f.views {
			if draw != nil {
				draw(v)
			}
		}
	}()
	return f
}

// show hands v over for drawing, replacing a view still waiting. It
// does not wait for the screen. Only one goroutine may call show.
func (f *screenFeed) show(v view.View) {
	for {
		select {
		case f.views <- v:
			return
		default:
		}
		select {
		case <-f.views: // not drawn yet, and now out of date
		default:
		}
	}
}

// close returns once the last view given is on the screen; the caller
// may then draw on it directly again.
func (f *screenFeed) close() {
	close(f.views)
	<-f.done
}
