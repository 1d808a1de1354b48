// {{name}}: a Jinn function in Go (GOOS=wasip1 GOARCH=wasm). It reads the
// request envelope (JSON) from stdin and answers 200 with a JSON body naming
// itself and the request's method and URI.
//
// Build: `jinn build` (go build with GOOS=wasip1 GOARCH=wasm), serve:
// `jinn serve`, then `curl localhost:8080/{{name}}`.
package main

import (
	"encoding/json"
	"io"
	"os"
)

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

func main() {
	input, err := io.ReadAll(os.Stdin)
	var req request
	if err == nil {
		err = json.Unmarshal(input, &req)
	}
	if err != nil {
		out, _ := json.Marshal(response{Status: 400, Body: "bad request: " + err.Error()})
		os.Stdout.Write(out)
		return
	}
	body, _ := json.Marshal(map[string]string{
		"function": "{{name}}",
		"lang":     "go",
		"method":   req.Method,
		"uri":      req.URI,
	})
	out, _ := json.Marshal(response{
		Status:  200,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
		Body:    string(body),
	})
	os.Stdout.Write(out)
}
