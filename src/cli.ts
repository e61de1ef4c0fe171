#!/usr/bin/env node
/**
 * The `unirun` command.
 *
 * UNFINISHED: `unirun bench` arrives with the benchmark issue; until then the
 * command only answers `--help` and `--version`, and says so for anything else.
 */
import { createRequire } from "node:module";

const USAGE = `usage: unirun <command>

commands:
  bench      run the benchmark suite (not available yet in this version)

options:
  --help     show this help
  --version  print the version`;

function main(argv: readonly string[]): number {
  const [command] = argv;
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
    console.error("unirun bench is not available yet in this version of unirun.");
    return 2;
  }
  console.error(`unirun: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
