// Package updatectl is the appliance's local update control: a Unix
// socket, root only, on which the appliance takes "apply this bundle"
// and "check the channel now", and the client the plinth-update command
// and a management interface use.
//
// Protocol: the client sends one JSON object on one line (Request); the
// server answers with lines of text for people, then one JSON object on
// the last line (Reply). An apply that succeeds ends with the appliance
// rebooting into the new version: the reply is sent before the reboot.
package updatectl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// SocketPath is where the appliance listens.
const SocketPath = "/run/plinth/update.sock"

// Request is what the client asks: exactly one of its fields.
type Request struct {
	// Apply is a bundle to apply: a path on the appliance (a mounted
	// stick, a file the management interface uploaded) or an http(s)
	// URL.
	Apply string `json:"apply,omitempty"`
	// Check asks for a check of the product's channel now.
	Check bool `json:"check,omitempty"`
}

// Reply ends every answer.
type Reply struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Handler carries out one request; what it writes to w reaches the
// client as it is written. Its error becomes the reply's.
type Handler func(ctx context.Context, req Request, w io.Writer) error

// Listen makes the socket at path (its directory 0700, the socket 0600:
// root only) and returns its listener.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("updatectl: %w", err)
	}
	os.Remove(path) // a socket left by an earlier boot's process
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("updatectl: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("updatectl: %w", err)
	}
	return l, nil
}

// Serve answers connections on l with h until ctx ends or l fails.
func Serve(ctx context.Context, l net.Listener, h Handler) error {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("updatectl: %w", err)
		}
		go serveConn(ctx, c, h)
	}
}

func serveConn(ctx context.Context, c net.Conn, h Handler) {
	defer c.Close()
	line, err := bufio.NewReader(io.LimitReader(c, 64<<10)).ReadBytes('\n')
	var req Request
	if err == nil {
		err = parseRequest(line, &req)
	}
	if err == nil {
		err = h(ctx, req, c)
	}
	reply := Reply{OK: err == nil}
	if err != nil {
		reply.Error = err.Error()
	}
	b, _ := json.Marshal(reply)
	c.Write(append(b, '\n'))
}

// parseRequest decodes and checks one request line.
func parseRequest(line []byte, req *Request) error {
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return fmt.Errorf("bad request: %w", err)
	}
	if (req.Apply == "") == !req.Check {
		return errors.New("bad request: give exactly one of apply and check")
	}
	return nil
}

// Do sends req to the appliance at socket and copies its text to out;
// the reply's error is returned.
func Do(ctx context.Context, socket string, req Request, out io.Writer) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return fmt.Errorf("updatectl: is the appliance running? %w", err)
	}
	defer c.Close()
	b, _ := json.Marshal(req)
	if _, err := c.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("updatectl: %w", err)
	}
	return readAnswer(bufio.NewReader(c), out)
}

// readAnswer copies the text lines to out and decodes the final reply.
func readAnswer(r *bufio.Reader, out io.Writer) error {
	var last []byte
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if last != nil {
				out.Write(last)
			}
			last = line
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("updatectl: %w", err)
		}
	}
	var reply Reply
	if err := json.Unmarshal(last, &reply); err != nil {
		if last != nil {
			out.Write(last)
		}
		return errors.New("updatectl: the connection ended without a reply (the appliance may be rebooting)")
	}
	if !reply.OK {
		return errors.New(reply.Error)
	}
	return nil
}
