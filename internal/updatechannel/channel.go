package updatechannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/plinth-os/plinth/internal/fielderr"
	"github.com/plinth-os/plinth/internal/strictjson"
)

const (
	// MaxSize is the largest bundle a channel may name, 64 GiB: far more
	// than a runtime image needs, and a bound on what a wrong or forged
	// channel file can make an appliance write to its disk.
	MaxSize int64 = 64 << 30
	// MaxFileSize is the largest channel file Check reads.
	MaxFileSize = 64 << 10
	// maxTextLen bounds product and version, in bytes (as package bundle
	// bounds them in a manifest).
	maxTextLen = 128
)

// Channel is a channel file: the latest version of a product and where
// its bundle is. See the package documentation for the rules.
type Channel struct {
	// Product is the product's name.
	Product string `json:"product"`
	// Version is the latest version of the product.
	Version string `json:"version"`
	// URL is where the bundle is. Parse and Check make it absolute.
	URL string `json:"url"`
	// Size is the bundle file's length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the SHA-256 of the bundle file, in lowercase hex.
	SHA256 string `json:"sha256"`
}

// Marshal returns ch as a channel file, after checking it; ch.URL may be
// relative (to where the channel file will be published).
func Marshal(ch Channel) ([]byte, error) {
	if field, msg := ch.problem(nil); field != "" {
		return nil, fmt.Errorf("updatechannel: %w", &fielderr.Error{File: "channel file", Field: field, Message: msg})
	}
	b, err := strictjson.Encode(ch)
	if err != nil {
		return nil, fmt.Errorf("updatechannel: encode channel file: %w", err)
	}
	return b, nil
}

// Parse decodes and checks a channel file that was served from
// channelURL, and resolves the bundle's URL against channelURL.
func Parse(data []byte, channelURL string) (Channel, error) {
	base, err := httpURL(channelURL)
	if err != nil {
		return Channel{}, fmt.Errorf("updatechannel: channel URL %q: %w", channelURL, err)
	}
	var ch Channel
	if err := strictjson.Decode(data, &ch); err != nil {
		return Channel{}, fmt.Errorf("updatechannel: channel file %s: %w", channelURL, err)
	}
	if field, msg := ch.problem(base); field != "" {
		return Channel{}, fmt.Errorf("updatechannel: %w", &fielderr.Error{File: "channel file " + channelURL, Field: field, Message: msg})
	}
	u, _ := url.Parse(ch.URL) // problem parsed it
	ch.URL = base.ResolveReference(u).String()
	return ch, nil
}

// Check fetches the channel file at channelURL and returns it, its
// bundle URL made absolute. It makes one request: the caller polls, and
// a failed check is simply tried again at the next poll. A nil client
// means NewClient(nil).
func Check(ctx context.Context, client *http.Client, channelURL string) (Channel, error) {
	if _, err := httpURL(channelURL); err != nil {
		return Channel{}, fmt.Errorf("updatechannel: channel URL %q: %w", channelURL, err)
	}
	client, err := orDefault(client)
	if err != nil {
		return Channel{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, channelURL, nil)
	if err != nil {
		return Channel{}, fmt.Errorf("updatechannel: check %s: %w", channelURL, err)
	}
	req.Header.Set("Accept", "application/json")
	// A CDN may cache the file: ask it to revalidate, so that a new
	// version is seen at the next poll rather than when the cache expires.
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := client.Do(req)
	if err != nil {
		return Channel{}, fmt.Errorf("updatechannel: check %s: %w", channelURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Channel{}, fmt.Errorf("updatechannel: %w", &StatusError{URL: channelURL, StatusCode: resp.StatusCode, Status: resp.Status, channel: true})
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFileSize+1))
	if err != nil {
		return Channel{}, fmt.Errorf("updatechannel: check %s: read: %w", channelURL, err)
	}
	if len(data) > MaxFileSize {
		return Channel{}, fmt.Errorf("updatechannel: check %s: the channel file is larger than %d bytes: not a channel file", channelURL, MaxFileSize)
	}
	return Parse(data, resp.Request.URL.String())
}

func orDefault(client *http.Client) (*http.Client, error) {
	if client != nil {
		return client, nil
	}
	return NewClient(nil)
}

// problem returns the first field of ch that breaks the rules and what
// is wrong with it, or "" when ch is good. With a nil base, a relative
// URL is accepted as it is.
func (ch Channel) problem(base *url.URL) (field, msg string) {
	if msg := text(ch.Product, true); msg != "" {
		return "product", msg
	}
	if msg := text(ch.Version, false); msg != "" {
		return "version", msg
	}
	if msg := bundleURL(ch.URL, base); msg != "" {
		return "url", msg
	}
	switch {
	case ch.Size <= 0:
		return "size", fmt.Sprintf("%d: want the bundle's length in bytes, more than 0", ch.Size)
	case ch.Size > MaxSize:
		return "size", fmt.Sprintf("%d bytes is more than the largest bundle allowed, %d (64 GiB)", ch.Size, MaxSize)
	}
	if !isDigest(ch.SHA256) {
		return "sha256", fmt.Sprintf("%q: want 64 lowercase hex digits", ch.SHA256)
	}
	return "", ""
}

// text checks product and version: not empty, not too long, printable;
// spaces only where allowed.
func text(s string, spaces bool) string {
	switch {
	case s == "":
		return "missing or empty"
	case len(s) > maxTextLen:
		return fmt.Sprintf("longer than %d bytes", maxTextLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || (!spaces && unicode.IsSpace(r)) {
			return fmt.Sprintf("%q: character %q not allowed", s, r)
		}
	}
	return ""
}

// bundleURL checks the url field, resolved against base if base is set.
func bundleURL(s string, base *url.URL) string {
	if s == "" {
		return "missing or empty: the channel must say where the bundle is"
	}
	u, err := url.Parse(s)
	if err != nil {
		return err.Error()
	}
	if base != nil {
		u = base.ResolveReference(u)
	} else if !u.IsAbs() {
		return "" // relative: resolved when the channel file is read
	}
	if err := checkHTTP(u); err != nil {
		return fmt.Sprintf("%q: %v", s, err)
	}
	return ""
}

func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// httpURL parses an absolute http or https URL.
func httpURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	return u, checkHTTP(u)
}

func checkHTTP(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}
