// The Go peer (docs/PEERS.md): each task is a goroutine, waits are
// time.Sleep, fetch is net/http. simul meters this process from outside, so
// nothing between "ready" and "send" prints or grows a list.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
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
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready") // os.Stdout is unbuffered: the line is out now
	expect(in, "go")
	t0 := time.Now()

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
