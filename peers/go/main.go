// The Go peer (docs/PEERS.md): each task is a goroutine, waits are
// time.Sleep, fetch is net/http's client, serve its server, and file_read
// os.File's reads. simul meters this process from outside, so nothing
// between "ready" and "send" prints or grows a list.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A task: its checksum, or why it failed.
type task func(i int) (uint64, error)

func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// A bad environment or an unexpected line from simul: one line, exit 2.
func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "peer-go: "+format+"\n", a...)
	os.Exit(2)
}

func sleepTask(wait time.Duration) task {
	return func(i int) (uint64, error) {
		begun := time.Now()
		time.Sleep(wait)
		if time.Since(begun) < wait {
			return 0, errors.New("woke before the wait was over")
		}
		return mix64(uint64(i)), nil
	}
}

func chessTask(moves int64, think, reply time.Duration) task {
	return func(board int) (uint64, error) {
		position := mix64(uint64(board))
		for m := int64(0); m < moves; m++ {
			// The master thinks for think_us on the clock, not a number of
			// steps: every runtime spends the same time (docs/PEERS.md).
			began := time.Now()
			for time.Since(began) < think {
			}
			position = mix64(position)
			time.Sleep(reply) // the opponent's reply
		}
		return position, nil
	}
}

// net/http, as a Go programmer would GET a page: the runtime's own HTTP
// client (with its reader and writer goroutines per connection) is what
// this peer is here to measure, not a hand-rolled one on net.Dial.
// DisableKeepAlives gives one connection per request and sends
// "Connection: close"; DisableCompression leaves the body's bytes as sent.
// The default dialer is used: Go sets TCP_NODELAY on every TCP connection.
func fetchTask(host, port string, delayMs, bytes int64) task {
	client := &http.Client{
		Timeout:   time.Duration(delayMs+10_000) * time.Millisecond, // the whole exchange, body included
		Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true},
	}
	url := fmt.Sprintf("http://%s/delay?ms=%d&bytes=%d&seed=", net.JoinHostPort(host, port), delayMs, bytes)
	return func(i int) (uint64, error) {
		res, err := client.Get(url + strconv.Itoa(i))
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, bytes+1)) // one byte more shows a body too long
		if err != nil {
			return 0, err
		}
		if res.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("HTTP %d", res.StatusCode)
		}
		if int64(len(body)) != bytes {
			return 0, fmt.Errorf("the body is not %d bytes long", bytes)
		}
		h := fnv.New64a() // FNV-1a 64, the basis and prime of docs/PEERS.md
		h.Write(body)
		return h.Sum64() & (1<<52 - 1), nil
	}
}

// file_read's checksum of one 4 KiB block at `offset` in its file
// (support/file_hash.hpp): sixteen lanes seeded with the offset, each taking
// every sixteenth little-endian word, folded with mix64. The file's sum is
// its blocks' hashes added up.
const hashBlockBytes = 4096

func hashBlock(b []byte, offset uint64) uint64 {
	var lane [16]uint64
	for l := range lane {
		lane[l] = mix64(offset + uint64(l))
	}
	for k := 0; k < hashBlockBytes; k += 8 * len(lane) {
		for l := range lane {
			w := binary.LittleEndian.Uint64(b[k+8*l:])
			lane[l] = bits.RotateLeft64((lane[l]+w)*0x9e3779b185ebca87, 29)
		}
	}
	var h uint64
	for _, x := range lane {
		h = mix64(h ^ x)
	}
	return h
}

// file_read: task i reads dir/f{i:05}.dat whole, `chunk` bytes a read, and
// sums every 4 KiB block. A regular file is not on Go's netpoller: a read
// blocks its OS thread, and the scheduler hands the goroutine's P to another
// thread meanwhile, so a cold case shows as threads. That is how Go reads
// files; this peer adds nothing to it.
func fileReadTask(dir string, size, chunk int64) task {
	return func(i int) (uint64, error) {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("f%05d.dat", i)))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		buf := make([]byte, chunk) // the task's own, as a Go programmer writes it
		var sum uint64
		for at := int64(0); at < size; at += int64(len(buf)) {
			if left := size - at; left < int64(len(buf)) {
				buf = buf[:left]
			}
			// ReadFull: a read may return less than asked, and the blocks
			// must be whole to be hashed.
			if _, err := io.ReadFull(f, buf); err == io.EOF || err == io.ErrUnexpectedEOF {
				return 0, fmt.Errorf("%s is shorter than %d bytes", f.Name(), size)
			} else if err != nil {
				return 0, err
			}
			for k := 0; k < len(buf); k += hashBlockBytes {
				sum += hashBlock(buf[k:k+hashBlockBytes], uint64(at)+uint64(k))
			}
		}
		return sum & sumMask, nil
	}
}

// Byte k of the body of (bytes, seed) is 'a' + w(k) mod 26, w(k) the mix of
// (seed, k's word) shifted to k's byte (docs/PEERS.md); p is the body's bytes
// [offset, offset + len(p)).
func fillBody(p []byte, seed uint64, offset int64) {
	var word uint64
	for j := range p {
		k := uint64(offset) + uint64(j)
		if j == 0 || k%8 == 0 {
			word = mix64(seed*0x100000001b3 + (k - k%8))
		}
		p[j] = byte('a' + (word>>(8*(k%8)))%26)
	}
}

// The largest delay and body a request may ask, as simul's own servers
// (bench/net/http.hpp); and the part of a body made and written at a time,
// so that a large body does not have to be held whole.
const (
	maxDelayMs = 600_000
	maxBytes   = 64 << 20
	partBytes  = 64 << 10
	sumMask    = 1<<52 - 1
)

type taskKey struct{} // the request context's key to its connection's task

// serve: net/http's server, as a Go programmer would write one: a goroutine
// per connection (the server's), which runs the handler for each request in
// turn. Task i is the i-th connection accepted; its checksum is the sum of
// the FNV-1a-52 digests of the bodies it sent, mod 2^52. net/http sets no
// idle timeout unless asked (IdleTimeout and ReadTimeout 0), so a
// keep-alive connection stays open until the client closes it, as the load
// generator expects; and net's listener sets TCP_NODELAY on every accepted
// connection, as it does on dialled ones.
type server struct {
	n          int
	t0         time.Time
	start, end []int64
	sums       []uint64

	mu       sync.Mutex
	accepted int              // connections so far, tasks or not
	open     map[net.Conn]int // each open connection's task, for ConnState
	closed   int              // tasks (connections below n) that have ended
	done     chan struct{}    // closed when all n have
}

func newServer(n int, start, end []int64, sums []uint64) *server {
	return &server{n: n, start: start, end: end, sums: sums,
		open: make(map[net.Conn]int, n), done: make(chan struct{})}
}

// A connection is accepted: it takes the next task number. http.Server calls
// ConnContext right after Accept, on the one goroutine that accepts and
// before StateNew, so the numbers follow the accept order; the number rides
// in the context of each of the connection's requests to the handler.
func (s *server) connContext(ctx context.Context, c net.Conn) context.Context {
	s.mu.Lock()
	i := s.accepted
	s.accepted++
	if i < s.n {
		s.start[i] = int64(time.Since(s.t0))
		s.open[c] = i
	}
	s.mu.Unlock()
	return context.WithValue(ctx, taskKey{}, i)
}

// A connection is over: its task ends (StateHijacked does not happen here,
// nothing hijacks, but it would be the connection's end for the server too).
func (s *server) connState(c net.Conn, state http.ConnState) {
	if state != http.StateClosed && state != http.StateHijacked {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.open[c]
	if !ok {
		return
	}
	delete(s.open, c)
	s.end[i] = int64(time.Since(s.t0))
	if s.closed++; s.closed == s.n {
		close(s.done)
	}
}

// GET /delay?ms=D&bytes=B[&seed=S]: wait D ms, answer B bytes of the body of
// (B, S). Anything else gets a 400 and a close; a request net/http cannot
// parse gets net/http's own 400 (and a close) before it reaches here.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ms, bytes, seed, err := delayAsked(r)
	if err != nil {
		w.Header().Set("Connection", "close") // net/http closes after this answer
		http.Error(w, err.Error()+"\nexpected: GET /delay?ms=D&bytes=B[&seed=S]", http.StatusBadRequest)
		return
	}
	time.Sleep(time.Duration(ms) * time.Millisecond) // the backend's work
	if r.Context().Err() != nil {
		return // the client closed the connection meanwhile: nothing is sent, nothing is summed
	}
	w.Header().Set("Content-Type", "text/plain") // else net/http sniffs the body for one
	w.Header().Set("Content-Length", strconv.FormatInt(bytes, 10))
	size := int64(partBytes)
	if bytes < size {
		size = bytes
	}
	part := make([]byte, size)
	h := fnv.New64a()
	for at := int64(0); at < bytes; at += int64(len(part)) {
		if left := bytes - at; left < int64(len(part)) {
			part = part[:left]
		}
		fillBody(part, seed, at)
		h.Write(part)
		if _, err := w.Write(part); err != nil {
			return // the client is gone: the body was not all sent, and is not in the sum
		}
	}
	// One request at a time per connection: only this goroutine adds to sums[i].
	if i := r.Context().Value(taskKey{}).(int); i < s.n {
		s.sums[i] = (s.sums[i] + h.Sum64()) & sumMask
	}
}

func delayAsked(r *http.Request) (ms, bytes int64, seed uint64, err error) {
	if r.Method != http.MethodGet || r.URL.Path != "/delay" {
		return 0, 0, 0, fmt.Errorf("only GET /delay is served, not %s %s", r.Method, r.URL.Path)
	}
	q := r.URL.Query()
	number := func(name string, max uint64) uint64 {
		v, e := strconv.ParseUint(q.Get(name), 10, 64)
		if e != nil || v > max {
			err = fmt.Errorf("bad %s %q", name, q.Get(name))
		}
		return v
	}
	ms, bytes = int64(number("ms", maxDelayMs)), int64(number("bytes", maxBytes))
	if q.Has("seed") {
		seed = number("seed", ^uint64(0))
	}
	return ms, bytes, seed, err
}

// Serves from ln until n connections have been accepted and closed.
func (s *server) run(ln net.Listener, t0 time.Time) {
	if s.n == 0 {
		return
	}
	s.t0 = t0
	srv := &http.Server{Handler: s, ConnContext: s.connContext, ConnState: s.connState}
	go func() {
		if err := srv.Serve(ln); err != nil {
			fatal("serving: %v", err)
		}
	}()
	<-s.done
}

// The due times, in ns after go, one a line; nil for a burst.
func readDue(path string, n int) []int64 {
	if path == "" {
		return nil
	}
	text, err := os.ReadFile(path)
	if err != nil {
		fatal("SIMUL_DUE_FILE: %v", err)
	}
	lines := strings.Fields(string(text))
	if len(lines) != n {
		fatal("SIMUL_DUE_FILE has %d lines, not SIMUL_TASKS=%d", len(lines), n)
	}
	due := make([]int64, n)
	for i, l := range lines {
		if due[i], err = strconv.ParseInt(l, 10, 64); err != nil || due[i] < 0 {
			fatal("SIMUL_DUE_FILE line %d: %q is not a time in ns", i+1, l)
		}
	}
	return due
}

func expect(in *bufio.Reader, want string) {
	line, err := in.ReadString('\n')
	if line = strings.TrimSuffix(line, "\n"); line != want {
		fatal("expected %q on stdin, got %q (%v)", want, line, err)
	}
}

func main() {
	if v := os.Getenv("SIMUL_PEER"); v != "1" {
		fatal("SIMUL_PEER is %q; this peer speaks version 1", v)
	}
	n, err := strconv.Atoi(os.Getenv("SIMUL_TASKS"))
	if err != nil || n < 0 {
		fatal("SIMUL_TASKS is %q, not a task count", os.Getenv("SIMUL_TASKS"))
	}
	params := map[string]string{}
	for _, kv := range strings.Fields(os.Getenv("SIMUL_PARAMS")) {
		k, v, _ := strings.Cut(kv, "=")
		params[k] = v
	}
	param := func(name string) int64 {
		v, err := strconv.ParseInt(params[name], 10, 64)
		if err != nil || v < 0 {
			fatal("SIMUL_PARAMS: %s is %q, not a count", name, params[name])
		}
		return v
	}
	var run task
	var ln net.Listener // serve's
	switch w := os.Getenv("SIMUL_WORKLOAD"); w {
	case "sleep":
		run = sleepTask(time.Duration(param("wait_ms")) * time.Millisecond)
	case "chess":
		run = chessTask(param("moves"), time.Duration(param("think_us"))*time.Microsecond,
			time.Duration(param("reply_us"))*time.Microsecond)
	case "fetch":
		host, port := os.Getenv("SIMUL_DELAY_HOST"), os.Getenv("SIMUL_DELAY_PORT")
		if host == "" || port == "" {
			fatal("fetch needs SIMUL_DELAY_HOST and SIMUL_DELAY_PORT")
		}
		run = fetchTask(host, port, param("delay_ms"), param("bytes"))
	case "serve":
		fd, err := strconv.Atoi(os.Getenv("SIMUL_LISTEN_FD"))
		if err != nil || fd < 0 {
			fatal("serve needs SIMUL_LISTEN_FD, not %q", os.Getenv("SIMUL_LISTEN_FD"))
		}
		f := os.NewFile(uintptr(fd), "listen")
		if ln, err = net.FileListener(f); err != nil { // a dup of it, on Go's poller
			fatal("SIMUL_LISTEN_FD=%d: %v", fd, err)
		}
		f.Close()
	case "file_read":
		// O_DIRECT reads need buffers aligned to the device's blocks, which
		// os.File's reads into a []byte do not promise.
		if params["direct"] != "0" {
			fmt.Println("skip file_read: direct:1 (O_DIRECT) needs aligned buffers, which Go's os.File reads " +
				"into a []byte do not give; the Go peer reads through the page cache (direct:0)")
			return
		}
		// io picks the read path of simul's C++ loops; simul sends a peer
		// only its first value, and any other would run the same reads twice.
		if io, ok := params["io"]; ok && io != "native" {
			fmt.Printf("skip file_read: io:%s picks a read path of simul's C++ loops; the Go peer has one, "+
				"os.File's reads, and runs io:native only\n", io)
			return
		}
		dir := os.Getenv("SIMUL_FILE_DIR")
		size, chunk := param("file_kib")*1024, param("chunk_kib")*1024
		if dir == "" || chunk == 0 || size%hashBlockBytes != 0 || chunk%hashBlockBytes != 0 {
			fatal("file_read needs SIMUL_FILE_DIR, and file_kib and chunk_kib > 0 in whole 4 KiB blocks")
		}
		run = fileReadTask(dir, size, chunk)
	default:
		fmt.Printf("skip the Go peer has no workload %q\n", w)
		return
	}

	// Start-up: the due times, the dispatch order and the records, before ready.
	due := readDue(os.Getenv("SIMUL_DUE_FILE"), n)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if due != nil {
		sort.SliceStable(order, func(a, b int) bool { return due[order[a]] < due[order[b]] })
	}
	start, end := make([]int64, n), make([]int64, n)
	sums, errs := make([]uint64, n), make([]error, n)
	for i := range start {
		start[i], end[i] = -1, -1
	}
	var srv *server
	if ln != nil {
		srv = newServer(n, start, end, sums)
	}
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready") // os.Stdout is unbuffered: the line is out now
	expect(in, "go")
	t0 := time.Now()

	if srv != nil {
		// Connections arrive when the load generator opens them, not on a
		// schedule: the server's accepts are the dispatcher.
		srv.run(ln, t0)
	} else {
		var wg sync.WaitGroup
		wg.Add(n)
		for _, i := range order {
			// A rate case: this loop is the dispatcher, no task starts before its due time.
			for due != nil && time.Since(t0) < time.Duration(due[i]) {
				time.Sleep(time.Duration(due[i]) - time.Since(t0))
			}
			go func(i int) {
				defer wg.Done()
				start[i] = int64(time.Since(t0))
				sums[i], errs[i] = run(i)
				end[i] = int64(time.Since(t0))
			}(i)
		}
		wg.Wait()
	}
	fmt.Println("done")

	expect(in, "send")
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	for i := 0; i < n; i++ {
		fmt.Fprintf(out, "%d %d %d ", i, start[i], end[i])
		if errs[i] == nil {
			fmt.Fprintf(out, "ok %d\n", sums[i])
		} else {
			fmt.Fprintf(out, "fail %s\n", strings.Join(strings.Fields(errs[i].Error()), " ")) // one line
		}
	}
	out.WriteString("end\n")
	if err := out.Flush(); err != nil {
		fatal("writing the records: %v", err)
	}
}
