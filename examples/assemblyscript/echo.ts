// A Jinn function in AssemblyScript: answers with the request envelope it
// read on stdin, as a JSON string in the response body.
import { readAll, writeAll } from "./wasi";

function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

export function _start(): void {
  const request = String.UTF8.decode(readAll().buffer);
  const response =
    '{"status":200,"headers":{"Content-Type":["application/json"]},"body":' + quote(request) + "}";
  writeAll(1, Uint8Array.wrap(String.UTF8.encode(response)));
}
