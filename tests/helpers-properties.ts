/**
 * A small interpreter for random operation sequences against the event-loop
 * `ThreadPoolExecutor`, used by tests/properties.test.ts.
 *
 * The generated program is a plain array of op descriptors (readable when
 * fast-check prints a counterexample). `runProgram` plays it against a real
 * executor, keeps a model of what each submitted function did, and records
 * every invariant violation as a string in `problems` (callbacks and
 * background tasks cannot throw into the property, so everything goes there).
 *
 * Nothing here measures time. Timeouts only bound waits; `bounded()` is a
 * liveness guard that turns a hang into a failure instead of a stuck test.
 */
import fc from "fast-check";
import {
  ALL_COMPLETED,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  ThreadPoolExecutor,
  TimeoutError,
  asCompleted,
  wait,
  type FutureState,
  type ReturnWhen,
} from "../src/api/futures.js";

export const SHUTDOWN_MESSAGE = "cannot schedule new futures after shutdown";

// ───────────────────────────── op descriptors ─────────────────────────────

/**
 * What a submitted function does: return / throw synchronously, or return a
 * promise that settles after a gate the program opens (`gated*`), or after a
 * few microtasks (`micro*`).
 */
export type TaskKind = "value" | "throw" | "gatedValue" | "gatedThrow" | "microValue" | "microThrow";

/**
 * What a done callback does besides recording that it ran: nothing, throw,
 * or re-enter the executor (cancel another future, submit a new task, shut it down).
 */
export type CallbackAction =
  | { does: "record" }
  | { does: "throw" }
  | { does: "cancel"; target: number }
  | { does: "submit"; kind: TaskKind }
  | { does: "shutdown"; wait: boolean; cancelFutures: boolean };

/** Indices (`target`, `targets`) are taken modulo the number of futures/gates. */
export type Op =
  | { op: "submit"; kind: TaskKind; callbacks: number }
  | { op: "cancel"; target: number }
  | { op: "addCallback"; target: number; action: CallbackAction }
  | { op: "openGate"; target: number }
  | { op: "tick"; macro: boolean }
  | { op: "shutdown"; wait: boolean; cancelFutures: boolean }
  | { op: "wait"; targets: number[]; returnWhen: ReturnWhen; timeout: number; background: boolean }
  | {
      op: "asCompleted";
      targets: number[];
      /** Leave the loop after this many futures (null: iterate to the end). */
      breakAfter: number | null;
      /** When breaking, first call next(), let it start waiting, and leave it pending. */
      abandonNext: boolean;
      timeout: number;
      background: boolean;
    }
  | { op: "result"; target: number; mode: "result" | "exception"; timeout: number };

export interface Program {
  maxWorkers: number;
  ops: Op[];
  /** Picks (modulo what is left) for opening the remaining gates at the end. */
  finalGateOrder: number[];
}

const target = fc.nat({ max: 40 });
const targets = fc.array(target, { minLength: 0, maxLength: 6 });
// Foreground waits block the program for at most this long; background ones
// are awaited at the end, after every gate is open, so a longer bound is fine.
const foregroundTimeout = fc.constantFrom(0, 0.001, 0.002);
const backgroundTimeout = fc.constantFrom(0, 0.001, 0.005, 2);
const returnWhen = fc.constantFrom<ReturnWhen>(FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED);

export const taskKindArb = fc.constantFrom<TaskKind>(
  "value",
  "throw",
  "gatedValue",
  "gatedThrow",
  "microValue",
  "microThrow",
);

const background = fc.boolean();

const callbackActionArb: fc.Arbitrary<CallbackAction> = fc.oneof(
  fc.constant({ does: "record" as const }),
  fc.constant({ does: "throw" as const }),
  fc.record({ does: fc.constant("cancel" as const), target }),
  fc.record({ does: fc.constant("submit" as const), kind: taskKindArb }),
  fc.record({ does: fc.constant("shutdown" as const), wait: fc.boolean(), cancelFutures: fc.boolean() }),
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("submit" as const), kind: taskKindArb, callbacks: fc.nat({ max: 2 }) }), weight: 9 },
  { arbitrary: fc.record({ op: fc.constant("cancel" as const), target }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("addCallback" as const), target, action: callbackActionArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("openGate" as const), target }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("tick" as const), macro: fc.boolean() }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant("shutdown" as const), wait: fc.boolean(), cancelFutures: fc.boolean() }),
    weight: 1,
  },
  {
    arbitrary: background.chain((bg) =>
      fc.record({
        op: fc.constant("wait" as const),
        targets,
        returnWhen,
        timeout: bg ? backgroundTimeout : foregroundTimeout,
        background: fc.constant(bg),
      }),
    ),
    weight: 2,
  },
  {
    arbitrary: background.chain((bg) =>
      fc.record({
        op: fc.constant("asCompleted" as const),
        targets,
        breakAfter: fc.option(fc.nat({ max: 3 }), { nil: null }),
        abandonNext: fc.boolean(),
        timeout: bg ? backgroundTimeout : foregroundTimeout,
        background: fc.constant(bg),
      }),
    ),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("result" as const),
      target,
      mode: fc.constantFrom("result" as const, "exception" as const),
      timeout: backgroundTimeout,
    }),
    weight: 1,
  },
);

export const programArb: fc.Arbitrary<Program> = fc.record({
  maxWorkers: fc.integer({ min: 1, max: 4 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 50, size: "medium" }),
  finalGateOrder: fc.array(fc.nat({ max: 40 }), { maxLength: 30 }),
});

// ───────────────────────────── small utilities ─────────────────────────────

export const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** Liveness guard: reject if `promise` has not settled after `ms` (a hang, not a timing check). */
export async function bounded<T>(promise: Promise<T>, what: string, ms = 2_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`liveness: ${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

interface Gate {
  promise: Promise<void>;
  open: () => void;
  opened: boolean;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  const g: Gate = {
    promise,
    opened: false,
    open: () => {
      g.opened = true;
      open();
    },
  };
  return g;
}


const TERMINAL: readonly FutureState[] = ["FINISHED", "CANCELLED_AND_NOTIFIED"];
const isComplete = (f: Future<unknown>): boolean => TERMINAL.includes(f.state);

/** CPython's state machine, transitively closed (a sample may skip states). */
const ALLOWED: Record<FutureState, readonly FutureState[]> = {
  PENDING: ["PENDING", "RUNNING", "FINISHED", "CANCELLED", "CANCELLED_AND_NOTIFIED"],
  RUNNING: ["RUNNING", "FINISHED"],
  CANCELLED: ["CANCELLED", "CANCELLED_AND_NOTIFIED"],
  CANCELLED_AND_NOTIFIED: ["CANCELLED_AND_NOTIFIED"],
  FINISHED: ["FINISHED"],
};

// ───────────────────────────── the model ─────────────────────────────

interface Task {
  id: number;
  kind: TaskKind;
  future: Future<unknown>;
  /** What the function returns (a fresh object, compared by identity) or throws. */
  value: { task: number };
  error: Error;
  gate: Gate | null;
  calls: number;
  /** Done-callback ids in registration order, and in the order they ran. */
  registered: number[];
  ran: number[];
  lastState: FutureState;
}

export interface RunReport {
  problems: string[];
  tasks: number;
  started: number;
  cancelled: number;
  maxInFlight: number;
  throwingCallbacks: number;
  rejectedSubmits: number;
}

/**
 * Play `program` against a fresh `ThreadPoolExecutor`, then open every gate,
 * shut down with `{ wait: true }` and check the end state. Resolves with the
 * problems found (empty when every invariant held).
 */
export async function runProgram(program: Program): Promise<RunReport> {
  const problems: string[] = [];
  const problem = (msg: string): void => {
    problems.push(msg);
  };

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on("unhandledRejection", onUnhandled);

  const ex = new ThreadPoolExecutor({ maxWorkers: program.maxWorkers });
  const tasks: Task[] = [];
  const startOrder: number[] = [];
  const background: Promise<void>[] = [];
  const shutdowns: Promise<void>[] = [];
  let shutDown = false;
  let inFlight = 0;
  let maxInFlight = 0;
  let callbackIds = 0;
  let throwingCallbacks = 0;
  let rejectedSubmits = 0;

  const pick = <T>(list: readonly T[], index: number): T | undefined =>
    list.length === 0 ? undefined : list[index % list.length];
  const futuresAt = (indices: number[]): Future<unknown>[] =>
    tasks.length === 0 ? [] : indices.map((i) => tasks[i % tasks.length].future);

  /** Invariant 2: each callback runs exactly once, after its future is done, in registration order. */
  const addCallback = (task: Task, action: CallbackAction): void => {
    const id = callbackIds++;
    const wasDone = task.future.done();
    task.registered.push(id);
    if (action.does === "throw") throwingCallbacks++;
    task.future.addDoneCallback((f) => {
      if (f !== task.future) problem(`task ${task.id}: callback ${id} got a different future`);
      if (!f.done()) problem(`task ${task.id}: callback ${id} ran while the future was ${f.state}`);
      task.ran.push(id);
      const label = `callback ${id} of task ${task.id}`;
      switch (action.does) {
        case "throw":
          throw new Error(`${label} throws on purpose`);
        case "cancel":
          cancelTask(action.target, label);
          return;
        case "submit":
          submitTask(action.kind, 0, label);
          return;
        case "shutdown":
          shutdownExecutor(action.wait, action.cancelFutures, label);
          return;
      }
    });
    if (wasDone && !task.ran.includes(id)) {
      problem(`task ${task.id}: callback ${id} added to a done future did not run at once`);
    }
  };

  /** Invariants 4, 5: the submitted function itself records what it did. */
  const makeFn = (task: Task): (() => unknown) => () => {
    task.calls++;
    startOrder.push(task.id);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (inFlight > program.maxWorkers) {
      problem(`task ${task.id} started with ${inFlight} calls in flight (maxWorkers ${program.maxWorkers})`);
    }
    const settleValue = (): { task: number } => {
      inFlight--;
      return task.value;
    };
    const settleThrow = (): never => {
      inFlight--;
      throw task.error;
    };
    switch (task.kind) {
      case "value":
        return settleValue();
      case "throw":
        return settleThrow();
      case "gatedValue":
        return task.gate!.promise.then(settleValue);
      case "gatedThrow":
        return task.gate!.promise.then(settleThrow);
      case "microValue":
        return microtasks(1 + (task.id % 3)).then(settleValue);
      case "microThrow":
        return microtasks(1 + (task.id % 3)).then(settleThrow);
    }
  };

  /** Sampled after every op: legal transitions only, and never more RUNNING than maxWorkers. */
  const sample = (where: string): void => {
    let running = 0;
    for (const task of tasks) {
      const now = task.future.state;
      if (!ALLOWED[task.lastState].includes(now)) {
        problem(`task ${task.id}: illegal transition ${task.lastState} -> ${now} (${where})`);
      }
      task.lastState = now;
      if (now === "RUNNING") running++;
    }
    if (running > program.maxWorkers) problem(`${running} futures RUNNING with maxWorkers ${program.maxWorkers} (${where})`);
  };

  /** Invariant 6 for wait(). */
  const checkWait = async (op: Extract<Op, { op: "wait" }>, label: string): Promise<void> => {
    const input = futuresAt(op.targets);
    const { done, notDone } = await wait(input, { timeout: op.timeout, returnWhen: op.returnWhen });
    const distinct = new Set(input);
    for (const f of done) {
      if (notDone.has(f)) problem(`${label}: a future is in both done and notDone`);
      if (!distinct.has(f)) problem(`${label}: done holds a future that was not passed`);
      if (!isComplete(f)) problem(`${label}: done holds a future in state ${f.state}`);
    }
    for (const f of notDone) if (!distinct.has(f)) problem(`${label}: notDone holds a future that was not passed`);
    if (done.size + notDone.size !== distinct.size) {
      problem(`${label}: done (${done.size}) + notDone (${notDone.size}) != ${distinct.size} distinct inputs`);
    }
  };

  /** Invariant 6 for asCompleted(). */
  const checkAsCompleted = async (op: Extract<Op, { op: "asCompleted" }>, label: string): Promise<void> => {
    const input = futuresAt(op.targets);
    const distinct = new Set(input);
    const seen = new Set<Future<unknown>>();
    const yielded = (f: Future<unknown>): void => {
      if (!(f instanceof Future)) problem(`${label}: yielded a non-Future`);
      if (!distinct.has(f)) problem(`${label}: yielded a future that was not passed`);
      if (seen.has(f)) problem(`${label}: yielded the same future twice`);
      if (!isComplete(f)) problem(`${label}: yielded a future in state ${f.state}`);
      seen.add(f);
    };
    const iterator = asCompleted(input, { timeout: op.timeout });
    let broke = false;
    let dangling: Promise<IteratorResult<Future<unknown>>> | null = null;
    try {
      for await (const item of iterator) {
        yielded(item);
        if (op.breakAfter !== null && seen.size >= op.breakAfter) {
          broke = true;
          if (op.abandonNext) {
            // A next() already waiting when the loop's return() closes the iterator must settle.
            dangling = iterator.next();
            await macrotask();
          }
          break;
        }
      }
      if (!broke && seen.size !== distinct.size) {
        problem(`${label}: finished after ${seen.size} of ${distinct.size} futures without a TimeoutError`);
      }
      if (dangling) {
        const r = await bounded(dangling, `${label}: a next() pending across return()`);
        if (!r.done) yielded(r.value);
      }
      if (broke && !(await iterator.next()).done) problem(`${label}: next() after return() did not report done`);
    } catch (error) {
      if (!(error instanceof TimeoutError)) {
        problem(`${label}: threw ${String(error)}`);
        return;
      }
      const m = /^(\d+) \(of (\d+)\) futures unfinished$/.exec(error.message);
      if (!m) {
        problem(`${label}: TimeoutError message ${JSON.stringify(error.message)}`);
        return;
      }
      const unfinished = Number(m[1]);
      if (Number(m[2]) !== distinct.size) problem(`${label}: TimeoutError says of ${m[2]}, passed ${distinct.size}`);
      if (unfinished < 1 || unfinished > distinct.size - seen.size) {
        problem(`${label}: TimeoutError says ${unfinished} unfinished after ${seen.size} of ${distinct.size} yielded`);
      }
    }
  };

  /** Invariant 4 as seen through result()/exception() with a timeout. */
  const checkRead = async (task: Task, mode: "result" | "exception", timeout: number, label: string): Promise<void> => {
    const throws = task.kind === "throw" || task.kind.endsWith("Throw");
    try {
      const got = mode === "result" ? await task.future.result(timeout) : await task.future.exception(timeout);
      const want = mode === "result" ? task.value : task.error;
      if (mode === "result" ? throws || got !== want : !throws ? got !== null : got !== want) {
        problem(`${label}: ${mode}() resolved with ${String(got)} for a ${task.kind} task`);
      }
    } catch (error) {
      if (error instanceof TimeoutError) return;
      if (error instanceof CancelledError) {
        if (!task.future.cancelled()) problem(`${label}: CancelledError from a future that is ${task.future.state}`);
        return;
      }
      if (mode === "exception" || !throws || error !== task.error) {
        problem(`${label}: ${mode}() rejected with ${String(error)} for a ${task.kind} task`);
      }
    }
  };

  /** Submit a task of this kind; invariant 7 when the executor is shut down. */
  const submitTask = (kind: TaskKind, callbacks: number, label: string): void => {
    const id = tasks.length;
    const partial: Omit<Task, "future"> = {
      id,
      kind,
      value: { task: id },
      error: new Error(`task ${id} fails on purpose`),
      gate: kind.startsWith("gated") ? gate() : null,
      calls: 0,
      registered: [],
      ran: [],
      lastState: "PENDING",
    };
    let future: Future<unknown>;
    try {
      // makeFn never reads `future`; the task gets it right below.
      future = ex.submit(makeFn(partial as Task));
    } catch (error) {
      if (!shutDown) problem(`${label}: submit threw before shutdown: ${String(error)}`);
      else if (!(error instanceof Error) || error.message !== SHUTDOWN_MESSAGE) {
        problem(`${label}: submit after shutdown threw ${String(error)}`);
      } else rejectedSubmits++;
      return;
    }
    if (shutDown) problem(`${label}: submit after shutdown returned a future`);
    const task: Task = Object.assign(partial, { future });
    tasks.push(task);
    if (task.calls !== 0) problem(`${label}: the call started inside submit()`);
    if (future.state !== "PENDING") problem(`${label}: a new future is ${future.state}`);
    for (let i = 0; i < callbacks; i++) addCallback(task, { does: "record" });
  };

  /** cancel() succeeds exactly when the call has not started (PENDING or already cancelled). */
  const cancelTask = (target: number, label: string): void => {
    const task = pick(tasks, target);
    if (!task) return;
    const before = task.future.state;
    const ok = task.future.cancel();
    const expected = task.calls === 0;
    if (ok !== expected) problem(`${label}: cancel() returned ${ok} on a ${before} future (calls=${task.calls})`);
    if (ok && !task.future.cancelled()) problem(`${label}: cancel() returned true but the state is ${task.future.state}`);
  };

  /** Shut down without awaiting: the returned promise is awaited at the end, once every gate is open. */
  const shutdownExecutor = (waitForCalls: boolean, cancelFutures: boolean, label: string): void => {
    shutDown = true;
    const promise = ex.shutdown({ wait: waitForCalls, cancelFutures });
    if (waitForCalls) {
      // A waiting shutdown resolves only once every submitted call is over.
      promise.then(() => {
        for (const t of tasks) {
          if (!isComplete(t.future)) problem(`${label}: shutdown({wait:true}) resolved with task ${t.id} ${t.future.state}`);
        }
      }, () => undefined);
    }
    shutdowns.push(promise);
  };

  /**
   * Play one op. Only `tick` and foreground `wait`/`asCompleted` yield to the
   * event loop (they return a Promise); every other op runs synchronously, so
   * runs of submit/cancel/shutdown happen before any queued call can start.
   */
  const run = (op: Op, step: number): Promise<void> | undefined => {
    const label = `op #${step} ${op.op}`;
    switch (op.op) {
      case "submit":
        submitTask(op.kind, op.callbacks, label);
        return;
      case "cancel":
        cancelTask(op.target, label);
        return;
      case "addCallback": {
        const task = pick(tasks, op.target);
        if (task) addCallback(task, op.action);
        return;
      }
      case "openGate": {
        const closed = tasks.filter((t) => t.gate && !t.gate.opened);
        pick(closed, op.target)?.gate!.open();
        return;
      }
      case "tick":
        return op.macro ? macrotask() : microtasks(3);
      case "shutdown":
        shutdownExecutor(op.wait, op.cancelFutures, label);
        return;
      case "wait":
        if (!op.background) return checkWait(op, label);
        background.push(checkWait(op, label));
        return;
      case "asCompleted":
        if (!op.background) return checkAsCompleted(op, label);
        background.push(checkAsCompleted(op, label));
        return;
      case "result": {
        const task = pick(tasks, op.target);
        if (task) background.push(checkRead(task, op.mode, op.timeout, label));
        return;
      }
    }
  };

  try {
    for (const [step, op] of program.ops.entries()) {
      const pending = run(op, step);
      if (pending) await bounded(pending, `op #${step} ${op.op}`);
      sample(`after op #${step} ${op.op}`);
    }

    // Open the remaining gates in a random order, then shut down and wait.
    for (const index of program.finalGateOrder) {
      const closed = tasks.filter((t) => t.gate && !t.gate.opened);
      if (closed.length === 0) break;
      closed[index % closed.length].gate!.open();
      await microtasks(2);
    }
    for (const t of tasks) t.gate?.open();
    shutDown = true;
    await bounded(ex.shutdown({ wait: true }), "final shutdown({wait:true})");
    sample("after the final shutdown");

    // Invariant 1: every future is FINISHED or CANCELLED_AND_NOTIFIED.
    for (const t of tasks) {
      if (!isComplete(t.future)) problem(`task ${t.id}: ${t.future.state} after shutdown({wait:true})`);
    }
    // Invariant 7 once more, on a shut-down executor.
    try {
      ex.submit(() => 1);
      problem("submit after the final shutdown returned a future");
    } catch (error) {
      if (!(error instanceof Error) || error.message !== SHUTDOWN_MESSAGE) problem(`final submit threw ${String(error)}`);
    }

    await bounded(Promise.all(shutdowns), "earlier shutdown() promises");
    await bounded(Promise.all(background), "background waits");

    // Invariant 4: the outcome agrees with what the function did.
    for (const t of tasks) {
      const f = t.future;
      if (t.calls > 1) problem(`task ${t.id}: called ${t.calls} times`);
      if (f.state === "FINISHED") {
        if (t.calls !== 1) problem(`task ${t.id}: FINISHED but called ${t.calls} times`);
        await checkRead(t, "result", 0, `task ${t.id} at the end`);
        await checkRead(t, "exception", 0, `task ${t.id} at the end`);
      } else if (f.state === "CANCELLED_AND_NOTIFIED") {
        if (t.calls !== 0) problem(`task ${t.id}: cancelled but its call ran`);
        const err = await f.exception(0).then(
          () => null,
          (e: unknown) => e,
        );
        if (!(err instanceof CancelledError)) problem(`task ${t.id}: exception() on a cancelled future gave ${String(err)}`);
      }
      // Invariant 2, at the end: every callback ran exactly once, in order.
      if (t.ran.join() !== t.registered.join()) {
        problem(`task ${t.id}: callbacks registered [${t.registered}] but ran [${t.ran}]`);
      }
    }

    // FIFO: calls start in submission order.
    const sorted = [...startOrder].sort((a, b) => a - b);
    if (startOrder.join() !== sorted.join()) problem(`calls started out of order: [${startOrder}]`);
    if (inFlight !== 0) problem(`${inFlight} calls still in flight at the end`);

    // A fresh wait/asCompleted over everything sees all of it done.
    const all = tasks.map((t) => t.future);
    const final = await wait(all, { timeout: 0 });
    if (final.notDone.size !== 0) problem(`final wait(timeout=0): ${final.notDone.size} not done`);
    let yielded = 0;
    for await (const _ of asCompleted(all, { timeout: 0 })) yielded++;
    if (yielded !== new Set(all).size) problem(`final asCompleted(timeout=0) yielded ${yielded} of ${all.length}`);

    // Let Node report any rejection nobody handled (invariant 3).
    await macrotask();
    await macrotask();
  } finally {
    for (const t of tasks) t.gate?.open();
    process.off("unhandledRejection", onUnhandled);
  }
  for (const reason of unhandled) problem(`unhandled rejection: ${String(reason)}`);

  return {
    problems,
    tasks: tasks.length,
    started: tasks.filter((t) => t.calls > 0).length,
    cancelled: tasks.filter((t) => t.future.cancelled()).length,
    maxInFlight,
    throwingCallbacks,
    rejectedSubmits,
  };
}
