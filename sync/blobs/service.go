package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
)

// MaxMissingQuery is the most hashes one Missing call may ask about.
const MaxMissingQuery = 1000

// maxRefresh is the most records refreshed when one photo arrives.
const maxRefresh = 1000

// afterUploadTimeout bounds the work done after a photo is stored (refreshing the records that
// wait for it), which runs even when the client has gone.
const afterUploadTimeout = 30 * time.Second

// Config wires a Service.
type Config struct {
	Objects Objects
	Meta    Meta
	Records Records
	// Claims serialize the writers of one photo's address across instances. With them an upload
	// streams straight to its address when nobody else uploads the same photo (one write); nil,
	// or a concurrent upload of the same photo, goes through a temporary object and a copy.
	Claims Claims
	// Engine re-derives the records that refer to a photo when it arrives (photosPending); nil
	// skips it.
	Engine Refresher
	// Policy returns the policy in force (MaxPhotoBytes, OrphanPhotoRetentionDays);
	// domain.DefaultPolicy when nil.
	Policy func() domain.Policy
	// Logger receives what goes wrong after an upload already succeeded; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ThumbnailSlots is how many thumbnails may be rendered at once (decoding a 12-megapixel
	// photo takes ~50 MB and most of a core); 2 when zero.
	ThumbnailSlots int
}

// Service is the photo service. It is safe for concurrent use and keeps no state of its own
// between calls: several server instances may share the stores.
type Service struct {
	cfg   Config
	slots chan struct{} // thumbnail rendering slots
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Policy == nil {
		cfg.Policy = domain.DefaultPolicy
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ThumbnailSlots <= 0 {
		cfg.ThumbnailSlots = 2
	}
	return &Service{cfg: cfg, slots: make(chan struct{}, cfg.ThumbnailSlots)}
}

// MaxBytes returns the size limit of one photo in bytes (Policy.MaxPhotoBytes).
func (s *Service) MaxBytes() int64 { return s.cfg.Policy().MaxPhotoBytes }

// Lookup returns the answers the sync rules need about photos (sync.PhotoLookup).
func (s *Service) Lookup() Lookup { return Lookup{Meta: s.cfg.Meta, Records: s.cfg.Records} }

// Missing returns, in the order given and without repeats, those of hashes that the server does
// not hold. Errors: invalid when a hash is not a SHA-256 in lowercase hex (Fields names it,
// "hashes[2]") or when there are more than MaxMissingQuery; unavailable.
func (s *Service) Missing(ctx context.Context, hashes []string) ([]string, error) {
	if len(hashes) > MaxMissingQuery {
		return nil, domain.Invalid(fmt.Sprintf("ask about at most %d hashes at once", MaxMissingQuery),
			map[string]string{"hashes": fmt.Sprintf("max=%d", MaxMissingQuery)})
	}
	bad := map[string]string{}
	for i, h := range hashes {
		if !domain.IsSHA256Hex(h) && len(bad) < 32 {
			bad[fmt.Sprintf("hashes[%d]", i)] = FieldNotSHA256
		}
	}
	if len(bad) > 0 {
		return nil, domain.Invalid("a photo is addressed by the SHA-256 of its bytes: 64 lowercase hex digits", bad)
	}
	return s.Lookup().Missing(ctx, hashes)
}

// Put stores the photo read from body under its address h, for p. size is the body's declared
// length in bytes, or -1 when unknown. It reports whether the photo is new (false: the server
// had it already, and body was not read at all).
//
// The bytes stream into object storage while they are hashed and counted; the first bytes
// decide the type. The upload holding the photo's claim (Config.Claims) streams straight to the
// address; another upload of the same photo meanwhile streams to a temporary object that is
// copied there (under the claim) only when its hash matches. An object whose bytes do not match
// h is deleted: no photo exists until its metadata does, and only verified bytes get metadata.
// Then the records waiting for the photo are refreshed.
//
// Errors (nothing is kept after any of them): invalid when h is malformed (Fields "sha256":
// "sha256"), the bytes hash to something else ("sha256": "hash_mismatch") or the body ended
// early ("body": "incomplete"); unsupported when the bytes are not a JPEG, PNG, WebP, HEIC/HEIF
// or PDF, whatever the client called them; too_large beyond Policy.MaxPhotoBytes, as soon as
// that is known (at once for a declared size); unavailable; the body's own read error.
func (s *Service) Put(ctx context.Context, p domain.Principal, h string, body io.Reader, size int64) (Blob, bool, error) {
	if err := CheckHash(h); err != nil {
		return Blob{}, false, err
	}
	if b, err := s.cfg.Meta.Get(ctx, h); err == nil {
		return b, false, nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return Blob{}, false, err
	}
	limit := s.MaxBytes()
	if size > limit {
		return Blob{}, false, tooLarge(limit)
	}
	in, head, contentType, err := inspect(body, limit)
	if err != nil {
		return Blob{}, false, err
	}
	release, claimed, err := s.claim(ctx, h, false)
	if err != nil {
		return Blob{}, false, err
	}
	defer release()
	if claimed {
		// An upload of the same photo may have finished since the check above.
		if b, err := s.cfg.Meta.Get(ctx, h); err == nil {
			return b, false, nil
		} else if !errors.Is(err, domain.ErrNotFound) {
			return Blob{}, false, err
		}
	}
	key := OriginalKey(h)
	if !claimed {
		key = TempPrefix + uuid.NewString()
		defer s.deleteQuietly(ctx, key)
	}
	if size < 0 {
		size = -1
	}
	err = s.cfg.Objects.Put(ctx, key, io.MultiReader(bytes.NewReader(head), in), size, contentType)
	if err == nil {
		err = checkHash(h, in.hash())
	} else {
		err = in.readErr(limit, err)
	}
	if err != nil {
		if claimed {
			s.deleteQuietly(ctx, key) // unverified bytes at the address: no metadata, never served
		}
		return Blob{}, false, err
	}
	return s.commit(ctx, p, h, key, claimed, in.n, contentType, gpsOf(contentType, in.prefixReader()))
}

// claim takes the claim on the address of h (see Config.Claims); without Claims it reports not
// claimed, and a release that does nothing.
func (s *Service) claim(ctx context.Context, h string, wait bool) (func(), bool, error) {
	if s.cfg.Claims == nil {
		return func() {}, false, nil
	}
	return s.cfg.Claims.Claim(ctx, "blob/"+h, wait)
}

// Adopt makes the finished upload stored under key (a tus upload) the photo h of p, after the
// same checks as Put: it reads the object back, hashes and sniffs it, and copies it to its
// address. The caller removes key afterwards, whatever the outcome. It reports whether the photo
// is new. Errors as in Put; not_found when key does not exist.
func (s *Service) Adopt(ctx context.Context, p domain.Principal, h, key string) (Blob, bool, error) {
	if err := CheckHash(h); err != nil {
		return Blob{}, false, err
	}
	if b, err := s.cfg.Meta.Get(ctx, h); err == nil {
		return b, false, nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return Blob{}, false, err
	}
	limit := s.MaxBytes()
	rc, obj, err := s.cfg.Objects.Get(ctx, key)
	if err != nil {
		return Blob{}, false, err
	}
	defer rc.Close()
	if obj.Size > limit {
		return Blob{}, false, tooLarge(limit)
	}
	in, _, contentType, err := inspect(rc, limit)
	if err != nil {
		return Blob{}, false, err
	}
	if _, err := io.Copy(io.Discard, in); err != nil {
		return Blob{}, false, in.readErr(limit, err)
	}
	if err := checkHash(h, in.hash()); err != nil {
		return Blob{}, false, err
	}
	return s.commit(ctx, p, h, key, false, in.n, contentType, gpsOf(contentType, in.prefixReader()))
}

// commit makes the verified object src the photo h: unless it is already at the address (atAddress:
// written there under the claim), it takes the claim and copies it there — unless a concurrent
// upload of the same photo finished meanwhile. Then it records the metadata and refreshes the
// records that wait for the photo.
func (s *Service) commit(ctx context.Context, p domain.Principal, h, src string, atAddress bool, size int64, contentType string, gps *GPS) (Blob, bool, error) {
	if !atAddress {
		release, _, err := s.claim(ctx, h, true)
		if err != nil {
			return Blob{}, false, err
		}
		defer release()
		if b, err := s.cfg.Meta.Get(ctx, h); err == nil {
			return b, false, nil
		} else if !errors.Is(err, domain.ErrNotFound) {
			return Blob{}, false, err
		}
		if err := s.cfg.Objects.Copy(ctx, src, OriginalKey(h)); err != nil {
			return Blob{}, false, err
		}
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond) // as the database keeps it
	b := Blob{Hash: h, Size: size, ContentType: contentType, Uploader: p.UserID, Team: p.TeamID,
		CreatedAt: now, GPS: gps, IdleSince: now}
	created, err := s.cfg.Meta.Insert(ctx, b)
	if err != nil {
		return Blob{}, false, err
	}
	if !created {
		existing, err := s.cfg.Meta.Get(ctx, h)
		return existing, false, err
	}
	// The photo is stored: from here on a failure is logged, never returned. The janitor's
	// repair pass (Sweep) refreshes whatever this misses.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterUploadTimeout)
	defer cancel()
	if err := s.arrived(actx, h); err != nil {
		s.cfg.Logger.Warn("refresh the records of an arrived photo", slog.String("photo", h), slog.String("error", err.Error()))
	}
	return b, true, nil
}

// arrived refreshes the records that refer to h, so that their photosPending (and duplicateOf)
// are derived again and the next pull delivers them, and marks h referenced.
func (s *Service) arrived(ctx context.Context, h string) error {
	keys, err := s.cfg.Records.Referring(ctx, h, maxRefresh)
	if err != nil || len(keys) == 0 {
		return err
	}
	if err := s.cfg.Meta.MarkReferenced(ctx, h, s.cfg.Now().UTC()); err != nil {
		return err
	}
	if s.cfg.Engine == nil {
		return nil
	}
	_, err = s.cfg.Engine.Refresh(ctx, ServerPrincipal, keys)
	return err
}

// deleteQuietly removes key, even when ctx has ended, logging a failure (the janitor removes
// leftovers under TempPrefix later).
func (s *Service) deleteQuietly(ctx context.Context, key string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterUploadTimeout)
	defer cancel()
	if err := s.cfg.Objects.Delete(dctx, key); err != nil {
		s.cfg.Logger.Warn("delete a temporary upload", slog.String("key", key), slog.String("error", err.Error()))
	}
}
