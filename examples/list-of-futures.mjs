import { ThreadPoolExecutor } from "unirun/futures";

// Pattern 1: a list of futures, read back in submission order.
const fetchSize = async (name) => {
  await new Promise((resolve) => setTimeout(resolve, 10 * name.length));
  return name.length * 100;
};

const executor = new ThreadPoolExecutor({ maxWorkers: 4 });
try {
  const names = ["alpha", "beta", "gamma", "delta"];
  const futures = names.map((name) => executor.submit(fetchSize, name));
  for (const [i, future] of futures.entries()) {
    console.log(`${names[i]}: ${await future.result()}`);
  }
} finally {
  await executor.shutdown();
}
