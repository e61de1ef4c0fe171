/**
 * Run a Node script from the project root (so `unirun/...` resolves to the
 * built package by self-reference) and capture its output. Bounded: the child
 * is killed after `timeoutMs`.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runNode(args: string[], timeoutMs = 15_000): Promise<NodeRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
