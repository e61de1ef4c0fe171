// Type-level checks of the public API, as a TypeScript user writes it.
import { describe, expect, expectTypeOf, it } from "vitest";
import { Future, ThreadPoolExecutor, asCompleted, wait, type MapResults } from "../src/api/futures.js";

describe("public types", () => {
  it("for await over asCompleted keeps each item a Future (not its awaited value)", async () => {
    const a = new Future<number>();
    const b = new Future<string>();
    a.setResult(1);
    b.setResult("x");
    const byFuture = new Map<Future<number> | Future<string>, string>([[a, "a"], [b, "b"]]);
    const seen: string[] = [];
    for await (const future of asCompleted([a, b])) {
      expectTypeOf(future).toExtend<Future<number> | Future<string>>();
      expectTypeOf<Awaited<ReturnType<typeof future.result>>>().toEqualTypeOf<number | string>();
      seen.push(byFuture.get(future)!);
    }
    expect(seen.sort()).toEqual(["a", "b"]);
  });

  it("wait accepts a mixed list and returns Sets of the same futures", async () => {
    const a = new Future<number>();
    const b = new Future<string>();
    a.setResult(1);
    b.setResult("x");
    const { done, notDone } = await wait([a, b]);
    expectTypeOf(done).toEqualTypeOf<Set<Future<number> | Future<string>>>();
    expectTypeOf(notDone).toEqualTypeOf<Set<Future<number> | Future<string>>>();
  });

  it("submit and map infer result types; await future gives the result", async () => {
    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    const f = ex.submit(async (x: number, y: string) => `${y}${x}`, 1, "n");
    expectTypeOf(f).toEqualTypeOf<Future<string>>();
    expectTypeOf(await f).toEqualTypeOf<string>();
    const m = ex.map((x: number, y: boolean) => (y ? x : -x), [1, 2], [true, false]);
    expectTypeOf(m).toEqualTypeOf<MapResults<number>>();
    expectTypeOf(await m.toArray()).toEqualTypeOf<number[]>();
    await ex.shutdown();
  });
});
