// A tour of unirun/futures: Python's concurrent.futures, in Node.
// Run it with `npm run demo` (it builds the package first).
import {
  ThreadPoolExecutor,
  asCompleted,
  wait,
  FIRST_COMPLETED,
  TimeoutError,
} from "unirun/futures";

const sleep = (seconds, value) => new Promise((resolve) => setTimeout(() => resolve(value), seconds * 1000));

async function download(name, seconds) {
  await sleep(seconds);
  return `${name} (${seconds}s)`;
}

const executor = new ThreadPoolExecutor({ maxWorkers: 4 });
console.log(`ThreadPoolExecutor with maxWorkers=${executor.maxWorkers} on the event loop\n`);

// submit() returns a Future; await it, or call result(timeout) with a timeout in seconds.
const first = executor.submit(download, "report.csv", 0.05);
console.log("1. submit -> Future:", String(first));
console.log("   result():", await first.result(5), "->", String(first));

// map() yields results in input order, whatever order they finish in.
const sizes = await executor.map((a, b) => a * b, [1, 2, 3, 4], [10, 20, 30, 40]).toArray();
console.log("2. map over two zipped lists:", sizes);

// asCompleted() yields futures as they finish.
const jobs = [["slow", 0.15], ["fast", 0.01], ["medium", 0.08]].map(([n, s]) => executor.submit(download, n, s));
const order = [];
for await (const future of asCompleted(jobs)) order.push(await future.result());
console.log("3. asCompleted order:", order.join(" -> "));

// wait() returns two Sets; FIRST_COMPLETED returns as soon as one is done.
const race = [executor.submit(download, "mirror-a", 0.2), executor.submit(download, "mirror-b", 0.02)];
const { done, notDone } = await wait(race, { returnWhen: FIRST_COMPLETED });
console.log(`4. wait(FIRST_COMPLETED): done=${done.size} notDone=${notDone.size} winner=${await [...done][0]}`);

// A failing call fails only its own future, with the error as thrown.
const broken = executor.submit(() => JSON.parse("{not json"));
const error = await broken.exception();
console.log(`5. exception(): ${error.name}: ${error.message}`);

// A call that has not started can be cancelled; a running one cannot (as in Python).
const busy = new ThreadPoolExecutor({ maxWorkers: 1 });
const running = busy.submit(download, "big.iso", 0.1);
const queued = busy.submit(download, "small.txt", 0.01);
await sleep(0.01);
console.log(`6. cancel(): running -> ${running.cancel()}, queued -> ${queued.cancel()} (${queued.state})`);

// Timeouts are in seconds and raise TimeoutError.
try {
  await busy.submit(download, "never-in-time", 1).result(0.05);
} catch (e) {
  console.log(`7. result(0.05): ${e instanceof TimeoutError ? "TimeoutError" : e}: ${e.message}`);
}

await Promise.all([executor.shutdown(), busy.shutdown({ cancelFutures: true })]);
try {
  executor.submit(() => 1);
} catch (e) {
  console.log(`8. after shutdown(): submit throws "${e.message}"`);
}
