/**
 * capabilities() and mapSizing() (SPEC §5): values consistent with the live
 * process, the cache, cgroup parsing over fake /sys/fs/cgroup trees, and the
 * permission model for real — the probe run under this Node's permission flags.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import fc from "fast-check";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Capabilities,
  capabilities,
  IO_MAP_LIMIT,
  mapSizing,
  readCgroupLimits,
  resetCapabilities,
} from "../src/run/capabilities.js";
import { compileProbe } from "./fixtures/run-caps-compile.js";
import { root } from "./run-node.js";

describe("capabilities()", () => {
  it("agrees with the live process", () => {
    const caps = capabilities();
    expect(caps.node.version).toBe(process.version);
    expect(caps.node.major).toBe(Number(process.versions.node.split(".")[0]));
    expect(caps.node.runtime).toBe("node");
    expect(caps.availableParallelism).toBe(os.availableParallelism());
    expect(caps.sharedArrayBuffer).toBe(typeof SharedArrayBuffer === "function");
    expect(caps.atomics).toBe(typeof Atomics === "object");
    expect(caps.permissionModel).toBe(false);
    expect(caps.workerThreadsAllowed).toBe(true);
    expect(caps.childProcessesAllowed).toBe(true);
    expect(caps.cgroup).toEqual(readCgroupLimits());
  });

  it("is cached, frozen all the way down, until resetCapabilities()", () => {
    const first = capabilities();
    expect(capabilities()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    for (const part of [first.node, first.cgroup, first.suggested]) expect(Object.isFrozen(part)).toBe(true);
    resetCapabilities();
    const second = capabilities();
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
  });

  it("reports whether `await using` parses: not before Node 24", () => {
    const caps = capabilities();
    let parses = true;
    try {
      new vm.Script("async function f() { await using x = null; }");
    } catch {
      parses = false;
    }
    expect(caps.explicitResourceManagement).toBe(parses);
    if (caps.node.major <= 22) expect(caps.explicitResourceManagement).toBe(false);
    if (caps.node.major >= 24) expect(caps.explicitResourceManagement).toBe(true);
  });

  it("reports native type stripping by process.features, else by version", () => {
    const caps = capabilities();
    const feature = (process.features as { typescript?: string | false }).typescript;
    if (feature !== undefined) expect(caps.typeStripping).toBe(feature !== false);
    if (caps.node.major === 20) expect(caps.typeStripping).toBe(false);
  });

  it("suggests sizes from the effective cores", () => {
    const { availableParallelism, cgroup, suggested } = capabilities();
    const cores = Math.max(1, Math.min(availableParallelism, Math.ceil(cgroup.cpuLimit ?? Infinity)));
    expect(suggested).toEqual({ io: Math.min(32, cores + 4), cpu: cores, process: cores });
  });
});

describe("readCgroupLimits", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "unirun-cgroup-"));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A fake cgroup mount under a fresh root, and a /proc/self/cgroup for it. */
  async function tree(name: string, proc: string, files: Record<string, string>) {
    const root = path.join(dir, name);
    for (const [file, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await fs.writeFile(path.join(root, file), text);
    }
    await fs.mkdir(root, { recursive: true });
    const procFile = path.join(root, "proc-self-cgroup");
    await fs.writeFile(procFile, proc);
    return { root, procFile };
  }

  it("v2: the smallest limit from the process's cgroup up to the mount", async () => {
    const paths = await tree("v2", "0::/app/web\n", {
      "cgroup.controllers": "cpu memory\n",
      "app/cpu.max": "50000 100000\n",
      "app/memory.max": "1073741824\n",
      "app/web/cpu.max": "200000 100000\n",
      "app/web/memory.max": "max\n",
    });
    expect(readCgroupLimits(paths)).toEqual({ cpuLimit: 0.5, memoryLimitBytes: 1073741824 });
  });

  it("v2: `max` everywhere is no limit", async () => {
    const paths = await tree("v2-max", "0::/\n", {
      "cgroup.controllers": "cpu memory\n",
      "cpu.max": "max 100000\n",
      "memory.max": "max\n",
    });
    expect(readCgroupLimits(paths)).toEqual({ cpuLimit: null, memoryLimitBytes: null });
  });

  it("v1 in a container: the process's host path is absent, the mount's own files count", async () => {
    const proc = "12:name=systemd:/docker/abc\n4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n";
    const paths = await tree("v1", proc, {
      "cpu,cpuacct/cpu.cfs_quota_us": "150000\n",
      "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
      "memory/memory.limit_in_bytes": "536870912\n",
      "unified/cgroup.procs": "",
    });
    expect(readCgroupLimits(paths)).toEqual({ cpuLimit: 1.5, memoryLimitBytes: 536870912 });
  });

  it("v1: quota -1 and the page-aligned 'unlimited' are no limit (as on this machine's hybrid setup)", async () => {
    const proc = "4:memory:/job/1\n2:cpuacct:/\n1:cpu:/\n0::/\n";
    const paths = await tree("v1-unlimited", proc, {
      "cpu/cpu.cfs_quota_us": "-1\n",
      "cpu/cpu.cfs_period_us": "100000\n",
      "memory/memory.limit_in_bytes": "9223372036854771712\n",
      "memory/job/1/memory.limit_in_bytes": "9223372036854771712\n",
    });
    expect(readCgroupLimits(paths)).toEqual({ cpuLimit: null, memoryLimitBytes: null });
  });

  it("never throws: a missing or garbled tree is no limit", async () => {
    expect(readCgroupLimits({ root: path.join(dir, "nowhere"), procFile: path.join(dir, "nofile") })).toEqual({
      cpuLimit: null,
      memoryLimitBytes: null,
    });
    const paths = await tree("garbage", "garbage\n0::/x\n", {
      "cgroup.controllers": "",
      "x/cpu.max": "lots\n",
      "x/memory.max": "-5\n",
    });
    expect(readCgroupLimits(paths)).toEqual({ cpuLimit: null, memoryLimitBytes: null });
  });
});

describe("mapSizing (the XCS rule)", () => {
  const withCores = (cpu: number): Capabilities => ({
    ...capabilities(),
    suggested: { io: Math.min(32, cpu + 4), cpu, process: cpu },
  });

  it("I/O-bound: up to min(n, 100) in flight, chunksize 1", () => {
    expect(IO_MAP_LIMIT).toBe(100);
    expect(mapSizing(0, "io")).toEqual({ maxWorkers: 1, chunksize: 1 });
    expect(mapSizing(7, "io")).toEqual({ maxWorkers: 7, chunksize: 1 });
    expect(mapSizing(100, "io")).toEqual({ maxWorkers: 100, chunksize: 1 });
    expect(mapSizing(10_000, "io")).toEqual({ maxWorkers: 100, chunksize: 1 });
    expect(mapSizing(10_000, "io", undefined, 12)).toEqual({ maxWorkers: 12, chunksize: 1 });
  });

  it("CPU-bound: one worker per core, chunksize max(1, floor(n / (workers * 4)))", () => {
    expect(mapSizing(1000, "cpu", withCores(4))).toEqual({ maxWorkers: 4, chunksize: 62 });
    expect(mapSizing(10, "cpu", withCores(4))).toEqual({ maxWorkers: 4, chunksize: 1 });
    expect(mapSizing(2, "cpu", withCores(4))).toEqual({ maxWorkers: 2, chunksize: 1 });
    expect(mapSizing(0, "cpu", withCores(4))).toEqual({ maxWorkers: 1, chunksize: 1 });
    expect(mapSizing(1000, "cpu", withCores(4), 2)).toEqual({ maxWorkers: 2, chunksize: 125 });
    expect(mapSizing(1000, "cpu").maxWorkers).toBe(Math.min(1000, capabilities().suggested.cpu));
  });

  it("CPU-bound: every worker gets a chunk, and about four each (between 1 and 8 per worker)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 256 }), (n, cores) => {
        const { maxWorkers, chunksize } = mapSizing(n, "cpu", withCores(cores));
        const chunks = Math.ceil(n / chunksize);
        expect(maxWorkers).toBe(Math.max(1, Math.min(n, cores)));
        if (n >= maxWorkers) expect(chunks).toBeGreaterThanOrEqual(maxWorkers);
        expect(chunks).toBeLessThanOrEqual(8 * maxWorkers);
      }),
    );
  });

  it.each<[number, string, number | null, RegExp]>([
    [-1, "io", null, /mapSizing\(n\).*non-negative integer.*-1/],
    [1.5, "cpu", null, /mapSizing\(n\)/],
    [Number.NaN, "io", null, /mapSizing\(n\)/],
    [10, "gpu", null, /mapSizing\(kind\).*"io" or "cpu".*"gpu"/],
    [10, "io", 0, /mapSizing\(limit\).*positive integer/],
  ])("rejects n=%s kind=%s limit=%s with a RangeError", (n, kind, limit, message) => {
    expect(() => mapSizing(n, kind as "io", undefined, limit)).toThrow(RangeError);
    expect(() => mapSizing(n, kind as "io", undefined, limit)).toThrow(message);
  });
});

/** The permission flag spellings this Node accepts: `--experimental-permission` before 24, `--permission` from 22.13/23.5. */
function permissionFlags(version: string): string[] {
  const flags: string[] = [];
  if (semver.satisfies(version, "<24.0.0")) flags.push("--experimental-permission");
  if (semver.satisfies(version, "^22.13.0 || >=23.5.0")) flags.push("--permission");
  return flags;
}

describe("capabilities() under the permission model (a real child process)", () => {
  let probe: string;
  beforeAll(async () => {
    probe = await compileProbe();
  }, 60_000);
  afterAll(async () => {
    if (probe) await fs.rm(path.resolve(probe, "..", "..", ".."), { recursive: true, force: true });
  });

  function runProbe(flags: string[]): Promise<Capabilities> {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // a loader in NODE_OPTIONS would need a worker thread
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [...flags, probe], { cwd: root, env, timeout: 15_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`probe failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Capabilities);
      });
    });
  }

  it("without the model, everything is allowed", async () => {
    const caps = await runProbe([]);
    expect(caps.node.version).toBe(process.version);
    expect(caps).toMatchObject({ permissionModel: false, workerThreadsAllowed: true, childProcessesAllowed: true });
  });

  it.each(permissionFlags(process.version))("%s alone denies worker threads and child processes", async (flag) => {
    const caps = await runProbe([flag, "--allow-fs-read=*"]);
    expect(caps.node.version).toBe(process.version);
    expect(caps).toMatchObject({ permissionModel: true, workerThreadsAllowed: false, childProcessesAllowed: false });
    expect(caps.availableParallelism).toBe(os.availableParallelism());
  });

  it.each(permissionFlags(process.version))("%s --allow-worker allows worker threads only", async (flag) => {
    const caps = await runProbe([flag, "--allow-fs-read=*", "--allow-worker"]);
    expect(caps).toMatchObject({ permissionModel: true, workerThreadsAllowed: true, childProcessesAllowed: false });
  });

  it.each(permissionFlags(process.version))("%s --allow-child-process allows child processes only", async (flag) => {
    const caps = await runProbe([flag, "--allow-fs-read=*", "--allow-child-process"]);
    expect(caps).toMatchObject({ permissionModel: true, workerThreadsAllowed: false, childProcessesAllowed: true });
  });
});
