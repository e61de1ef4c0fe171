/**
 * The calling side of the transport: turn a function into what a worker can
 * rebuild (SPEC §1.1), or refuse it with a TypeError that says how to fix it.
 *
 * Specs are memoized: every call of one function shares one frozen spec
 * object, so a message carrying many calls writes it once, and a child
 * process can be sent it once and named by a number afterwards.
 */
import { functionSource } from "./function-source.js";
import { isTaskRef } from "./task.js";
import type { CallSpec } from "./types.js";

/** Past this many distinct specs the by-text memo starts over (generated code must not grow it forever). */
const MAX_BY_TEXT = 1_000;

const byFunction = new WeakMap<Function, CallSpec>();
// By text too: an arrow written inside a loop is a new function object on every turn, with the same source.
const byText = new Map<string, CallSpec>();

/**
 * A task reference crosses as module URL and export name; any other function
 * crosses as its source, if it is self-contained. The same function (or the
 * same module export, or the same source) always gets the same frozen object.
 *
 * @throws TypeError for closures, bound and built-in functions.
 */
export function toCallSpec(fn: Function, caller: string): CallSpec {
  const known = byFunction.get(fn);
  if (known !== undefined) return known;
  const spec = isTaskRef(fn)
    ? shared(`ref\n${fn.moduleUrl}\n${fn.exportName}`, () => ({ kind: "ref", url: fn.moduleUrl, name: fn.exportName }))
    : shared(`source\n${functionSource(fn, caller)}`, (text) => ({ kind: "source", source: text.slice(7) }));
  byFunction.set(fn, spec);
  return spec;
}

function shared(text: string, make: (text: string) => CallSpec): CallSpec {
  let spec = byText.get(text);
  if (spec === undefined) {
    if (byText.size >= MAX_BY_TEXT) byText.clear();
    spec = Object.freeze(make(text));
    byText.set(text, spec);
  }
  return spec;
}
