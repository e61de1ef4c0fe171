// Every example the README shows is a file in examples/: the README's code must
// be that file word for word, and running it must print the output shown.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root, runNode } from "./run-node.js";

const readme = readFileSync(path.join(root, "README.md"), "utf8");
const EXAMPLE = /<!-- example: (\S+) -->\n```js\n([\s\S]*?)\n```\n\nOutput:\n\n```text\n([\s\S]*?)\n```/g;
const examples = [...readme.matchAll(EXAMPLE)].map(([, file, code, output]) => ({ file, code, output }));

describe("README examples", () => {
  it("shows the three futures patterns", () => {
    expect(examples.map((e) => e.file)).toEqual([
      "examples/list-of-futures.mjs",
      "examples/future-to-input.mjs",
      "examples/progress.mjs",
    ]);
  });

  for (const { file, code, output } of examples) {
    it(`${file}: the README shows the file as it is`, () => {
      expect(code).toBe(readFileSync(path.join(root, file!), "utf8").trimEnd());
    });

    it(`${file}: running it prints the output the README shows`, async () => {
      const run = await runNode([file!]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout.trimEnd()).toBe(output);
    });
  }
});

describe("README set-up", () => {
  it("gives the demo and test commands that package.json defines", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm test ");
    expect(pkg.scripts.demo).toContain("examples/demo.mjs");
    expect(pkg.scripts.test).toContain("vitest run");
  });

  it("the demo shows both compat modes, the decisions, a downgrade warning and a speed ratio", async () => {
    const run = await runNode(["examples/demo.mjs"], 30_000);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    const count = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;
    // 1. the same workload under each setting, each in its own child process, with equal results
    for (const label of ["passthrough", "managed", "managed \\+ nogil"]) {
      expect(count(new RegExp(`^   ${label} +primes 5133 9592 13848 17984 \\| 3 pages: page 1: 200, \\.\\.\\.$`))).toBe(1);
    }
    expect(lines).toContain("   same results under every setting: yes");
    // 2. the scheduler's decisions: none in passthrough, per-task routing in managed, one per Run flavor
    expect(count(/^   passthrough +\(none: passthrough hands out the native unirun\/futures classes\)$/)).toBe(1);
    expect(count(/^   managed +unirun: ThreadPoolExecutor → event-loop \(default; 4 workers\)$/)).toBe(1);
    expect(count(/unirun: ThreadPoolExecutor → worker-threads \(hint; 4 workers; per task; CPU-bound task\)$/)).toBe(1);
    expect(count(/unirun: ThreadPoolExecutor → worker-threads \(thread-mode; 4 workers; per task; nogil\)$/)).toBe(1);
    expect(count(/unirun: ThreadPoolExecutor → event-loop \(downgrade; 4 workers; per task; .*captures `latency`/)).toBe(1);
    expect(count(/^   new Run\(\.\.\.\) +unirun: auto → event-loop \(default; \d+ workers\)$/)).toBe(1);
    expect(count(/^ +unirun: threads → event-loop \(pinned-mode; \d+ workers\)$/)).toBe(1);
    expect(count(/^ +unirun: interpreters → worker-threads \(pinned-mode; \d+ workers\)$/)).toBe(1);
    expect(count(/^ +unirun: processes → child-processes \(pinned-mode; \d+ workers\)$/)).toBe(1);
    expect(count(/^ +unirun: none → event-loop \(pinned-mode; \d+ workers\)$/)).toBe(1);
    // 3. exactly one downgrade warning, caught by the child's process.on("warning")
    const warning = /^   DowngradeWarning \[UNIRUN_DOWNGRADE\]: ThreadPoolExecutor downgraded to native behaviour: .*closure.* \(requested=worker-threads, resolved=event-loop\)$/;
    expect(count(warning)).toBe(1);
    // 4. a speed comparison: two timings and their ratio, printed (their values are not checked)
    expect(run.stdout).toMatch(/^4\. Speed, CPU-bound: 8 × countPrimes\(300000\), results equal: yes$/m);
    expect(count(/^   one thread, one call after another: +\d+ ms$/)).toBe(1);
    expect(count(/^   InterpreterPoolExecutor, \d+ worker threads: +\d+ ms$/)).toBe(1);
    expect(count(/^   ratio: \d+\.\d\dx /)).toBe(1);
  });
});
