import { ThreadPoolExecutor, asCompleted } from "unirun/futures";

// Pattern 2: a Map from each future to its input, read as they complete.
const check = async (port) => {
  await new Promise((resolve) => setTimeout(resolve, port % 7));
  if (port === 8443) throw new Error("connection refused");
  return "open";
};

const executor = new ThreadPoolExecutor({ maxWorkers: 8 });
const futureToPort = new Map();
for (const port of [80, 443, 8080, 8443]) futureToPort.set(executor.submit(check, port), port);

const report = new Map();
for await (const future of asCompleted(futureToPort.keys())) {
  const port = futureToPort.get(future);
  const error = await future.exception();
  report.set(port, error ? `failed (${error.message})` : await future.result());
}
await executor.shutdown();
for (const port of [...report.keys()].sort((a, b) => a - b)) console.log(`${port}: ${report.get(port)}`);
