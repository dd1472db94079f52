package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// client talks to a running fieldsync over its public HTTP API (docs/*.md): nothing else. One
// client per signed-in device; it keeps the device's tokens and signs in again when the access
// token expires (15 minutes on the real clock).
type client struct {
	base     string // http://host:port
	http     *http.Client
	username string
	password string
	deviceID string
	access   string
	session  sessionJSON
}

// sessionJSON is the answer of POST /v1/auth/login.
type sessionJSON struct {
	AccessToken  string   `json:"accessToken"`
	RefreshToken string   `json:"refreshToken"`
	DeviceID     string   `json:"deviceId"`
	User         userJSON `json:"user"`
}

// userJSON is a user as the API shows it.
type userJSON struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	DisplayName   string `json:"displayName"`
	Role          string `json:"role"`
	TeamID        string `json:"teamId"`
	HireDate      string `json:"hireDate"`
	Grade         string `json:"grade"`
	MonthlyPayFen int64  `json:"monthlyPayFen"`
}

// apiError is an answer other than 2xx: the status and the server's error body.
type apiError struct {
	Status  int
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
	Path    string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: %d %s: %s %v", e.Path, e.Status, e.Code, e.Message, e.Fields)
}

// statusOf returns the HTTP status of an apiError, 0 for any other error.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func newClient(base string, hc *http.Client, username, password, deviceID string) *client {
	return &client{base: strings.TrimRight(base, "/"), http: hc, username: username, password: password, deviceID: deviceID}
}

// login signs the device in (POST /v1/auth/login).
func (c *client) login(ctx context.Context) error {
	var s sessionJSON
	err := c.do(ctx, http.MethodPost, "/v1/auth/login", map[string]any{"username": c.username, "password": c.password,
		"deviceId": c.deviceID, "deviceName": "fieldsim " + c.deviceID}, &s, false)
	if err != nil {
		return err
	}
	c.session, c.access = s, s.AccessToken
	return nil
}

// call sends a JSON request with the access token and decodes the answer into out (nil: drop it).
// A 401 signs in again once (the access token lives 15 minutes).
func (c *client) call(ctx context.Context, method, path string, body, out any) error {
	err := c.do(ctx, method, path, body, out, true)
	if statusOf(err) == http.StatusUnauthorized && c.password != "" {
		if err := c.login(ctx); err != nil {
			return err
		}
		err = c.do(ctx, method, path, body, out, true)
	}
	return err
}

func (c *client) do(ctx context.Context, method, path string, body, out any, auth bool) error {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.access)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var eb struct {
			Error apiError `json:"error"`
		}
		_ = json.Unmarshal(raw, &eb)
		e := eb.Error
		e.Status, e.Path = resp.StatusCode, method+" "+path
		return &e
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// mutation is one change of POST /v1/sync/push (docs/sync-protocol.md).
type mutation struct {
	MutationID  string         `json:"mutationId"`
	Collection  string         `json:"collection"`
	ID          string         `json:"id"`
	Op          string         `json:"op"`
	BaseVersion int64          `json:"baseVersion"`
	Fields      map[string]any `json:"fields,omitempty"`
	ClientTime  string         `json:"clientTime,omitempty"`
}

// result is the server's answer to one mutation.
type result struct {
	MutationID string           `json:"mutationId"`
	Status     string           `json:"status"`
	Version    int64            `json:"version"`
	Record     map[string]any   `json:"record"`
	Conflicts  []map[string]any `json:"conflicts"`
	Error      *apiError        `json:"error"`
}

// push sends one batch (POST /v1/sync/push).
func (c *client) push(ctx context.Context, muts []mutation) ([]result, error) {
	var out struct {
		Results []result `json:"results"`
	}
	err := c.call(ctx, http.MethodPost, "/v1/sync/push", map[string]any{"deviceId": c.deviceID, "mutations": muts}, &out)
	if err == nil && len(out.Results) != len(muts) {
		err = fmt.Errorf("push: %d results for %d mutations", len(out.Results), len(muts))
	}
	return out.Results, err
}

// change is one entry of a pull page.
type change struct {
	Collection string         `json:"collection"`
	ID         string         `json:"id"`
	Version    int64          `json:"version"`
	Deleted    bool           `json:"deleted"`
	Revoked    bool           `json:"revoked"`
	Record     map[string]any `json:"record"`
}

// page is one answer of GET /v1/sync/pull.
type page struct {
	Changes []change `json:"changes"`
	Cursor  string   `json:"cursor"`
	HasMore bool     `json:"hasMore"`
}

// pull fetches one page after cursor (GET /v1/sync/pull).
func (c *client) pull(ctx context.Context, cursor string, limit int) (page, error) {
	var p page
	err := c.call(ctx, http.MethodGet, "/v1/sync/pull?limit="+strconv.Itoa(limit)+"&cursor="+url.QueryEscape(cursor), nil, &p)
	return p, err
}

// missing asks which photos the server lacks (POST /v1/blobs/missing).
func (c *client) missing(ctx context.Context, hashes []string) ([]string, error) {
	var out struct {
		Missing []string `json:"missing"`
	}
	err := c.call(ctx, http.MethodPost, "/v1/blobs/missing", map[string]any{"hashes": hashes}, &out)
	return out.Missing, err
}

// putBlob uploads a photo (PUT /v1/blobs/{sha256}); created is false when the server had it.
func (c *client) putBlob(ctx context.Context, hash string, data []byte) (created bool, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+"/v1/blobs/"+hash, bytes.NewReader(data))
		if err != nil {
			return false, err
		}
		req.Header.Set("Authorization", "Bearer "+c.access)
		req.Header.Set("Content-Type", "image/jpeg")
		resp, err := c.http.Do(req)
		if err != nil {
			return false, fmt.Errorf("PUT blob %s: %w", hash[:12], err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			if err := c.login(ctx); err != nil {
				return false, err
			}
			continue
		case resp.StatusCode == http.StatusCreated:
			return true, nil
		case resp.StatusCode == http.StatusOK:
			return false, nil
		}
		var eb struct {
			Error apiError `json:"error"`
		}
		_ = json.Unmarshal(raw, &eb)
		eb.Error.Status, eb.Error.Path = resp.StatusCode, "PUT /v1/blobs/"+hash[:12]
		return false, &eb.Error
	}
	return false, errors.New("PUT blob: unauthorized twice")
}

// tusRequest sends one tus request (/v1/uploads/) and returns the answer with its body read.
func (c *client) tusRequest(ctx context.Context, method, target string, header map[string]string, body io.Reader, length int64) (*http.Response, error) {
	if !strings.HasPrefix(target, "http") {
		target = c.base + target
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+c.access)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// cutPatch sends a tus PATCH of the whole remainder over a raw connection, writes only its first
// cut bytes, and closes the connection: the phone loses its signal mid-upload.
func (c *client) cutPatch(ctx context.Context, location string, data []byte, cut int) error {
	u, err := url.Parse(location)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		u.RequestURI(), u.Host, c.access, len(data))
	if err == nil {
		_, err = conn.Write(data[:cut])
	}
	return err
}

// uploadResumable uploads a photo through tus with its first PATCH cut off after cut bytes, asks
// HEAD for the saved offset, and resumes from there. It returns the offset the server had saved.
func (c *client) uploadResumable(ctx context.Context, hash string, data []byte, cut int) (int64, error) {
	meta := "sha256 " + base64.StdEncoding.EncodeToString([]byte(hash)) + ",filename " + base64.StdEncoding.EncodeToString([]byte("receipt.jpg"))
	resp, err := c.tusRequest(ctx, http.MethodPost, "/v1/uploads/", map[string]string{
		"Upload-Length": strconv.Itoa(len(data)), "Upload-Metadata": meta}, nil, 0)
	if err != nil {
		return 0, fmt.Errorf("tus create: %w", err)
	}
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") == "" {
		return 0, fmt.Errorf("tus create: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "http") {
		loc = c.base + loc
	}
	if err := c.cutPatch(ctx, loc, data, cut); err != nil {
		return 0, fmt.Errorf("tus: the cut PATCH: %w", err)
	}
	time.Sleep(200 * time.Millisecond) // the phone is back in signal a moment later
	patch := map[string]string{"Content-Type": "application/offset+octet-stream"}
	var offset int64
	for attempt := 0; ; attempt++ {
		resp, err = c.tusRequest(ctx, http.MethodHead, loc, nil, nil, 0)
		if err != nil {
			return 0, fmt.Errorf("tus head: %w", err)
		}
		if resp.StatusCode == http.StatusOK {
			offset, _ = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
			break
		}
		if resp.StatusCode != http.StatusLocked || attempt > 50 { // the cut PATCH still holds the upload
			return 0, fmt.Errorf("tus head: %d", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	patch["Upload-Offset"] = strconv.FormatInt(offset, 10)
	resp, err = c.tusRequest(ctx, http.MethodPatch, loc, patch, bytes.NewReader(data[offset:]), int64(len(data))-offset)
	if err != nil {
		return 0, fmt.Errorf("tus resume: %w", err)
	}
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		return 0, fmt.Errorf("tus resume: %d offset %s", resp.StatusCode, resp.Header.Get("Upload-Offset"))
	}
	return offset, nil
}
