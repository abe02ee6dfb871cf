package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/plinth-os/plinth/internal/updatechannel"
	"github.com/plinth-os/plinth/internal/updatectl"
	"github.com/plinth-os/plinth/internal/updater"
)

// control answers the local update command (plinth-update, and the
// management interface to come) on updatectl's socket.
type control struct {
	u       *updater.Updater
	channel *updater.Channel // nil: the product has no channel
	client  *http.Client     // for bundles given by URL
}

// serveControl listens on the control socket until ctx ends.
func (a *appliance) serveControl(ctx context.Context, c *control) {
	l, err := updatectl.Listen(a.paths.ControlSocket)
	if err != nil {
		a.say("Updates: no local control: %v", err)
		return
	}
	if err := updatectl.Serve(ctx, l, c.handle); err != nil {
		a.say("Updates: local control: %v", err)
	}
}

// handle carries out one request of the local command.
func (c *control) handle(ctx context.Context, req updatectl.Request, w io.Writer) error {
	if req.Check {
		if c.channel == nil {
			return errors.New("this product has no update channel (plinth.yaml updates: channel:)")
		}
		fmt.Fprintf(w, "Checking %s\n", c.channel.URL)
		return c.u.CheckChannel(ctx, *c.channel)
	}
	r, err := c.open(ctx, req.Apply)
	if err != nil {
		return err
	}
	defer r.Close()
	staged := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- c.u.ApplyThen(r, req.Apply, func(v string) { staged <- v }) }()
	select {
	case v := <-staged:
		fmt.Fprintf(w, "%s is staged; the appliance reboots into it once and keeps it if its services are healthy\n", v)
		return nil
	case err := <-done:
		return err
	}
}

// open opens a bundle given as a path or an http(s) URL.
func (c *control) open(ctx context.Context, src string) (io.ReadCloser, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return os.Open(src)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &updatechannel.StatusError{URL: src, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return resp.Body, nil
}
