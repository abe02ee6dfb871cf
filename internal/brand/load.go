package brand

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Load reads a brand directory: brand.json and logo.png, both optional
// (see LoadFS). The directory itself must exist, so a mistyped -brand is
// an error rather than a silent default.
func Load(dir string) (Brand, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Brand{}, fmt.Errorf("brand directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return Brand{}, fmt.Errorf("brand directory %s is not a directory: give the directory that holds %s and %s", dir, JSONFile, LogoFile)
	}
	return load(os.DirFS(dir), func(name string) string { return filepath.Join(dir, name) })
}

// LoadFS reads a brand from the root of fsys, as the target does with
// os.DirFS(Dir). Missing files take the default's values: without
// brand.json every key is the default's, and a missing key in it too;
// without logo.png the logo is the default mark drawn in the brand's
// accent colour. Unknown keys, colours not of the form #rrggbb, a
// foreground that is hard to read on the background, and logos that are
// not PNG or are over MaxLogoSide pixels or MaxLogoBytes bytes are errors.
func LoadFS(fsys fs.FS) (Brand, error) {
	return load(fsys, func(name string) string { return name })
}

func load(fsys fs.FS, where func(string) string) (Brand, error) {
	b := Default()
	data, err := readLimited(fsys, JSONFile, MaxJSONBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return Brand{}, fmt.Errorf("%s: %w", where(JSONFile), err)
	default:
		if err := b.applyJSON(data); err != nil {
			return Brand{}, fmt.Errorf("%s: %w", where(JSONFile), err)
		}
	}
	data, err = readLimited(fsys, LogoFile, MaxLogoBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b.Logo = Mark(b.Accent, defaultLogoDim)
	case err != nil:
		return Brand{}, fmt.Errorf("%s: %w", where(LogoFile), err)
	default:
		if b.Logo, err = decodeLogo(data); err != nil {
			return Brand{}, fmt.Errorf("%s: %w", where(LogoFile), err)
		}
	}
	if err := b.Validate(); err != nil {
		return Brand{}, fmt.Errorf("%s: %w", where(JSONFile), err)
	}
	return b, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than the limit of %s: make it smaller", sizeText(limit))
	}
	return data, nil
}

func sizeText(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// applyJSON sets the keys brand.json has.
func (b *Brand) applyJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileJSON
	if err := dec.Decode(&f); err != nil {
		if k, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("unknown key %s: the keys are product, background, foreground and accent", k)
		}
		return fmt.Errorf("not a JSON object of the form {\"product\": \"Acme DB\", \"background\": \"#102030\", ...}: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("more than one JSON value: the file must hold a single object")
	}
	if f.Product != nil {
		b.Product = *f.Product
		if err := checkProduct(b.Product); err != nil {
			return fmt.Errorf("\"product\": %w", err)
		}
	}
	for _, c := range []struct {
		key string
		val *string
		dst *color.RGBA
	}{{"background", f.Background, &b.Background}, {"foreground", f.Foreground, &b.Foreground}, {"accent", f.Accent, &b.Accent}} {
		if c.val == nil {
			continue
		}
		col, err := ParseHex(*c.val)
		if err != nil {
			return fmt.Errorf("%q: %w", c.key, err)
		}
		*c.dst = col
	}
	return nil
}

// decodeLogo decodes a PNG logo after checking its header, so an
// oversized image is refused before it is decompressed.
func decodeLogo(data []byte) (image.Image, error) {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, fmt.Errorf("not a PNG%s: convert the logo to PNG (transparent background recommended)", sniff(data))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("broken PNG: %w: export the logo again", err)
	}
	if err := checkLogoSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("broken PNG: %w: export the logo again", err)
	}
	return img, nil
}

// sniff names the format data looks like, for error messages.
func sniff(data []byte) string {
	for _, f := range []struct{ magic, name string }{
		{"\xff\xd8\xff", "JPEG"}, {"GIF8", "GIF"}, {"BM", "BMP"}, {"RIFF", "WebP"}, {"<?xml", "SVG"}, {"<svg", "SVG"},
	} {
		if strings.HasPrefix(string(data), f.magic) {
			return " (it looks like " + f.name + ")"
		}
	}
	if len(data) == 0 {
		return " (it is empty)"
	}
	return ""
}
