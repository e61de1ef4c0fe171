#!/usr/bin/env node
/**
 * The `unirun` command: `unirun bench` runs the benchmark suite (SPEC §8);
 * `--help` and `--version` answer at once. The bench code is imported only
 * when asked for, so the other answers stay fast.
 */
import { createRequire } from "node:module";

const USAGE = `usage: unirun <command>

commands:
  bench      run the benchmark suite (unirun bench --help for its options)

options:
  --help     show this help
  --version  print the version`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (command === "--version") {
    const require = createRequire(import.meta.url);
    console.log((require("../package.json") as { version: string }).version);
    return 0;
  }
  if (command === "bench") {
    const { benchCommand } = await import("./bench/command.js");
    return benchCommand(rest);
  }
  console.error(`unirun: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
