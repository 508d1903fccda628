package nlm_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clientLogSink keeps the log records of clients, by client name, so
// that a test can wait for what a client reports (a lock blocked, a
// lock granted by a callback) instead of sleeping.
type clientLogSink struct {
	mu      sync.Mutex
	records map[string][]slog.Record
	changed chan struct{} // closed and replaced on every record
}

func newClientLogSink() *clientLogSink {
	return &clientLogSink{records: map[string][]slog.Record{}, changed: make(chan struct{})}
}

// logger returns a logger whose records are kept under name.
func (s *clientLogSink) logger(name string) *slog.Logger {
	return slog.New(&clientLogHandler{sink: s, name: name})
}

func (s *clientLogSink) add(name string, r slog.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[name] = append(s.records[name], r.Clone())
	close(s.changed)
	s.changed = make(chan struct{})
}

// find returns the first record of name with message msg.
func (s *clientLogSink) find(name, msg string) (slog.Record, bool, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.records[name] {
		if r.Message == msg {
			return r, true, nil
		}
	}
	return slog.Record{}, false, s.changed
}

// wait waits (10 s at most) for name to log msg, and returns the record.
func (s *clientLogSink) wait(t testing.TB, name, msg string) slog.Record {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		r, ok, changed := s.find(name, msg)
		if ok {
			return r
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%s did not log %q", name, msg)
		}
	}
}

// attr returns attribute key of the first record of name with message
// msg, as a string ("" if there is none).
func (s *clientLogSink) attr(name, msg, key string) string {
	r, ok, _ := s.find(name, msg)
	if !ok {
		return ""
	}
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// requireAttr checks that name logged msg with key set to want.
func (s *clientLogSink) requireAttr(t testing.TB, name, msg, key, want string) {
	t.Helper()
	require.Equal(t, want, s.attr(name, msg, key), "%s: %q %s", name, msg, key)
}

type clientLogHandler struct {
	sink  *clientLogSink
	name  string
	attrs []slog.Attr
}

func (h *clientLogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *clientLogHandler) Handle(_ context.Context, r slog.Record) error {
	r.AddAttrs(h.attrs...)
	h.sink.add(h.name, r)
	return nil
}

func (h *clientLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &clientLogHandler{sink: h.sink, name: h.name, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *clientLogHandler) WithGroup(string) slog.Handler { return h }
