import { defineConfig, type Options } from "tsup";

const common: Options = {
  format: ["esm", "cjs"],
  target: "node20",
  platform: "node",
  // The CJS build needs import.meta.url for task references (SPEC §1.1).
  shims: true,
  sourcemap: true,
};

export default defineConfig([
  {
    ...common,
    // The public entry points share their modules (one class per name, whichever entry a user imports).
    entry: {
      index: "src/index.ts",
      "futures/index": "src/api/futures.ts",
      "asyncio/index": "src/asyncio/index.ts",
      "compat/index": "src/compat/index.ts",
      "compat/futures": "src/compat/futures.ts",
      "compat/asyncio": "src/compat/asyncio.ts",
      "workloads/index": "src/workloads/index.ts",
    },
    dts: true,
    splitting: true,
    clean: true,
  },
  {
    ...common,
    // Programs of their own (the worker and child entries run in other
    // isolates and processes, the CLI alone): self-contained, so that the
    // public entries above share fewer, larger chunks (fewer files to load).
    entry: {
      cli: "src/cli.ts",
      worker: "src/executors/worker-entry.ts",
      child: "src/executors/child-entry.ts",
    },
    dts: false,
    splitting: false,
    clean: false,
  },
]);
