// Command benchsync drives a running fieldsync server over HTTP for scripts/bench-sync: it logs
// in as a technician, pushes N new service forms (POST /v1/sync/push, batches of -batch), then
// does a first sync of everything (GET /v1/sync/pull from an empty cursor, pages of -limit),
// sampling the server's resident memory (/proc/PID/status VmRSS, VmHWM) throughout.
//
// Each phase has a time budget: when it runs out, the phase stops and the report says how far it
// got and the rate so far, so that a slow store still yields figures in bounded time.
//
// Output: progress lines, then "RESULT key=value" lines that scripts/bench-sync reads.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"github.com/google/uuid"
)

type config struct {
	url, username, password, device string
	pid                             int
	n, batch, limit                 int
	pushBudget, pullBudget          time.Duration
	sample                          time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server base URL")
	flag.StringVar(&c.username, "username", "bench", "technician username")
	flag.StringVar(&c.device, "device", "bench-phone", "device id")
	flag.IntVar(&c.pid, "pid", 0, "server process id, for its memory (required)")
	flag.IntVar(&c.n, "n", 100_000, "service forms to push")
	flag.IntVar(&c.batch, "batch", 500, "mutations per push")
	flag.IntVar(&c.limit, "limit", 1000, "changes per pull page")
	flag.DurationVar(&c.pushBudget, "push-budget", 6*time.Minute, "stop pushing after this long")
	flag.DurationVar(&c.pullBudget, "pull-budget", 4*time.Minute, "stop pulling after this long")
	flag.DurationVar(&c.sample, "sample", 100*time.Millisecond, "memory sampling interval")
	flag.Parse()
	c.password = os.Getenv("BENCH_PASSWORD")
	if c.pid == 0 || c.password == "" {
		fmt.Fprintln(os.Stderr, "benchsync: -pid and BENCH_PASSWORD are required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "benchsync:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	cl := &client{cfg: c, http: &http.Client{Timeout: 10 * time.Minute}}
	cl.until = time.Now().Add(time.Minute)
	if err := cl.login(ctx); err != nil {
		return err
	}
	mem := &sampler{pid: c.pid}
	start := mem.read()
	result("rss_start_kb", start.rss)

	pushed, pushTime, err := pushPhase(ctx, cl, mem)
	if err != nil {
		return err
	}
	result("pushed", pushed)
	result("push_seconds", fmt.Sprintf("%.1f", pushTime.Seconds()))
	result("push_per_s", fmt.Sprintf("%.0f", float64(pushed)/pushTime.Seconds()))
	result("push_complete", pushed == c.n)

	// The pull's peak: reset the kernel's high-water mark (root only; best effort) and sample.
	before := mem.read()
	resetHWM(c.pid)
	result("rss_before_pull_kb", before.rss)
	stopSampling := mem.run(c.sample)
	pulled, pages, pullTime, firstPage, complete, err := pullPhase(ctx, cl, pushed)
	peak := stopSampling()
	if err != nil {
		return err
	}
	after := mem.read()
	result("pulled", pulled)
	result("pull_pages", pages)
	result("pull_complete", complete)
	result("pull_seconds", fmt.Sprintf("%.1f", pullTime.Seconds()))
	result("pull_first_page_seconds", fmt.Sprintf("%.2f", firstPage.Seconds()))
	result("pull_per_s", fmt.Sprintf("%.0f", float64(pulled)/pullTime.Seconds()))
	result("rss_after_pull_kb", after.rss)
	result("rss_peak_pull_kb", max(peak, after.hwm))
	result("rss_hwm_kb", after.hwm)
	result("rss_growth_pull_mb", fmt.Sprintf("%.1f", float64(max(peak, after.hwm)-before.rss)/1024))
	result("http_retries", retries)
	return nil
}

// pushPhase pushes c.n new forms in batches until done or the budget runs out.
func pushPhase(ctx context.Context, cl *client, mem *sampler) (int, time.Duration, error) {
	c := cl.cfg
	start, lastReport, lastN := time.Now(), time.Now(), 0
	cl.until = start.Add(c.pushBudget)
	pushed := 0
	for pushed < c.n {
		if time.Since(start) > c.pushBudget {
			fmt.Printf("push: budget of %s spent after %d forms\n", c.pushBudget, pushed)
			break
		}
		n := min(c.batch, c.n-pushed)
		if err := cl.push(ctx, forms(pushed, n)); err != nil {
			if se := (errServer{}); errors.As(err, &se) {
				fmt.Printf("push: stopped after %d forms, the server kept failing: %v\n", pushed, err)
				break
			}
			return pushed, time.Since(start), err
		}
		pushed += n
		if time.Since(lastReport) > 10*time.Second || pushed == c.n {
			rate := float64(pushed-lastN) / time.Since(lastReport).Seconds()
			fmt.Printf("push: %d/%d  %.0f/s lately  server rss %d MB\n", pushed, c.n, rate, mem.read().rss/1024)
			lastReport, lastN = time.Now(), pushed
		}
	}
	return pushed, time.Since(start), nil
}

// pullPhase is a first sync: pages from an empty cursor while hasMore, until the budget runs out.
func pullPhase(ctx context.Context, cl *client, want int) (pulled, pages int, took, firstPage time.Duration, complete bool, err error) {
	c := cl.cfg
	start, cursor := time.Now(), ""
	cl.until = start.Add(c.pullBudget)
	for {
		if time.Since(start) > c.pullBudget {
			fmt.Printf("pull: budget of %s spent after %d pages, %d changes\n", c.pullBudget, pages, pulled)
			return pulled, pages, time.Since(start), firstPage, false, nil
		}
		n, next, more, err := cl.pull(ctx, cursor)
		if se := (errServer{}); errors.As(err, &se) {
			fmt.Printf("pull: stopped after %d pages, the server kept failing: %v\n", pages, err)
			return pulled, pages, time.Since(start), firstPage, false, nil
		}
		if err != nil {
			return pulled, pages, time.Since(start), firstPage, false, err
		}
		pages++
		pulled += n
		if pages == 1 {
			firstPage = time.Since(start)
		}
		if pages%10 == 0 || !more {
			fmt.Printf("pull: page %d, %d/%d changes, %.1f s\n", pages, pulled, want, time.Since(start).Seconds())
		}
		cursor = next
		if !more {
			return pulled, pages, time.Since(start), firstPage, pulled >= want, nil
		}
	}
}

func result(key string, v any) { fmt.Printf("RESULT %s=%v\n", key, v) }

// forms returns n new service forms, numbered from first: a work order, times, fault, work
// done, two parts, fee, outcome, satisfaction (the same shape as sync/bench_test.go).
func forms(first, n int) []map[string]any {
	day := time.Date(2026, 11, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	out := make([]map[string]any, n)
	for j := range out {
		i := first + j
		arrived := day.Add(time.Duration(i%600) * time.Minute)
		out[j] = map[string]any{
			"mutationId": uuid.NewString(), "collection": "service_forms", "id": uuid.NewString(),
			"op": "upsert", "baseVersion": 0, "clientTime": day.Add(9 * time.Hour).Format(time.RFC3339),
			"fields": map[string]any{
				"workOrderId": uuid.NewString(),
				"arrivedAt":   arrived.Format(time.RFC3339),
				"departedAt":  arrived.Add(95 * time.Minute).Format(time.RFC3339),
				"faultCause":  "压缩机启动电容老化，无法启动；冷凝器积尘严重",
				"workDone":    "更换启动电容，清洗冷凝器，补充制冷剂，试机运行 30 分钟正常",
				"parts": []any{
					map[string]any{"name": "启动电容 35μF", "qty": 1, "unitPriceFen": 4500},
					map[string]any{"name": "R22 制冷剂", "qty": 2, "unitPriceFen": 12000 + i%7*100},
				},
				"feeCollectedFen": 28500 + i%7*200,
				"outcome":         "completed",
				"satisfaction":    1 + i%5,
				"status":          "draft",
				"note":            "客户要求下次上门前电话联系 #" + strconv.Itoa(i),
			},
		}
	}
	return out
}

// client is a technician's device session; it logs in again when its access token expires.
type client struct {
	cfg      config
	http     *http.Client
	token    string
	deviceID string
	until    time.Time // 5xx answers are retried until then
}

func (cl *client) login(ctx context.Context) error {
	var out struct {
		AccessToken string `json:"accessToken"`
		DeviceID    string `json:"deviceId"`
	}
	body := map[string]string{"username": cl.cfg.username, "password": cl.cfg.password,
		"deviceId": cl.cfg.device, "deviceName": "benchsync"}
	if err := cl.do(ctx, http.MethodPost, "/v1/auth/login", body, &out, false); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	// The server may register the device under its own id: push as the token's device.
	cl.token, cl.deviceID = out.AccessToken, out.DeviceID
	return nil
}

func (cl *client) push(ctx context.Context, muts []map[string]any) error {
	var out struct {
		Results []struct {
			MutationID string          `json:"mutationId"`
			Status     string          `json:"status"`
			Error      json.RawMessage `json:"error"`
		} `json:"results"`
	}
	body := map[string]any{"deviceId": cl.deviceID, "mutations": muts}
	if err := cl.do(ctx, http.MethodPost, "/v1/sync/push", body, &out, true); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if len(out.Results) != len(muts) {
		return fmt.Errorf("push: %d results for %d mutations", len(out.Results), len(muts))
	}
	for _, r := range out.Results {
		if r.Status != "applied" {
			return fmt.Errorf("push: mutation %s %s %s", r.MutationID, r.Status, r.Error)
		}
	}
	return nil
}

func (cl *client) pull(ctx context.Context, cursor string) (n int, next string, more bool, err error) {
	var out struct {
		Changes []json.RawMessage `json:"changes"`
		Cursor  string            `json:"cursor"`
		HasMore bool              `json:"hasMore"`
	}
	q := url.Values{"limit": {strconv.Itoa(cl.cfg.limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if err := cl.do(ctx, http.MethodGet, "/v1/sync/pull?"+q.Encode(), nil, &out, true); err != nil {
		return 0, "", false, fmt.Errorf("pull: %w", err)
	}
	return len(out.Changes), out.Cursor, out.HasMore, nil
}

var errUnauthorized = errors.New("401 unauthorized")

// errServer is a 5xx answer: resending is safe (pushes are exactly-once, pulls read only).
type errServer struct{ msg string }

func (e errServer) Error() string { return e.msg }

// retries counts the 5xx answers that were retried.
var retries int

// do sends a JSON request and decodes a 200 answer into out; with auth, a 401 logs in again and
// retries once; a 5xx is retried with backoff (1 s doubling to 10 s), as a phone would, until
// the phase's budget (cl.until) is spent.
func (cl *client) do(ctx context.Context, method, path string, in, out any, auth bool) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = cl.once(ctx, method, path, in, out, auth)
		if auth && errors.Is(err, errUnauthorized) {
			if err := cl.login(ctx); err != nil {
				return err
			}
			err = cl.once(ctx, method, path, in, out, auth)
		}
		var se errServer
		if !errors.As(err, &se) || time.Now().After(cl.until) {
			return err
		}
		retries++
		fmt.Printf("retry after: %v\n", err)
		time.Sleep(min(time.Second<<attempt, 10*time.Second))
	}
}

func (cl *client) once(ctx context.Context, method, path string, in, out any, auth bool) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(cl.cfg.url, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return errUnauthorized
	case resp.StatusCode >= 500:
		return errServer{fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, truncate(b, 300))}
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, truncate(b, 300))
	}
	return json.Unmarshal(b, out)
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// memory is one reading of /proc/PID/status, in kB.
type memory struct{ rss, hwm int }

// sampler reads a process's memory, and keeps the highest VmRSS seen while running.
type sampler struct {
	pid  int
	mu   stdsync.Mutex
	peak int
}

func (s *sampler) read() memory {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/status")
	if err != nil {
		return memory{}
	}
	var m memory
	for line := range strings.Lines(string(b)) {
		name, value, _ := strings.Cut(line, ":")
		kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(value), " kB"))
		switch name {
		case "VmRSS":
			m.rss = kb
		case "VmHWM":
			m.hwm = kb
		}
	}
	return m
}

// run samples every interval until the returned stop is called; stop returns the peak VmRSS.
func (s *sampler) run(interval time.Duration) (stop func() int) {
	done := make(chan struct{})
	finished := make(chan struct{})
	s.peak = 0
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m := s.read()
			s.mu.Lock()
			s.peak = max(s.peak, m.rss)
			s.mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int {
		close(done)
		<-finished
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.peak
	}
}

// resetHWM resets the kernel's peak-RSS counter of pid (writing 5 to clear_refs), so that VmHWM
// afterwards is the peak since now. It needs the right to write the file; otherwise the
// sampled peak is all there is.
func resetHWM(pid int) {
	_ = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
}
