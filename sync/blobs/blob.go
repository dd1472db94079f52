// Package blobs is the photo service: receipts, invoices, signed service vouchers and job-site
// photos, addressed by the SHA-256 of their bytes (docs/photos.md). It verifies uploads while
// they stream (hash, real type, size), keeps each photo once in object storage, extracts the
// GPS position from EXIF, makes thumbnails, decides who may read a photo, tells the sync rules
// which photos are still missing (photosPending) and who claimed a photo first (R16), and
// removes photos that no record refers to after the retention window.
//
// It is storage-agnostic: the object store, the metadata collection, the record queries and the
// sync engine come in through the small interfaces of this file (implementations:
// sync/blobs/s3objects, sync/mongostore.Blobs and Records, sync.Engine).
package blobs

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// Object keys. Originals live under OriginalKey, thumbnails under ThumbnailKey; PUT uploads
// stream into a key under TempPrefix first and the tus uploads keep their state under TusPrefix
// (both are swept by the janitor when abandoned).
const (
	originalPrefix  = "blobs/"
	thumbnailPrefix = "thumbs/"
	TempPrefix      = "uploads/"
	TusPrefix       = "tus/"
)

// OriginalKey is the object key of the photo with hash h: "blobs/<sha256>".
func OriginalKey(h string) string { return originalPrefix + h }

// ThumbnailKey is the object key of the JPEG thumbnail of h at width w: "thumbs/<sha256>/w<w>.jpg".
func ThumbnailKey(h string, w int) string {
	return thumbnailPrefix + h + "/w" + strconv.Itoa(w) + ".jpg"
}

// The content types a photo may have, as sniffed from its first bytes (never from the
// Content-Type the client sends).
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
	TypeHEIC = "image/heic"
	TypeHEIF = "image/heif"
	TypePDF  = "application/pdf"
)

// Blob is what the server knows about one stored photo. Hash is the SHA-256 (lowercase hex) of
// its bytes; Size is in bytes; ContentType is one of the Type constants. Uploader and Team are the
// user id and team id of whoever uploaded it first. GPS is the position in its EXIF, when it has
// one. Referenced says whether a record referred to it at the last check, LastReferencedAt when
// (zero when never); IdleSince is when the retention window of an unreferenced photo started
// counting (the upload, or the last time a record was seen referring to it).
type Blob struct {
	Hash             string
	Size             int64
	ContentType      string
	Uploader         string
	Team             string
	CreatedAt        time.Time
	GPS              *GPS
	Referenced       bool
	LastReferencedAt time.Time
	IdleSince        time.Time
}

// GPS is a position in decimal degrees (WGS 84), north and east positive.
type GPS struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Object describes a stored object: its key, size in bytes, content type and last change.
type Object struct {
	Key         string
	Size        int64
	ContentType string
	Modified    time.Time
}

// Objects is the object storage (sync/blobs/s3objects over sync/objectstore). Every error wraps a
// domain error: domain.ErrNotFound for a missing key, domain.ErrUnavailable when the server is
// down; a failing reader's own error is returned as it is.
type Objects interface {
	// Put stores r under key: size bytes, or -1 when unknown. contentType is recorded.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Copy copies the object src to dst inside the store (no bytes through this process).
	Copy(ctx context.Context, src, dst string) error
	// Get opens key for reading; the caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, Object, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every object under prefix, in key order, until fn returns an error.
	List(ctx context.Context, prefix string, fn func(Object) error) error
	// AbortUploads aborts the incomplete multipart uploads under prefix started before cutoff
	// and returns how many.
	AbortUploads(ctx context.Context, prefix string, cutoff time.Time) (int, error)
}

// Meta is the blob metadata collection (sync/mongostore.Blobs), one document per photo keyed by
// its hash. Errors wrap domain errors (not found, unavailable).
type Meta interface {
	// Get returns the blob h. Errors: domain.ErrNotFound.
	Get(ctx context.Context, h string) (Blob, error)
	// Existing returns those of hashes that are stored, in no particular order.
	Existing(ctx context.Context, hashes []string) ([]string, error)
	// Insert stores b unless a blob with its hash exists; it reports whether it inserted.
	Insert(ctx context.Context, b Blob) (bool, error)
	// MarkReferenced records that a record referred to h at: Referenced, LastReferencedAt and
	// IdleSince become at.
	MarkReferenced(ctx context.Context, h string, at time.Time) error
	// IdleBefore returns up to limit blobs whose IdleSince is before cutoff, oldest first.
	IdleBefore(ctx context.Context, cutoff time.Time, limit int) ([]Blob, error)
	// Delete removes the metadata of h; a missing one is not an error.
	Delete(ctx context.Context, h string) error
}

// PendingRecord is a record whose computed photosPending lists Pending.
type PendingRecord struct {
	Key     sync.RecordKey
	Pending []string
}

// Records are the questions the service asks about synced records (sync/mongostore.Records).
type Records interface {
	// PhotoVisible reports whether a live record whose audience shares one of tokens refers to h.
	PhotoVisible(ctx context.Context, h string, tokens []string) (bool, error)
	// Referring returns up to limit records (tombstones included) that refer to h.
	Referring(ctx context.Context, h string, limit int) ([]sync.RecordKey, error)
	// Claims returns up to limit live records of collections that refer to h, earliest created
	// first (ties by collection, then id).
	Claims(ctx context.Context, h string, collections []string, limit int) ([]sync.PhotoClaim, error)
	// PendingPhotos returns up to limit records whose photosPending is not empty.
	PendingPhotos(ctx context.Context, limit int) ([]PendingRecord, error)
	// SharedPhotos returns, for every photo referred to by more than one live record of
	// collections, the records that refer to it.
	SharedPhotos(ctx context.Context, collections []string) (map[string][]sync.RecordKey, error)
}

// Claims are exclusive, expiring claims shared by every server instance
// (UploadLocks): whoever writes to a photo's address, or removes it, holds the
// claim on the photo's hash for that time.
type Claims interface {
	// Claim takes the claim named name and returns its release. With wait it waits while
	// somebody else holds it (until ctx ends); without, it reports false at once.
	Claim(ctx context.Context, name string, wait bool) (release func(), ok bool, err error)
}

// Refresher derives records again and writes those whose derived state changed
// (sync.Engine.Refresh), so that the next pull delivers them.
type Refresher interface {
	Refresh(ctx context.Context, p domain.Principal, keys []sync.RecordKey) (int, error)
}

// ServerPrincipal is who the service acts as when it refreshes records after a photo arrived: the
// server itself, with the admin role (it writes no field a client wrote; only derived state moves).
var ServerPrincipal = domain.Principal{UserID: "fieldsync", Username: "(server)", Role: domain.RoleAdmin}
