import { ThreadPoolExecutor, asCompleted } from "unirun/futures";

// Pattern 3: asCompleted driving a progress display.
const work = async (n) => {
  await new Promise((resolve) => setTimeout(resolve, (n * 37) % 50));
  return n * n;
};

const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
const futures = Array.from({ length: 5 }, (_, n) => executor.submit(work, n));
let done = 0;
let total = 0;
for await (const future of asCompleted(futures, { timeout: 30 })) {
  total += await future.result();
  done += 1;
  const bar = "#".repeat(done).padEnd(futures.length, ".");
  console.log(`[${bar}] ${done}/${futures.length}`);
}
await executor.shutdown();
console.log(`sum of squares: ${total}`);
