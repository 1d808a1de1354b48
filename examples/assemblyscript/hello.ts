// A Jinn function in AssemblyScript: answers "Hello from AssemblyScript".
import { writeAll } from "./wasi";

export function _start(): void {
  const response = '{"status":200,"body":"Hello from AssemblyScript"}';
  writeAll(1, Uint8Array.wrap(String.UTF8.encode(response)));
}
