/**
 * The module each worker thread of an InterpreterPoolExecutor runs (loaded by
 * piscina). Its default export answers one request at a time.
 */
import { workerData } from "node:worker_threads";
import { handleRequest, type WorkerConfig, type WorkerReply, type WorkerRequest } from "./transport/runner.js";

const config = workerData as WorkerConfig;

export default function run(request: WorkerRequest): WorkerReply | Promise<WorkerReply> {
  return handleRequest(request, config);
}
