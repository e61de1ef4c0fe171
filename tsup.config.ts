import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "futures/index": "src/api/futures.ts",
    "asyncio/index": "src/asyncio/index.ts",
    "compat/index": "src/compat/index.ts",
    "compat/futures": "src/compat/futures.ts",
    "compat/asyncio": "src/compat/asyncio.ts",
    "workloads/index": "src/workloads/index.ts",
    cli: "src/cli.ts",
    worker: "src/executors/worker-entry.ts",
    child: "src/executors/child-entry.ts",
  },
  format: ["esm", "cjs"],
  target: "node20",
  platform: "node",
  dts: true,
  // The CJS build needs import.meta.url for task references (SPEC §1.1).
  shims: true,
  splitting: true,
  sourcemap: true,
  clean: true,
});
