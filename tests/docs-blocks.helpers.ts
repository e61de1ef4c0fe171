/**
 * The docs block runner behind tests/docs-blocks.test.ts: extracts every fenced
 * block of a Markdown file, with the harness comments written directly above it
 * (`<!-- key: value -->`, visible in the source, invisible on GitHub), and runs
 * the blocks of one file in order, in one scratch directory under .tmp/.
 *
 * Harness comments:
 * - `example: <file>`     the block is that file of examples/ (run by tests/readme.test.ts)
 * - `prelude: <name>`     prepend the named prelude (PRELUDES below) before running
 * - `file: <name>`        also save the block as <name>, for later blocks to import or run
 * - `patch: <name>`       (diff) apply to the saved file <name>; both versions must print the same lines
 * - `env: K=V ...`        run with these variables (every other UNIRUN_* is cleared)
 * - `stderr: <text>`      stderr may be non-empty and must contain <text> (e.g. a warning Node prints)
 * - `compare: previous`   stdout must equal the previous run block's stdout
 * - `output: any-order`   (text) compare lines as a set
 * - `not-run: <reason>`   not run, for the reason given
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { root } from "./run-node.js";

export interface Block {
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  directives: Map<string, string>;
}

/** Stand-ins a block may ask for with `<!-- prelude: name -->`: small and honest. */
export const PRELUDES: Record<string, string> = {
  io: [
    "// prelude io (tests/docs-blocks.helpers.ts): offline stand-ins for network calls.",
    'const urls = ["https://example.com/", "https://example.org/", "https://example.net/"];',
    "async function fetchTitle(url: string): Promise<string> {",
    "  await new Promise((resolve) => setTimeout(resolve, 10));",
    "  return `title of ${url}`;",
    "}",
    "",
  ].join("\n"),
};

const FENCE = /^( *)(`{3,})([\w-]*)\s*$/;
const DIRECTIVE = /^\s*<!--\s*([\w-]+):\s*(.*?)\s*-->\s*$/;

/** Every fenced block of `file` (relative to the project root), in order. */
export function extractBlocks(file: string): Block[] {
  const lines = readFileSync(path.join(root, file), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j]!.startsWith(indent! + ticks!) && lines[j]!.trim() === ticks); j++) {
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    const directives = new Map<string, string>();
    for (let k = i - 1; k >= 0; k--) {
      const d = DIRECTIVE.exec(lines[k]!);
      if (!d) break;
      if (directives.has(d[1]!)) throw new Error(`${file}:${k + 1}: directive ${d[1]} given twice`);
      directives.set(d[1]!, d[2]!);
    }
    blocks.push({ doc: file, line: i + 1, lang: lang!, code: body.join("\n"), directives });
    i = j;
  }
  return blocks;
}

/** How a block is checked. */
export type Kind = "example" | "program" | "shell" | "patch" | "output" | "not-run" | "unclassified";

export function kindOf(block: Block): Kind {
  const d = block.directives;
  if (d.has("not-run")) return "not-run";
  if (d.has("example")) return "example";
  if (["ts", "js"].includes(block.lang)) return "program";
  if (block.lang === "sh") return "shell";
  if (block.lang === "diff" && d.has("patch")) return "patch";
  if (block.lang === "text") return "output";
  return "unclassified";
}

/** Apply a unified-style diff body (`-`/`+`/` ` lines, no hunk headers) to `before`. */
export function applyDiff(before: string, diff: string): string {
  const from: string[] = [];
  const to: string[] = [];
  for (const line of diff.split("\n")) {
    const text = line.slice(1);
    if (line.startsWith("-")) from.push(text);
    else if (line.startsWith("+")) to.push(text);
    else if (line.startsWith(" ")) (from.push(text), to.push(text));
    else throw new Error(`a diff line must start with "-", "+" or " ": ${JSON.stringify(line)}`);
  }
  const lines = before.split("\n");
  const at = lines.findIndex((_, i) => from.every((text, k) => lines[i + k] === text));
  if (from.length === 0 || at < 0) throw new Error(`the diff's "-" lines are not in the file:\n${from.join("\n")}`);
  lines.splice(at, from.length, ...to);
  return lines.join("\n");
}

export interface Run {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment blocks run in, as in a reader's shell: no UNIRUN_* of the
 * caller's (the docs show the defaults), none of npm's or vitest's own
 * variables, no colours, the project's local bins on PATH.
 */
export function blockEnv(extra: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(UNIRUN_|npm_|VITEST)|^FORCE_COLOR$/i.test(key)) env[key] = value;
  }
  env.NO_COLOR = "1";
  env.PATH = `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`;
  for (const pair of (extra ?? "").split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`env directive: expected KEY=VALUE, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/**
 * Run a command in `cwd`, bounded: after `timeoutMs` its whole process group
 * (pool workers, children of a shell block) is killed and `code` is null.
 */
export function runCommand(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n[docs-blocks] killed after ${timeoutMs} ms`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on("error", (error) => (stderr += String(error)));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ command: args.join(" "), code, stdout, stderr });
    });
  });
}

/** The command that runs a saved program or shell block. */
export function commandFor(file: string): string[] {
  if (file.endsWith(".ts")) return [process.execPath, "--import", "tsx", file];
  if (file.endsWith(".sh")) return ["bash", "-e", "-o", "pipefail", file];
  return [process.execPath, file];
}

/** stderr must be empty, but for npm's own notices and what a `stderr:` directive expects. */
export function unexpectedStderr(run: Run, expected: string | undefined): string | null {
  const rest = run.stderr
    .split("\n")
    .filter((line) => line.trim() !== "" && !/^npm (warn|notice)/i.test(line))
    .join("\n");
  if (expected !== undefined) return run.stderr.includes(expected) ? null : `stderr lacks ${expected}:\n${run.stderr}`;
  return rest === "" ? null : rest;
}

export function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text.endsWith("\n") ? text : `${text}\n`);
  return file;
}
