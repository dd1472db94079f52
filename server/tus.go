package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/blobs"
)

// Resumable uploads: the tus protocol v1 (https://tus.io), served by tusd under /v1/uploads/
// (docs/photos.md). A phone creates an upload with POST /v1/uploads/ (Upload-Length,
// Upload-Metadata "sha256 <base64 of the hex hash>"), sends PATCHes, and after a cut asks HEAD
// for the offset and resumes from there. The bytes and the upload's state live in the object
// store (tusd's s3store: an info object and an S3 multipart upload), the locks in the database:
// any instance behind the load balancer can take the next request. When the last byte arrives
// the upload is checked like a PUT (hash, type, size) and becomes the photo at its address;
// the tus upload is then removed.

// UploadStore is tusd's data store with termination (s3store.S3Store; sync/blobs/s3objects).
type UploadStore interface {
	tusd.DataStore
	tusd.TerminaterDataStore
}

// Uploads is what the tus endpoint needs: where uploads live and how they are locked.
type Uploads struct {
	// Store keeps the uploads in the object store (s3objects.TusStore).
	Store UploadStore
	// Locker locks an upload across every instance (NewUploadLocker over
	// sync/blobs.UploadLocks).
	Locker tusd.Locker
}

// UploadLock is one upload's lock (sync/blobs.UploadLock).
type UploadLock interface {
	Lock(ctx context.Context, requestUnlock func()) error
	Unlock() error
}

// NewUploadLocker makes a tusd Locker of newLock (e.g. (*blobs.UploadLocks).NewLock). A
// lock whose Lock fails because its context ended reports tusd.ErrLockTimeout, as tusd expects.
func NewUploadLocker[L UploadLock](newLock func(id string) L) tusd.Locker {
	return lockerFunc(func(id string) (tusd.Lock, error) { return timeoutLock{newLock(id)}, nil })
}

type lockerFunc func(id string) (tusd.Lock, error)

func (f lockerFunc) NewLock(id string) (tusd.Lock, error) { return f(id) }

type timeoutLock struct{ UploadLock }

func (l timeoutLock) Lock(ctx context.Context, requestUnlock func()) error {
	err := l.UploadLock.Lock(ctx, requestUnlock)
	if err != nil && ctx.Err() != nil {
		return tusd.ErrLockTimeout
	}
	return err
}

// Upload-Metadata keys: the client sends sha256; the server sets uploader and team, whatever the
// client sent under those names.
const (
	tusMetaSHA256   = "sha256"
	tusMetaUploader = "uploader"
	tusMetaTeam     = "team"
)

type tusPrincipalKey struct{}

func tusPrincipal(ctx context.Context) domain.Principal {
	p, _ := ctx.Value(tusPrincipalKey{}).(domain.Principal)
	return p
}

// tusRoutes mounts tusd under /v1/uploads/, behind requireAuth.
func (s *Server) tusRoutes() {
	composer := tusd.NewStoreComposer()
	owned := ownedUploads{s.deps.Uploads.Store}
	composer.UseCore(owned)
	composer.UseTerminater(owned)
	composer.UseLocker(s.deps.Uploads.Locker)
	h, err := tusd.NewHandler(tusd.Config{
		StoreComposer:             composer,
		BasePath:                  "/v1/uploads/",
		MaxSize:                   s.deps.Blobs.MaxBytes(),
		DisableDownload:           true,
		DisableConcatenation:      true,
		Cors:                      &tusd.CorsConfig{Disable: true},
		Logger:                    tusLogger(s.cfg.Logger),
		PreUploadCreateCallback:   s.tusCreate,
		PreFinishResponseCallback: s.tusFinish,
	})
	if err != nil { // a static configuration: only a programming error gets here
		panic("tusd configuration: " + err.Error())
	}
	serve := func(c *fiber.Ctx) error {
		ctx := context.WithValue(c.UserContext(), tusPrincipalKey{}, principalOf(c))
		if err := serveHTTP(c, ctx, http.StripPrefix("/v1/uploads", h)); err != nil {
			return err
		}
		return s.tusErrorBody(c)
	}
	s.app.All("/v1/uploads", s.requireAuth, serve)
	s.app.All("/v1/uploads/*", s.requireAuth, serve)
}

// tusCreate checks a new upload: a well-formed sha256 in its metadata, a length within the photo
// limit; it records who uploads.
func (s *Server) tusCreate(hook tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	p := tusPrincipal(hook.Context)
	h := hook.Upload.MetaData[tusMetaSHA256]
	if err := blobs.CheckHash(h); err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, s.tusError(hook, err)
	}
	if limit := s.deps.Blobs.MaxBytes(); hook.Upload.Size > limit {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, s.tusError(hook,
			domain.Errorf(domain.CodeTooLarge, "a photo holds at most %d bytes", limit))
	}
	meta := tusd.MetaData{tusMetaSHA256: h, tusMetaUploader: p.UserID, tusMetaTeam: p.TeamID}
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{MetaData: meta}, nil
}

// tusFinish turns the finished upload into the photo at its address (blobs.Service.Adopt) and
// removes the tus upload, whatever the outcome: a refused upload is gone, and after a store
// outage the phone, finding the upload gone, starts it again.
func (s *Server) tusFinish(hook tusd.HookEvent) (tusd.HTTPResponse, error) {
	p := tusPrincipal(hook.Context)
	info := hook.Upload
	_, created, err := s.deps.Blobs.Adopt(hook.Context, p, info.MetaData[tusMetaSHA256], info.Storage["Key"])
	if terr := s.terminateUpload(hook.Context, info.ID); terr != nil {
		s.cfg.Logger.Warn("remove a finished upload", slog.String("upload", info.ID), slog.String("error", terr.Error()))
	}
	if err != nil {
		return tusd.HTTPResponse{}, s.tusError(hook, err)
	}
	created2 := "false"
	if created {
		created2 = "true"
	}
	return tusd.HTTPResponse{Header: tusd.HTTPHeader{"Fieldsync-Photo-Created": created2}}, nil
}

func (s *Server) terminateUpload(ctx context.Context, id string) error {
	ctx = context.WithoutCancel(ctx)
	up, err := s.deps.Uploads.Store.GetUpload(ctx, id)
	if err != nil {
		return err
	}
	return s.deps.Uploads.Store.AsTerminatableUpload(up).Terminate(ctx)
}

// tusError is a domain error as a tusd error whose response is our error body.
func (s *Server) tusError(hook tusd.HookEvent, err error) error {
	code := domain.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	rid := hook.HTTPRequest.Header.Get(fiber.HeaderXRequestID)
	if code == domain.CodeInternal {
		s.cfg.Logger.Error("internal error", slog.String("requestId", rid), slog.String("route", "/v1/uploads/*"),
			slog.String("error", err.Error()))
	}
	body, _ := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: domain.ErrorMessage(err),
		Fields: domain.ErrorFields(err), RequestID: rid}})
	return tusd.Error{ErrorCode: string(code), Message: domain.ErrorMessage(err), HTTPResponse: tusd.HTTPResponse{
		StatusCode: status, Body: string(body), Header: tusd.HTTPHeader{fiber.HeaderContentType: fiber.MIMEApplicationJSON}}}
}

// tusErrorBody rewrites tusd's own plain-text errors ("ERR_UPLOAD_NOT_FOUND: upload not
// found") into our error body, keeping tusd's status.
func (s *Server) tusErrorBody(c *fiber.Ctx) error {
	status := c.Response().StatusCode()
	if status < 400 || strings.HasPrefix(string(c.Response().Header.ContentType()), fiber.MIMEApplicationJSON) {
		return nil
	}
	code, ok := codeOfStatus[status]
	switch {
	case ok:
	case status == http.StatusLocked || status == http.StatusPreconditionFailed:
		code = domain.CodeConflict
	case status < 500:
		code = domain.CodeInvalid
	default:
		code = domain.CodeInternal
	}
	msg := strings.TrimSpace(string(c.Response().Body()))
	if code == domain.CodeInternal {
		s.cfg.Logger.Error("internal error", slog.String("requestId", requestIDOf(c)), slog.String("route", "/v1/uploads/*"),
			slog.String("error", msg))
		msg = "internal error"
	}
	c.Response().ResetBody()
	return c.Status(status).JSON(errorBody{Error: errorDetail{Code: code, Message: msg, RequestID: requestIDOf(c)}})
}

// ownedUploads lets a user reach only their own uploads: an upload of somebody else answers as
// one that does not exist.
type ownedUploads struct{ UploadStore }

func (o ownedUploads) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	up, err := o.UploadStore.GetUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	info, err := up.GetInfo(ctx)
	if errors.Is(err, tusd.ErrNotFound) {
		return nil, tusd.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if p := tusPrincipal(ctx); p.UserID == "" || info.MetaData[tusMetaUploader] != p.UserID {
		return nil, tusd.ErrNotFound
	}
	return up, nil
}
