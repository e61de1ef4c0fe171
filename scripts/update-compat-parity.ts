/**
 * Write `tests/data/compat_parity.json` (SPEC §8): `npm run parity:update`.
 *
 * Compat is described under the default (managed) mode; the test checks that
 * passthrough exports the same names. Python counterparts come from the local
 * `python3` when there is one, and are skipped with a note otherwise.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { computeExportParity, type ExportParity, ROOT, SNAPSHOT, stableStringify } from "./parity.js";
import { computePython } from "./parity-python.js";

/** The whole snapshot: the export part, plus each module's `python` map and the Python version. */
async function computeSnapshot(): Promise<Record<string, unknown>> {
  const exports: ExportParity = await computeExportParity();
  const python = computePython(exports);
  const snapshot: Record<string, unknown> = { python: python.info };
  for (const [key, parity] of Object.entries(exports)) {
    snapshot[key] = { ...parity, python: python.modules[key as keyof ExportParity] };
  }
  return snapshot;
}

async function main(): Promise<void> {
  // Set before compat is first imported: it reads the mode once, and an explicit variable beats `.env`.
  process.env.UNIRUN_COMPAT_MODE = "managed";
  const snapshot = await computeSnapshot();
  mkdirSync(dirname(SNAPSHOT), { recursive: true });
  writeFileSync(SNAPSHOT, stableStringify(snapshot));
  const python = snapshot.python as { available: boolean; version?: string; note?: string };
  console.log(`wrote ${relative(ROOT, SNAPSHOT)} (${python.available ? `Python ${python.version}` : python.note})`);
  for (const key of ["futures", "asyncio"]) {
    const { missing, mismatched } = snapshot[key] as ExportParity["futures"];
    console.log(
      `  ${key}: missing in compat [${missing.compat.join(", ")}], missing in native [${missing.native.join(", ")}],`
        + ` mismatched [${Object.keys(mismatched).join(", ")}]`,
    );
  }
}

await main();
