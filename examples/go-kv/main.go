// A standard Go function (GOOS=wasip1 GOARCH=wasm) for Jinn and Gojinn:
// it sleeps, keeps values in the host's KV store through Gojinn's host ABI
// (//go:wasmimport gojinn …), and panics on a request it cannot read.
//
// The request body is a command, as in Gojinn's kv example:
//
//	SET <key> <value>   stores the value
//	GET <key>           answers "Found: <value>", read with a 1,024-byte
//	                    buffer: a longer value comes back cut, as under Gojinn
//	SLEEP <ms>          sleeps, then says how long it slept
//
// A body that is not a command (or stdin that is not a request) is a bug of
// the caller: the function panics, and the host answers 500 with the panic
// message in the function's stderr.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

//go:wasmimport gojinn host_kv_set
func hostKVSet(keyPtr, keyLen, valPtr, valLen uint32)

//go:wasmimport gojinn host_kv_get
func hostKVGet(keyPtr, keyLen, outPtr, outMax uint32) uint64

// notFound is host_kv_get's answer for a missing or denied key.
const notFound = 0xFFFFFFFFFFFFFFFF

type request struct {
	Method string `json:"method"`
	URI    string `json:"uri"`
	Body   string `json:"body"`
}

type response struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    string              `json:"body"`
}

func ptr(s string) (uint32, uint32) {
	if len(s) == 0 {
		return 0, 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s)))), uint32(len(s))
}

func kvSet(key, value string) {
	kp, kl := ptr(key)
	vp, vl := ptr(value)
	hostKVSet(kp, kl, vp, vl)
}

func kvGet(key string) (string, bool) {
	buf := make([]byte, 1024)
	kp, kl := ptr(key)
	n := hostKVGet(kp, kl, uint32(uintptr(unsafe.Pointer(&buf[0]))), uint32(len(buf)))
	if n == notFound {
		return "", false
	}
	return string(buf[:n]), true
}

func handle(req request) response {
	fields := strings.Fields(req.Body)
	if len(fields) < 2 {
		panic(fmt.Sprintf("bad request: want SET <key> <value>, GET <key> or SLEEP <ms>, got %q", req.Body))
	}
	switch strings.ToUpper(fields[0]) {
	case "SET":
		parts := strings.SplitN(strings.TrimSpace(req.Body), " ", 3)
		if len(parts) < 3 {
			panic(fmt.Sprintf("bad request: SET wants a key and a value, got %q", req.Body))
		}
		kvSet(parts[1], parts[2])
		return response{Status: 200, Headers: map[string][]string{"Content-Type": {"text/plain"}}, Body: "SET OK: " + fields[1]}
	case "GET":
		value, found := kvGet(fields[1])
		if !found {
			return response{Status: 404, Body: "Key not found: " + fields[1]}
		}
		// No Content-Type: the host sniffs one, as Go's net/http does.
		return response{Status: 200, Body: "Found: " + value}
	case "SLEEP":
		ms, err := strconv.Atoi(fields[1])
		if err != nil || ms < 0 {
			panic(fmt.Sprintf("bad request: SLEEP wants milliseconds, got %q", fields[1]))
		}
		start := time.Now()
		time.Sleep(time.Duration(ms) * time.Millisecond)
		slept := time.Since(start)
		return response{Status: 200, Headers: map[string][]string{"Content-Type": {"application/json"}},
			Body: fmt.Sprintf(`{"asked_ms":%d,"slept_ms":%d}`, ms, slept.Milliseconds())}
	}
	panic(fmt.Sprintf("bad request: unknown command %q", fields[0]))
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(fmt.Sprintf("bad request: cannot read stdin: %v", err))
	}
	var req request
	if err := json.Unmarshal(input, &req); err != nil {
		panic(fmt.Sprintf("bad request: %v", err))
	}
	out, _ := json.Marshal(handle(req))
	os.Stdout.Write(out)
}
