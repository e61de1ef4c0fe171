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

  it("the demo runs every step of the tour", async () => {
    const run = await runNode(["examples/demo.mjs"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines).toContain("2. map over two zipped lists: [ 10, 40, 90, 160 ]");
    expect(lines).toContain("3. asCompleted order: fast (0.01s) -> medium (0.08s) -> slow (0.15s)");
    expect(lines).toContain("4. wait(FIRST_COMPLETED): done=1 notDone=1 winner=mirror-b (0.02s)");
    expect(lines).toContain("6. cancel(): running -> false, queued -> true (CANCELLED_AND_NOTIFIED)");
    expect(lines).toContain('8. after shutdown(): submit throws "cannot schedule new futures after shutdown"');
    expect(run.stdout).toMatch(/^5\. exception\(\): SyntaxError: /m);
    expect(run.stdout).toMatch(/^7\. result\(0\.05\): TimeoutError: /m);
  });
});
