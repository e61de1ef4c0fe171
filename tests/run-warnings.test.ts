/**
 * Downgrade warnings (SPEC §4): delivered through `process.emitWarning` with
 * the exact message, name and code; once per owner and reason; thrown as
 * `DowngradeError` under `error`; silent under `ignore`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DowngradeError,
  DowngradeWarning,
  downgradeMessage,
  emitDowngrade,
  resetDowngrades,
  type Downgrade,
} from "../src/run/warnings.js";
import { runNode } from "./run-node.js";

const closure: Downgrade = {
  surface: "ThreadPoolExecutor",
  reason: "a closure cannot cross to a worker thread",
  requested: "worker-threads",
  resolved: "event-loop",
};
const initializer: Downgrade = {
  surface: "ThreadPoolExecutor",
  reason: "initializer needs a dedicated native pool",
  requested: "shared-pool",
  resolved: "native",
};
const expectedMessage =
  "ThreadPoolExecutor downgraded to native behaviour: a closure cannot cross to a worker thread " +
  "(requested=worker-threads, resolved=event-loop)";

/** Every DowngradeWarning that reaches `process.on("warning")` while installed. */
let received: Error[] = [];
const onWarning = (warning: Error): void => {
  if (warning.name === "DowngradeWarning") received.push(warning);
};

beforeEach(() => {
  received = [];
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("warning", onWarning);
  resetDowngrades();
});

/** Resolve once `count` warnings have arrived; fail after `timeoutMs`. */
function warningsArrive(count: number, timeoutMs = 2_000): Promise<Error[]> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`expected ${count} warnings, got ${received.length}`)),
      timeoutMs,
    );
    const check = (): void => {
      if (received.length >= count) {
        clearTimeout(deadline);
        process.off("warning", check);
        resolve(received);
      }
    };
    process.on("warning", check);
    check();
  });
}

/**
 * Node emits warnings on `process.nextTick`; by the time a `setImmediate`
 * callback runs, every warning emitted before it has been delivered.
 */
function warningsFlushed(): Promise<Error[]> {
  return new Promise((resolve) => setImmediate(() => resolve(received)));
}

describe("downgradeMessage", () => {
  it("is exactly `<Surface> downgraded to native behaviour: <reason> (requested=<x>, resolved=<y>)`", () => {
    expect(downgradeMessage(closure)).toBe(expectedMessage);
    expect(
      downgradeMessage({ surface: "toThread", reason: "r", requested: "a", resolved: "b" }),
    ).toBe("toThread downgraded to native behaviour: r (requested=a, resolved=b)");
  });
});

describe("DowngradeWarning and DowngradeError", () => {
  it.each([
    ["DowngradeWarning", DowngradeWarning],
    ["DowngradeError", DowngradeError],
  ] as const)("%s carries name, code, message and the downgrade's fields", (name, Cls) => {
    const error = new Cls(closure);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe("UNIRUN_DOWNGRADE");
    expect(error.message).toBe(expectedMessage);
    expect(error).toMatchObject(closure);
    expect(Object.keys(error)).not.toContain("name");
    expect(String(error)).toBe(`${name}: ${expectedMessage}`);
  });

  it("are distinct classes", () => {
    expect(new DowngradeError(closure)).not.toBeInstanceOf(DowngradeWarning);
    expect(new DowngradeWarning(closure)).not.toBeInstanceOf(DowngradeError);
  });
});

describe('emitDowngrade, mode "default"', () => {
  it('reaches process.on("warning") as a DowngradeWarning with the exact message', async () => {
    const owner = {};
    emitDowngrade(closure, { owner, mode: "default" });
    const [warning] = await warningsArrive(1);
    expect(warning).toBeInstanceOf(DowngradeWarning);
    expect(warning.name).toBe("DowngradeWarning");
    expect((warning as DowngradeWarning).code).toBe("UNIRUN_DOWNGRADE");
    expect(warning.message).toBe(expectedMessage);
    expect(warning).toMatchObject(closure);
  });

  it("warns once per owner and reason", async () => {
    const owner = {};
    emitDowngrade(closure, { owner, mode: "default" });
    emitDowngrade(closure, { owner, mode: "default" });
    emitDowngrade({ ...closure, requested: "other" }, { owner, mode: "default" });
    await warningsArrive(1);
    expect(await warningsFlushed()).toHaveLength(1);
  });

  it("warns once for each reason of the same owner", async () => {
    const owner = {};
    emitDowngrade(closure, { owner, mode: "default" });
    emitDowngrade(initializer, { owner, mode: "default" });
    emitDowngrade(initializer, { owner, mode: "default" });
    await warningsArrive(2);
    const warnings = await warningsFlushed();
    expect(warnings.map((w) => (w as DowngradeWarning).reason)).toEqual([
      closure.reason,
      initializer.reason,
    ]);
  });

  it("warns once for each owner with the same reason", async () => {
    const first = {};
    const second = {};
    emitDowngrade(closure, { owner: first, mode: "default" });
    emitDowngrade(closure, { owner: second, mode: "default" });
    emitDowngrade(closure, { owner: first, mode: "default" });
    await warningsArrive(2);
    expect(await warningsFlushed()).toHaveLength(2);
  });

  it("warns again after resetDowngrades()", async () => {
    const owner = {};
    emitDowngrade(closure, { owner, mode: "default" });
    resetDowngrades();
    emitDowngrade(closure, { owner, mode: "default" });
    await warningsArrive(2);
    expect(await warningsFlushed()).toHaveLength(2);
  });

  it("is printed by Node as `[UNIRUN_DOWNGRADE] DowngradeWarning: <message>`", async () => {
    const script = [
      'import { emitDowngrade } from "./src/run/warnings.ts";',
      "const owner = {};",
      `const d = ${JSON.stringify(closure)};`,
      'emitDowngrade(d, { owner, mode: "default" });',
      'emitDowngrade(d, { owner, mode: "default" });',
    ].join("\n");
    const run = await runNode(["--import", "tsx", "--input-type=module", "-e", script]);
    expect(run.code).toBe(0);
    const lines = run.stderr.split("\n").filter((line) => line.includes("DowngradeWarning"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\(node:\\d+\\) \\[UNIRUN_DOWNGRADE\\] DowngradeWarning: ${escapeRegExp(expectedMessage)}$`,
      ),
    );
  });
});

describe('emitDowngrade, mode "error"', () => {
  it("throws DowngradeError with the same message, every time, and emits nothing", async () => {
    const owner = {};
    for (let i = 0; i < 2; i++) {
      let thrown: unknown;
      try {
        emitDowngrade(closure, { owner, mode: "error" });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DowngradeError);
      expect(thrown).toMatchObject({
        name: "DowngradeError",
        code: "UNIRUN_DOWNGRADE",
        message: expectedMessage,
        ...closure,
      });
    }
    expect(await warningsFlushed()).toHaveLength(0);
  });

  it("does not count as the owner's warning", async () => {
    const owner = {};
    expect(() => emitDowngrade(closure, { owner, mode: "error" })).toThrow(DowngradeError);
    emitDowngrade(closure, { owner, mode: "default" });
    await warningsArrive(1);
  });
});

describe('emitDowngrade, mode "ignore"', () => {
  it("emits nothing and does not count as the owner's warning", async () => {
    const owner = {};
    emitDowngrade(closure, { owner, mode: "ignore" });
    emitDowngrade(initializer, { owner: {}, mode: "ignore" });
    expect(await warningsFlushed()).toHaveLength(0);
    emitDowngrade(closure, { owner, mode: "default" });
    await warningsArrive(1);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
