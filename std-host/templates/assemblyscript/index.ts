// {{name}}: a Jinn function in AssemblyScript. It reads the request envelope
// (JSON) from stdin and answers 200 with a JSON body naming itself and the
// number of request bytes it read.
//
// Build: `jinn build` (asc -Oz --runtime stub), serve: `jinn serve`, then
// `curl localhost:8080/{{name}}`.
import { readAll, writeAll } from "./wasi";

export function _start(): void {
  const request = readAll();
  const body = '{\\"function\\":\\"{{name}}\\",\\"lang\\":\\"assemblyscript\\",\\"request_bytes\\":' + request.length.toString() + "}";
  const response = '{"status":200,"headers":{"Content-Type":["application/json"]},"body":"' + body + '"}';
  writeAll(1, Uint8Array.wrap(String.UTF8.encode(response)));
}
