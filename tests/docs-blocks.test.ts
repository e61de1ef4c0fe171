// Every fenced block of README.md and MIGRATION.md is run against the BUILT
// package (`npm test` builds first; locally, `npx tsup --silent`), or listed
// as not runnable with a reason: a new block that is neither fails here. How a
// block is run is said by the harness comments above it (docs-blocks.helpers.ts).
// Blocks of one file run in order in one scratch directory under .tmp/, so a
// later block can use what an earlier one saved; the two files run side by
// side. TypeScript blocks are then type-checked, together, with the project's
// compiler options.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyDiff,
  type Block,
  blockEnv,
  commandFor,
  extractBlocks,
  kindOf,
  PRELUDES,
  type Run,
  runCommand,
  unexpectedStderr,
  write,
} from "./docs-blocks.helpers.js";
import { FLAVORS } from "../src/run/config.js";
import { root } from "./run-node.js";

const DOCS = ["README.md", "MIGRATION.md"];
const blocksOf = new Map(DOCS.map((doc) => [doc, extractBlocks(doc)]));

/** What running a block gave: one run, or (a patch) the file before and after. */
const runs = new Map<Block, Run[]>();
let scratch = "";
let typecheck: Run | null = null;

const nameOf = (block: Block) => `block-${block.line}`;
const dirOf = (block: Block) => path.join(scratch, path.basename(block.doc, ".md"));

interface Step {
  block: Block;
  /** Files to (re)write before running, name → text. */
  files: [string, string][];
  /** Files to run, in order (a patch runs the file before and after). */
  commands: string[];
  /** Reads no file that another step writes, so it may run beside the others. */
  independent: boolean;
}

/**
 * Write every block's own file (for the type check) and plan the runs, in
 * document order. A file saved once and never patched is written up front, and
 * a program block that saves and mentions (`./name.`) only such files is
 * independent; shell blocks and everything else run in document order.
 */
function plan(doc: string): Step[] {
  const blocks = blocksOf.get(doc)!;
  const saves = blocks.flatMap((b) => [b.directives.get("file"), b.directives.get("patch")]).filter(Boolean);
  const stable = new Set(saves.filter((name) => saves.indexOf(name) === saves.lastIndexOf(name)));
  const mentions = (code: string) => saves.filter((name) => code.includes(`./${name!.replace(/\.\w+$/, "")}.`));
  const saved = new Map<string, string>();
  const steps: Step[] = [];
  for (const block of blocks) {
    const kind = kindOf(block);
    const dir = dirOf(block);
    const ext = block.lang === "ts" ? ".ts" : block.lang === "js" ? ".mjs" : ".sh";
    if (kind === "program" || kind === "shell") {
      const preludes = (block.directives.get("prelude") ?? "").split(/[\s,]+/).filter(Boolean);
      for (const name of preludes) if (!(name in PRELUDES)) throw new Error(`${doc}:${block.line}: no prelude ${name}`);
      const text = [...preludes.map((name) => PRELUDES[name]), block.code].join("\n");
      write(dir, nameOf(block) + ext, text);
      const file = block.directives.get("file");
      if (file) saved.set(file, text);
      if (file && stable.has(file)) write(dir, file, text);
      const independent =
        kind === "program" && (!file || stable.has(file)) && mentions(block.code).every((name) => stable.has(name));
      const files: [string, string][] = file && !stable.has(file) ? [[file, text]] : [];
      steps.push({ block, files, commands: [file ?? nameOf(block) + ext], independent });
    } else if (kind === "patch") {
      const file = block.directives.get("patch")!;
      const before = saved.get(file);
      if (before === undefined) throw new Error(`${doc}:${block.line}: patch ${file}: no earlier block saved it`);
      const after = applyDiff(before, block.code);
      saved.set(file, after);
      write(dir, nameOf(block) + path.extname(file), after);
      steps.push({ block, files: [[file, before]], commands: [file], independent: false });
      steps.push({ block, files: [[file, after]], commands: [file], independent: false });
    }
  }
  return steps;
}

async function runStep({ block, files, commands }: Step): Promise<void> {
  for (const [name, text] of files) write(dirOf(block), name, text);
  for (const file of commands) {
    const run = await runCommand(commandFor(file), dirOf(block), blockEnv(block.directives.get("env")));
    runs.set(block, [...(runs.get(block) ?? []), run]);
  }
}

/** The dependent steps in document order, and beside them the independent ones, one at a time. */
async function runDoc(steps: Step[]): Promise<void> {
  const independent = steps.filter((step) => step.independent);
  const inOrder = async () => {
    for (const step of steps) if (!step.independent) await runStep(step);
  };
  const beside = async () => {
    for (const step of independent) await runStep(step);
  };
  await Promise.all([inOrder(), beside()]);
}

beforeAll(async () => {
  mkdirSync(path.join(root, ".tmp"), { recursive: true });
  scratch = mkdtempSync(path.join(root, ".tmp", "docs-blocks-"));
  for (const doc of DOCS) mkdirSync(path.join(scratch, path.basename(doc, ".md")));
  const steps = DOCS.map(plan);
  writeFileSync(
    path.join(scratch, "tsconfig.json"),
    JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true }, include: ["*/block-*.ts"] }),
  );
  const tsc = [process.execPath, path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"];
  await Promise.all(steps.map(runDoc));
  // After the runs, so the files blocks import (saved by `file:` blocks) are in place.
  typecheck = await runCommand(tsc, scratch, blockEnv(undefined), 120_000);
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const lines = (text: string) => text.trimEnd().split("\n");
const show = (run: Run) => `$ ${run.command}\n--- exit ${run.code}; stdout:\n${run.stdout}\n--- stderr:\n${run.stderr}`;

function expectClean(block: Block, run: Run): void {
  expect(run.code, show(run)).toBe(0);
  expect(unexpectedStderr(run, block.directives.get("stderr")), show(run)).toBeNull();
}

/** The nearest earlier block of the same file that runs, or null. */
function previousRun(blocks: Block[], index: number): Block | null {
  for (let i = index - 1; i >= 0; i--) if (runs.has(blocks[i]!)) return blocks[i]!;
  return null;
}

for (const doc of DOCS) {
  const blocks = blocksOf.get(doc)!;
  describe(doc, () => {
    blocks.forEach((block, index) => {
      const kind = kindOf(block);
      const title = `line ${block.line} (${block.lang || "no language"}, ${kind})`;
      const next = blocks[index + 1];
      const output = next && kindOf(next) === "output" ? next : null;

      if (kind === "not-run") {
        it(`${title}: not run, because ${block.directives.get("not-run")}`, () => {
          expect(block.directives.get("not-run")!.length).toBeGreaterThan(10);
        });
      } else if (kind === "example") {
        it(`${title}: is ${block.directives.get("example")}, run by tests/readme.test.ts`, () => {
          const file = path.join(root, block.directives.get("example")!);
          expect(existsSync(file)).toBe(true);
          expect(block.code).toBe(readFileSync(file, "utf8").trimEnd());
        });
      } else if (kind === "program" || kind === "shell") {
        it(`${title}: runs${output ? " and prints the output shown" : ""}`, () => {
          const [run] = runs.get(block) ?? [];
          expect(run, "the block did not run").toBeDefined();
          expectClean(block, run!);
          if (block.directives.get("compare") === "previous") {
            const before = previousRun(blocks, index);
            expect(before, "compare: previous needs an earlier block that runs").not.toBeNull();
            expect(run!.stdout, show(run!)).toBe(runs.get(before!)![0]!.stdout);
          }
          if (output) {
            if (output.directives.get("output") === "any-order") {
              expect(lines(run!.stdout).sort(), show(run!)).toEqual(lines(output.code).sort());
            } else {
              expect(run!.stdout.trimEnd(), show(run!)).toBe(output.code);
            }
          }
        });
      } else if (kind === "patch") {
        it(`${title}: applies to ${block.directives.get("patch")}, which prints the same before and after`, () => {
          const [before, after] = runs.get(block) ?? [];
          expect(after, "the patched file did not run").toBeDefined();
          expectClean(block, before!);
          expectClean(block, after!);
          expect(lines(after!.stdout).sort()).toEqual(lines(before!.stdout).sort());
        });
      } else if (kind === "output") {
        it(`${title}: is the output of the block before it`, () => {
          const previous = blocks[index - 1];
          expect(previous && ["program", "shell", "example"].includes(kindOf(previous))).toBe(true);
        });
      } else {
        it(`${title}: is run or listed as not runnable`, () => {
          expect.fail(
            `${doc}:${block.line}: a \`\`\`${block.lang} block needs a harness comment: ` +
              "`<!-- not-run: reason -->`, or (diff) `<!-- patch: file -->` (see tests/docs-blocks.helpers.ts)",
          );
        });
      }

      if (block.lang === "ts" && (kind === "program" || kind === "patch")) {
        it(`${title}: type-checks`, () => {
          expect(typecheck, "tsc did not run").not.toBeNull();
          const mine = `${path.basename(doc, ".md")}/${nameOf(block)}.ts`;
          const errors = typecheck!.stdout.split("\n").filter((line) => line.startsWith(mine));
          expect(errors).toEqual([]);
        });
      }
    });
  });
}

describe("the docs type check", () => {
  it("ran tsc over every TypeScript block, and every error it found belongs to a block", () => {
    expect(typecheck).not.toBeNull();
    const stray = typecheck!.stdout.split("\n").filter((line) => /error TS/.test(line) && !/^\w+\/block-/.test(line));
    expect(stray, show(typecheck!)).toEqual([]);
    expect(typecheck!.code === 0 || /error TS/.test(typecheck!.stdout), show(typecheck!)).toBe(true);
  });
});

describe("docs/quick-reference.md", () => {
  const reference = readFileSync(path.join(root, "docs", "quick-reference.md"), "utf8");
  /** The first cell of every table row. */
  const firstCells = reference
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| ---"))
    .map((line) => line.split("|")[1]!);
  const hasRow = (name: string) => firstCells.some((cell) => cell.includes(`\`${name}\``));

  it("is linked from the README", () => {
    expect(readFileSync(path.join(root, "README.md"), "utf8")).toContain("](docs/quick-reference.md)");
  });

  it("has a row for each Run flavor", () => {
    for (const flavor of FLAVORS) expect(hasRow(flavor), flavor).toBe(true);
  });

  it("has a row for every compat export, with its Python name", () => {
    const parity = JSON.parse(readFileSync(path.join(root, "tests", "data", "compat_parity.json"), "utf8"));
    for (const part of ["futures", "asyncio"]) {
      for (const name of Object.keys(parity[part].compat)) {
        expect(hasRow(name), name).toBe(true);
        const python: string | null = parity[part].python[name]?.python ?? null;
        if (python) expect(reference, name).toContain(`\`${python}\``);
      }
    }
  });

  it("names every UNIRUN_* the source uses; the README's configuration table has every variable", () => {
    const source = readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .map((file) => readFileSync(path.join(root, "src", file), "utf8"))
      .join("\n");
    const names = new Set(source.match(/UNIRUN_[A-Z_]+/g));
    for (const name of names) expect(reference, name).toContain(`\`${name}\``);
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const variables = firstCells.map((cell) => /^ `(UNIRUN_\w+)` $/.exec(cell)?.[1]).filter(Boolean);
    expect(variables.length).toBe(8);
    const readmeCells = readme.split("\n").filter((line) => line.startsWith("| ")).map((line) => line.split("|")[1]!);
    for (const variable of variables) {
      expect(readmeCells.some((cell) => cell.includes(`\`${variable}\``)), variable).toBe(true);
    }
  });
});
