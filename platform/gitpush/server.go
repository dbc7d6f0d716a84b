package gitpush

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slipwayhq/slipway/render"
)

// Defaults of the Server's limits.
const (
	DefaultMaxPush  = 1 << 30 // 1 GiB
	DefaultPushWait = 10 * time.Minute
	DefaultBuilds   = 2
	DefaultIdle     = 2 * time.Minute
	// KeepaliveEvery is how often a waiting push hears from the server.
	KeepaliveEvery = 5 * time.Second
)

// MovedError refuses a push whose branch another push moved while it waited, to a commit
// it does not contain: landing it would drop that push's work.
type MovedError struct {
	Ref string
	// Had is where the pusher saw the branch, Now where it is, Pushed the pushed commit.
	Had, Now, Pushed string
}

func (e *MovedError) Error() string {
	return fmt.Sprintf("%s moved from %s to %s while this push waited (another push), and %s does not contain it", shortRef(e.Ref), short(e.Had), short(e.Now), short(e.Pushed))
}

// Hint says how to push on top of it.
func (e *MovedError) Hint() string { return "fetch, merge or rebase, and push again" }

// writeError tells the pusher why its push is refused: the error and its hint, a line each.
func writeError(out io.Writer, err error) {
	fmt.Fprintf(out, "error: %v\n", err)
	if h := render.Hint(err); h != "" {
		fmt.Fprintf(out, "hint: %s\n", h)
	}
}

// ErrStopping refuses a push that has not started deploying when the server stops.
var ErrStopping = errors.New("the server is stopping: push again once it is back")

// Push is a push about to move its refs: what the Receiver decides on.
type Push struct {
	// App is the app pushed to; Repo its repository.
	App, Repo string
	// Updates are the refs the push moves. An Old that differs from what the client had
	// read (another push landed while this one waited) is the ref's value now.
	Updates []Update
	// Env is git's environment for reading the pushed objects while they are quarantined.
	Env []string
}

// Receiver decides on a push before its refs move (the pre-receive step): it writes what it
// does to out, which the pusher sees as "remote:" lines, and refuses the push by returning
// an error (which it has written to out already).
type Receiver interface {
	Receive(ctx context.Context, p *Push, out io.Writer) error
}

// Server serves git's smart HTTP protocol for the apps' repositories: clone and fetch
// (upload-pack) and push (receive-pack), every request authenticated with a token as the
// password of HTTP basic auth. A push runs Receiver before its refs move.
type Server struct {
	Apps     *Apps
	Tokens   *Tokens
	Git      Git
	Receiver Receiver
	// CreateOnPush creates the repository of an app on its first push (by a token that may
	// push to it).
	CreateOnPush bool
	// MaxPush bounds a push's request body in bytes (default DefaultMaxPush).
	MaxPush int64
	// PushWait is how long a push waits for another push of the same app before it is
	// refused (default DefaultPushWait).
	PushWait time.Duration
	// Builds is how many pushes are received (built and deployed) at once, across apps
	// (default DefaultBuilds).
	Builds int
	// Idle is how long a request may send or receive nothing before it is cut (default
	// DefaultIdle): there is no limit on a request's whole length, as a build may be long.
	Idle time.Duration
	// Context is the context pushes are received in: a push outlives its client, and is
	// cancelled only with it (the server's shutdown). Default context.Background().
	Context context.Context
	// Log receives the server's own log lines (nil drops them).
	Log func(format string, args ...any)

	once   sync.Once
	builds chan struct{}
	mu     sync.Mutex
	locks  map[string]*appLock
}

// appLock is held by the one push of an app in progress.
type appLock struct {
	held  chan struct{} // a token: full while held
	what  string        // the holder's push, for whoever waits
	since time.Time
}

func (s *Server) init() {
	s.once.Do(func() {
		n := s.Builds
		if n <= 0 {
			n = DefaultBuilds
		}
		s.builds = make(chan struct{}, n)
		s.locks = map[string]*appLock{}
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log(format, args...)
	}
}

func (s *Server) ctx() context.Context {
	if s.Context != nil {
		return s.Context
	}
	return context.Background()
}

// route is a request's path: /APP.git/info/refs, /APP.git/git-upload-pack or
// /APP.git/git-receive-pack (".git" optional). The path is matched as sent, escapes
// included: an encoded dot or slash is no app name.
var route = regexp.MustCompile(`^/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.git)?/(info/refs|git-upload-pack|git-receive-pack)$`)

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	m := route.FindStringSubmatch(r.URL.EscapedPath())
	if m == nil {
		http.Error(w, "not found: Slipway serves /APP.git", http.StatusNotFound)
		return
	}
	name, endpoint := m[1], m[2]
	// The service is decided here, once, and both the access check and git get this value.
	var service Service
	switch endpoint {
	case "info/refs":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch q := r.URL.Query()["service"]; {
		case len(q) == 1 && (q[0] == string(UploadPack) || q[0] == string(ReceivePack)):
			service = Service(q[0])
		default:
			http.Error(w, "only git's smart HTTP protocol is served: service=git-upload-pack or git-receive-pack", http.StatusForbidden)
			return
		}
	default:
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		service = Service(endpoint)
		if ct := r.Header.Get("Content-Type"); ct != "application/x-"+string(service)+"-request" {
			http.Error(w, "unexpected content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
	}
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	// The same answer whether or not the app exists: a token shows nothing beyond its apps.
	if !tok.Allows(name) {
		s.logf("%s %s %s: refused: token %s may not use this app", r.Method, r.URL.Path, r.RemoteAddr, tok.ID)
		http.Error(w, "this token gives no access to "+name, http.StatusForbidden)
		return
	}
	dir, err := s.repo(r.Context(), name, service)
	if err != nil {
		var na *NoAppError
		if errors.As(err, &na) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		s.logf("%s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	idle := s.Idle
	if idle <= 0 {
		idle = DefaultIdle
	}
	rc := http.NewResponseController(w)
	out := &flusher{w: w, rc: rc, idle: idle}
	w.Header().Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	if endpoint == "info/refs" {
		var adv bytes.Buffer
		if err := s.Git.Advertise(r.Context(), dir, service, &adv); err != nil {
			s.logf("advertise %s: %v", name, err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-"+string(service)+"-advertisement")
		_, _ = out.Write(append(pkt([]byte("# service="+string(service)+"\n")), flushPkt...))
		_, _ = out.Write(adv.Bytes())
		return
	}
	body, err := s.body(r, rc, idle)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer body.Close()
	w.Header().Set("Content-Type", "application/x-"+string(service)+"-result")
	if service == UploadPack {
		if err := s.Git.Serve(r.Context(), dir, service, body, out, nil); err != nil {
			s.logf("upload-pack %s: %v", name, err)
		}
		return
	}
	s.receive(w, r, out, body, name, dir, tok)
}

// authenticate checks the request's token; without one (or with a wrong one) it answers 401
// with the challenge git clients answer with their credentials.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*Token, bool) {
	_, secret, ok := r.BasicAuth()
	if ok {
		tok, err := s.Tokens.Authenticate(secret)
		if err == nil {
			return tok, true
		}
		if !errors.Is(err, ErrBadToken) {
			s.logf("authenticate: %v", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return nil, false
		}
		s.logf("%s %s %s: refused: unknown or revoked token", r.Method, r.URL.Path, r.RemoteAddr)
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="slipway", charset="UTF-8"`)
	http.Error(w, "authentication required: a Slipway token as the password", http.StatusUnauthorized)
	return nil, false
}

// repo is the app's repository, created on a push's first request with CreateOnPush.
func (s *Server) repo(ctx context.Context, name string, service Service) (string, error) {
	dir, err := s.Apps.Path(name)
	if err != nil {
		return "", err
	}
	ok, err := s.Apps.Exists(name)
	switch {
	case err != nil:
		return "", err
	case ok:
		return dir, nil
	case service == ReceivePack && s.CreateOnPush:
		if err := s.Apps.Create(ctx, name); err != nil {
			var exists *AppExistsError
			if !errors.As(err, &exists) { // made by a push at the same moment: fine
				return "", err
			}
		} else {
			s.logf("created app %s on its first push", name)
		}
		return dir, nil
	}
	return "", &NoAppError{Name: name}
}

// body is the request's body: bounded, gunzipped when the client compressed it, with the
// connection's read deadline moved on at every read.
func (s *Server) body(r *http.Request, rc *http.ResponseController, idle time.Duration) (io.ReadCloser, error) {
	limit := s.MaxPush
	if limit <= 0 {
		limit = DefaultMaxPush
	}
	var body io.ReadCloser = &idleReader{r: http.MaxBytesReader(nil, r.Body, limit), rc: rc, idle: idle, c: r.Body}
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		z, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %v", err)
		}
		return &gzipBody{Reader: z, body: body}, nil
	default:
		return nil, fmt.Errorf("unsupported content encoding %q", enc)
	}
}

type gzipBody struct {
	*gzip.Reader
	body io.Closer
}

func (g *gzipBody) Close() error { g.Reader.Close(); return g.body.Close() }

// idleReader moves the connection's read deadline on before every read.
type idleReader struct {
	r    io.Reader
	c    io.Closer
	rc   *http.ResponseController
	idle time.Duration
}

func (i *idleReader) Read(p []byte) (int, error) {
	_ = i.rc.SetReadDeadline(time.Now().Add(i.idle))
	return i.r.Read(p)
}

func (i *idleReader) Close() error { return i.c.Close() }

// flusher writes to the client and flushes every write, so that progress arrives as it
// happens; the write deadline moves on with every write. Once the client is gone, writes
// are dropped without error: what it started goes on.
type flusher struct {
	mu   sync.Mutex
	w    io.Writer
	rc   *http.ResponseController
	idle time.Duration
	gone bool
}

func (f *flusher) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone {
		return len(p), nil
	}
	_ = f.rc.SetWriteDeadline(time.Now().Add(f.idle))
	if _, err := f.w.Write(p); err != nil {
		f.gone = true
		return len(p), nil
	}
	if err := f.rc.Flush(); err != nil {
		f.gone = true
	}
	return len(p), nil
}

// receive serves a push: its commands are read and its pack spooled to disk; then, with the
// app's lock held (one push per app at a time), the commands are rebased on the refs as they
// are now and git receive-pack runs them, its pre-receive hook relayed to the Receiver.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, out *flusher, body io.Reader, name, dir string, tok *Token) {
	br := bufio.NewReaderSize(body, 64<<10)
	cmds, err := readCommands(br)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	spool, err := s.spool(br)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			http.Error(w, fmt.Sprintf("push larger than %d bytes", mb.Limit), http.StatusRequestEntityTooLarge)
			return
		}
		s.logf("push to %s: spool the pack: %v", name, err)
		http.Error(w, "could not receive the push", http.StatusBadRequest)
		return
	}
	defer func() { spool.Close(); os.Remove(spool.Name()) }()
	say := func(msg string) {
		if cmds.sideband {
			_, _ = out.Write(sideband(2, []byte(msg+"\n")))
		}
	}
	what := describe(cmds.updates)
	// Keepalives are empty band-1 packets: only a client that asked for side bands reads them.
	var keep io.Writer = out
	if !cmds.sideband {
		keep = io.Discard
	}
	unlock, err := s.lock(r.Context(), name, what, say, keep)
	if err != nil {
		s.logf("push to %s (%s): refused: %v", name, what, err)
		say(err.Error())
		_, _ = out.Write(refusal(cmds, err.Error()))
		return
	}
	defer unlock()

	// What goes wrong from here is the server's: logged, and the push told in a word.
	fail := func(reason string, err error) {
		s.logf("push to %s: %s: %v", name, reason, err)
		_, _ = out.Write(refusal(cmds, "the server could not "+reason))
	}
	var adv bytes.Buffer
	if err := s.Git.Advertise(s.ctx(), dir, ReceivePack, &adv); err != nil {
		fail("read the repository", err)
		return
	}
	current, err := advertisedRefs(adv.Bytes())
	if err != nil {
		fail("read the repository", err)
		return
	}
	section, moved := cmds.rebase(current)
	mine, theirs, err := socketPair()
	if err != nil {
		fail("run the push", err)
		return
	}
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		defer mine.Close()
		s.relay(mine, &Push{App: name, Repo: dir}, moved)
	}()
	s.logf("push to %s (%s) by token %s", name, what, tok.Name)
	// Not the request's context: a push whose client went away is finished all the same.
	// Nor the server's: when the server stops, the Receiver cancels its work and refuses
	// the push, and receive-pack must live to report that; killed, it would end the
	// response without a report, and the pusher's git would wait for one forever.
	err = s.Git.Serve(context.WithoutCancel(s.ctx()), dir, ReceivePack, io.MultiReader(bytes.NewReader(section), spool), out, theirs)
	theirs.Close()
	if err != nil {
		s.logf("push to %s: %v", name, err)
	}
	// receive-pack ran no hook (a failed unpack) or has ended: the relay ends with it.
	mine.Close()
	<-relayed
}

// relay serves the hook of one receive-pack: it reads the updates (as git has them, rebased)
// and runs the Receiver, sending its output and verdict back.
func (s *Server) relay(conn *os.File, p *Push, moved map[string]string) {
	req, err := readHookRequest(conn)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.logf("push to %s: %v", p.App, err)
		}
		return
	}
	hc := &hookConn{w: conn}
	p.Updates, p.Env = req.Updates, req.Env
	code := 0
	if err := s.decide(p, moved, hc); err != nil {
		code = 1
		s.logf("push to %s (%s): refused: %s", p.App, describe(p.Updates), firstLine(err.Error()))
	} else {
		s.logf("push to %s (%s): accepted", p.App, describe(p.Updates))
	}
	hc.exit(code)
}

// decide runs the Receiver, within the limit of parallel builds, after checking that every
// ref that moved while the push waited moves on from where it is now (nothing another push
// brought is lost).
func (s *Server) decide(p *Push, moved map[string]string, out io.Writer) error {
	for _, u := range p.Updates {
		had, ok := moved[u.Ref]
		if !ok || u.Deletes() {
			continue
		}
		if isZero(u.Old) {
			continue // deleted meanwhile: the push creates it again
		}
		ok, err := s.Git.IsAncestor(s.ctx(), p.Repo, p.Env, u.Old, u.New)
		if err == nil && !ok {
			err = &MovedError{Ref: u.Ref, Had: had, Now: u.Old, Pushed: u.New}
		}
		if err != nil {
			writeError(out, err)
			return err
		}
		fmt.Fprintf(out, "%s moved to %s while this push waited; %s contains it: going on\n", shortRef(u.Ref), short(u.Old), short(u.New))
	}
	select {
	case s.builds <- struct{}{}:
	default:
		fmt.Fprintf(out, "waiting for a build slot: this server builds %d push(es) at a time\n", cap(s.builds))
		select {
		case s.builds <- struct{}{}:
		case <-s.ctx().Done():
			return s.ctx().Err()
		}
	}
	defer func() { <-s.builds }()
	return s.Receiver.Receive(s.ctx(), p, out)
}

// lock takes the app's push lock, waiting up to PushWait for the push that holds it: the
// pusher hears that it waits, and keepalives while it does.
func (s *Server) lock(ctx context.Context, app, what string, say func(string), out io.Writer) (func(), error) {
	s.mu.Lock()
	l := s.locks[app]
	if l == nil {
		l = &appLock{held: make(chan struct{}, 1)}
		s.locks[app] = l
	}
	s.mu.Unlock()
	take := func() func() {
		s.mu.Lock()
		l.what, l.since = what, time.Now()
		s.mu.Unlock()
		return func() { <-l.held }
	}
	if s.ctx().Err() != nil {
		return nil, ErrStopping
	}
	select {
	case l.held <- struct{}{}:
		return take(), nil
	default:
	}
	s.mu.Lock()
	holder, since := l.what, l.since
	s.mu.Unlock()
	wait := s.PushWait
	if wait <= 0 {
		wait = DefaultPushWait
	}
	say(fmt.Sprintf("waiting for the push in progress to %s (%s, started %s ago) to finish", app, holder, time.Since(since).Round(time.Second)))
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	tick := time.NewTicker(KeepaliveEvery)
	defer tick.Stop()
	for {
		select {
		case l.held <- struct{}{}:
			return take(), nil
		case <-tick.C:
			_, _ = out.Write(keepalive)
		case <-timeout.C:
			return nil, fmt.Errorf("another push to %s (%s) has been deploying for %s: try again later", app, holder, time.Since(since).Round(time.Second))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.ctx().Done():
			return nil, ErrStopping
		}
	}
}

// refusal is a receive-pack report refusing every update with reason, for a push refused
// before git ran (report-status, in band 1 when the client asked for side bands).
func refusal(c *pushCommands, reason string) []byte {
	var report bytes.Buffer
	report.Write(pkt([]byte("unpack ok\n")))
	for _, u := range c.updates {
		report.Write(pkt([]byte("ng " + u.Ref + " " + reason + "\n")))
	}
	report.WriteString(flushPkt)
	if !c.sideband {
		return report.Bytes()
	}
	var b bytes.Buffer
	for rest := report.Bytes(); len(rest) > 0; {
		n := min(len(rest), 65515)
		b.Write(sideband(1, rest[:n]))
		rest = rest[n:]
	}
	b.WriteString(flushPkt)
	return b.Bytes()
}

// describe says what a push does, for logs and waiting pushes: "main 1a2b3c4".
func describe(us []Update) string {
	parts := make([]string, len(us))
	for i, u := range us {
		if u.Deletes() {
			parts[i] = "delete " + shortRef(u.Ref)
		} else {
			parts[i] = shortRef(u.Ref) + " " + short(u.New)
		}
	}
	return strings.Join(parts, ", ")
}

func shortRef(ref string) string { return strings.TrimPrefix(ref, "refs/heads/") }

func short(oid string) string {
	if len(oid) > 7 {
		return oid[:7]
	}
	return oid
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// spool copies the rest of a push's request (its pack) to a temporary file, so that the
// client's transfer does not wait on another push, and returns it open at its start.
func (s *Server) spool(r io.Reader) (*os.File, error) {
	dir := filepath.Join(s.Apps.Dir, "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	f, err := os.OpenFile(filepath.Join(dir, "push-"+hex.EncodeToString(rnd[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}
