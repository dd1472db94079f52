package server

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/blobs"
)

// BlobService is what the photo endpoints need (sync/blobs.Service); see docs/photos.md.
type BlobService interface {
	// MaxBytes is the size limit of one photo in bytes.
	MaxBytes() int64
	Missing(ctx context.Context, hashes []string) ([]string, error)
	Put(ctx context.Context, p domain.Principal, h string, body io.Reader, size int64) (blobs.Blob, bool, error)
	Adopt(ctx context.Context, p domain.Principal, h, key string) (blobs.Blob, bool, error)
	Readable(ctx context.Context, p domain.Principal, h string) (blobs.Blob, error)
	Open(ctx context.Context, p domain.Principal, h string) (io.ReadCloser, blobs.Blob, error)
	Thumbnail(ctx context.Context, p domain.Principal, h string, w int) (io.ReadCloser, int64, error)
	Details(ctx context.Context, p domain.Principal, h string) (blobs.Blob, error)
}

// blobCacheControl lets the console cache a photo for a year: its address is its content.
// private: it is a user's photo, never for shared caches.
const blobCacheControl = "private, max-age=31536000, immutable"

func (s *Server) blobRoutes() {
	g := s.app.Group("/v1/blobs", s.requireAuth)
	g.Post("/missing", s.missingBlobs)
	g.Put("/:sha256", s.putBlob)
	g.Get("/:sha256", s.getBlob)
	g.Get("/:sha256/thumbnail", s.getThumbnail)
	g.Get("/:sha256/meta", s.blobMeta)
	if s.deps.Uploads != nil {
		s.tusRoutes()
	}
}

// missingRequest is the body of POST /v1/blobs/missing.
type missingRequest struct {
	Hashes []string `json:"hashes" validate:"required"`
}

// missingResponse is {"missing": [...]}: never null.
type missingResponse struct {
	Missing []string `json:"missing"`
}

// blobJSON describes a stored photo: {"sha256","size","contentType","createdAt"}.
type blobJSON struct {
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"contentType"`
	CreatedAt   string `json:"createdAt"`
}

// blobDetailsJSON is what the leader sees of a photo: blobJSON plus who uploaded it, from which
// team, where it was taken (EXIF GPS, null when unknown) and whether a record refers to it.
type blobDetailsJSON struct {
	blobJSON
	Uploader         string     `json:"uploader"`
	Team             string     `json:"team"`
	GPS              *blobs.GPS `json:"gps"`
	Referenced       bool       `json:"referenced"`
	LastReferencedAt string     `json:"lastReferencedAt,omitempty"`
}

func toBlobJSON(b blobs.Blob) blobJSON {
	return blobJSON{SHA256: b.Hash, Size: b.Size, ContentType: b.ContentType, CreatedAt: b.CreatedAt.UTC().Format(time.RFC3339Nano)}
}

// missingBlobs handles POST /v1/blobs/missing {"hashes": [...]} → {"missing": [...]}: the
// photos a phone still has to upload (blobs.Service.Missing).
func (s *Server) missingBlobs(c *fiber.Ctx) error {
	var req missingRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	missing, err := s.deps.Blobs.Missing(c.UserContext(), req.Hashes)
	if err != nil {
		return err
	}
	if missing == nil {
		missing = []string{}
	}
	return c.JSON(missingResponse{Missing: missing})
}

// putBlob handles PUT /v1/blobs/{sha256} with the photo's bytes: 201 and the photo when it is
// new, 200 when the server had it (without reading the body), errors as in blobs.Service.Put.
// The Content-Type the client sends is ignored: the bytes decide.
func (s *Server) putBlob(c *fiber.Ctx) error {
	body := newRequestBody(c, bodyIdleTimeout)
	b, created, err := s.deps.Blobs.Put(c.UserContext(), principalOf(c), c.Params("sha256"), body, body.declared)
	body.finish(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, etagOf(b.Hash))
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(toBlobJSON(b))
}

// getBlob handles GET /v1/blobs/{sha256}: the original bytes with their sniffed Content-Type,
// ETag "<sha256>" and a year of private caching; If-None-Match answers 304 (after the access
// check). 404 not_found alike for a photo that does not exist and one the caller may not read.
func (s *Server) getBlob(c *fiber.Ctx) error {
	p, h := principalOf(c), c.Params("sha256")
	etag := etagOf(h)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		if _, err := s.deps.Blobs.Readable(c.UserContext(), p, h); err != nil {
			return err
		}
		return notModified(c, etag)
	}
	rc, b, err := s.deps.Blobs.Open(c.UserContext(), p, h)
	if err != nil {
		return err
	}
	setCacheHeaders(c, etag)
	c.Set(fiber.HeaderContentType, b.ContentType)
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+h+extensionOf(b.ContentType)+`"`)
	c.Context().SetBodyStream(rc, int(b.Size)) // fasthttp closes rc once sent
	return nil
}

// getThumbnail handles GET /v1/blobs/{sha256}/thumbnail?w=320: a JPEG (EXIF orientation
// applied, no EXIF kept), w one of blobs.ThumbnailWidths (default 320), ETag "<sha256>-w<w>".
func (s *Server) getThumbnail(c *fiber.Ctx) error {
	p, h := principalOf(c), c.Params("sha256")
	w := blobs.DefaultThumbnailWidth
	if v := c.Query("w"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return blobs.CheckWidth(-1)
		}
		w = n
	}
	if err := blobs.CheckWidth(w); err != nil {
		return err
	}
	etag := `"` + h + "-w" + strconv.Itoa(w) + `"`
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		if _, err := s.deps.Blobs.Readable(c.UserContext(), p, h); err != nil {
			return err
		}
		return notModified(c, etag)
	}
	rc, size, err := s.deps.Blobs.Thumbnail(c.UserContext(), p, h, w)
	if err != nil {
		return err
	}
	setCacheHeaders(c, etag)
	c.Set(fiber.HeaderContentType, blobs.TypeJPEG)
	c.Context().SetBodyStream(rc, int(size))
	return nil
}

// blobMeta handles GET /v1/blobs/{sha256}/meta for the leader of the uploader's team: size,
// type, uploader, team, GPS. 403 forbidden for others who may read the photo, 404 for the rest.
func (s *Server) blobMeta(c *fiber.Ctx) error {
	b, err := s.deps.Blobs.Details(c.UserContext(), principalOf(c), c.Params("sha256"))
	if err != nil {
		return err
	}
	out := blobDetailsJSON{blobJSON: toBlobJSON(b), Uploader: b.Uploader, Team: b.Team, GPS: b.GPS, Referenced: b.Referenced}
	if !b.LastReferencedAt.IsZero() {
		out.LastReferencedAt = b.LastReferencedAt.UTC().Format(time.RFC3339Nano)
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(out)
}

func etagOf(h string) string { return `"` + h + `"` }

// etagMatches reports whether an If-None-Match header names etag (or is "*"); weak validators
// match too (RFC 9110: If-None-Match uses the weak comparison).
func etagMatches(header, etag string) bool {
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}

func setCacheHeaders(c *fiber.Ctx, etag string) {
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, blobCacheControl)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
}

func notModified(c *fiber.Ctx, etag string) error {
	setCacheHeaders(c, etag)
	return c.SendStatus(fiber.StatusNotModified)
}

// extensionOf returns the file extension of a photo type, for Content-Disposition.
func extensionOf(contentType string) string {
	switch contentType {
	case blobs.TypeJPEG:
		return ".jpg"
	case blobs.TypePNG:
		return ".png"
	case blobs.TypeWebP:
		return ".webp"
	case blobs.TypePDF:
		return ".pdf"
	case blobs.TypeHEIF, "image/heif-sequence":
		return ".heif"
	}
	return ".heic"
}
