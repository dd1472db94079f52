package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	_ "image/png" // decoders for image.Decode (imaging.Decode)
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp"

	"github.com/fieldsync/fieldsync/domain"
)

// ThumbnailWidths are the widths, in pixels, a thumbnail may have; DefaultThumbnailWidth is the
// one given when the client asks for none.
var ThumbnailWidths = []int{160, 320, 640, 1280}

// DefaultThumbnailWidth is the width of a thumbnail when none is asked for.
const DefaultThumbnailWidth = 320

// MaxDecodePixels is the largest photo, in pixels, a thumbnail is rendered from; bigger ones (and
// decompression bombs) get the placeholder. 50 MP covers the phones of the team (12–50 MP).
const MaxDecodePixels = 50_000_000

// thumbnailQuality is the JPEG quality of thumbnails.
const thumbnailQuality = 80

// CheckWidth returns nil when w is one of ThumbnailWidths, and an invalid error naming "w"
// otherwise.
func CheckWidth(w int) error {
	if slices.Contains(ThumbnailWidths, w) {
		return nil
	}
	names := make([]string, len(ThumbnailWidths))
	for i, x := range ThumbnailWidths {
		names[i] = strconv.Itoa(x)
	}
	return domain.Invalid("unsupported thumbnail width", map[string]string{"w": "oneof=" + strings.Join(names, " ")})
}

// Thumbnail returns the JPEG thumbnail of the photo h at width w for p (the caller closes it) and
// its size in bytes. A thumbnail is rendered once — EXIF orientation applied, no EXIF (no GPS) in
// the output, never wider than the photo — and kept in object storage. HEIC/HEIF and PDF, which
// no library here decodes, and photos above MaxDecodePixels or that fail to decode, get a
// generated placeholder. Errors: invalid for a width not in ThumbnailWidths; the errors of
// Readable; unavailable; the caller's context ending while waiting for a rendering slot.
func (s *Service) Thumbnail(ctx context.Context, p domain.Principal, h string, w int) (io.ReadCloser, int64, error) {
	if err := CheckWidth(w); err != nil {
		return nil, 0, err
	}
	b, err := s.Readable(ctx, p, h)
	if err != nil {
		return nil, 0, err
	}
	key := ThumbnailKey(h, w)
	if rc, obj, err := s.cached(ctx, key); err != nil || rc != nil {
		return rc, obj.Size, err
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("wait to render a thumbnail: %w", ctx.Err())
	}
	// Another request may have rendered it while this one waited.
	if rc, obj, err := s.cached(ctx, key); err != nil || rc != nil {
		return rc, obj.Size, err
	}
	out, err := s.render(ctx, b, w)
	if err != nil {
		return nil, 0, err
	}
	if err := s.cfg.Objects.Put(ctx, key, bytes.NewReader(out), int64(len(out)), TypeJPEG); err != nil {
		return nil, 0, err
	}
	return io.NopCloser(bytes.NewReader(out)), int64(len(out)), nil
}

// cached opens the stored thumbnail under key; a nil reader and nil error when there is none.
func (s *Service) cached(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	rc, obj, err := s.cfg.Objects.Get(ctx, key)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, Object{}, nil
	}
	return rc, obj, err
}

// render makes the thumbnail of b at width w, as JPEG bytes.
func (s *Service) render(ctx context.Context, b Blob, w int) ([]byte, error) {
	if b.ContentType != TypeJPEG && b.ContentType != TypePNG && b.ContentType != TypeWebP {
		return placeholder(w, b.ContentType)
	}
	rc, _, err := s.cfg.Objects.Get(ctx, OriginalKey(b.Hash))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rc, b.Size+1))
	_ = rc.Close()
	if err != nil {
		return nil, fmt.Errorf("read photo %s: %w", b.Hash, err)
	}
	img, ok := decode(data)
	if !ok {
		return placeholder(w, b.ContentType)
	}
	if img.Bounds().Dx() > w {
		img = imaging.Resize(img, w, 0, imaging.CatmullRom)
	}
	return encodeJPEG(img)
}

// decode decodes a JPEG, PNG or WebP with its EXIF orientation applied; false when it cannot or
// the picture is above MaxDecodePixels.
func decode(data []byte) (image.Image, bool) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxDecodePixels {
		return nil, false
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, false
	}
	return img, true
}

// encodeJPEG encodes img as a baseline JPEG. The standard encoder writes no APP segments: the
// output carries no EXIF, hence no GPS position.
func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: thumbnailQuality}); err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// placeholder draws the stand-in thumbnail of a photo that cannot be rendered: a light card
// (4:3) with a page outline, red-banded for a PDF, blue for HEIC/HEIF, grey for the rest.
func placeholder(w int, contentType string) ([]byte, error) {
	h := w * 3 / 4
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(r image.Rectangle, c color.Color) {
		draw.Draw(img, r, &image.Uniform{C: c}, image.Point{}, draw.Src)
	}
	fill(img.Bounds(), color.RGBA{R: 0xE5, G: 0xE7, B: 0xEB, A: 0xFF})
	page := image.Rect(w*3/8, h/6, w*5/8, h*5/6)
	fill(page, color.RGBA{R: 0x9C, G: 0xA3, B: 0xAF, A: 0xFF})
	fill(page.Inset(max(1, w/160)), color.White)
	accent := color.RGBA{R: 0x6B, G: 0x72, B: 0x80, A: 0xFF}
	switch {
	case contentType == TypePDF:
		accent = color.RGBA{R: 0xDC, G: 0x26, B: 0x26, A: 0xFF}
	case strings.HasPrefix(contentType, "image/hei"):
		accent = color.RGBA{R: 0x25, G: 0x63, B: 0xEB, A: 0xFF}
	}
	band := page.Inset(max(1, w/160))
	band.Min.Y = band.Max.Y - band.Dy()/4
	fill(band, accent)
	return encodeJPEG(img)
}
