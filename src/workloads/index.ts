/**
 * `unirun/workloads`: transferable contract workloads (SPEC §8).
 *
 * UNFINISHED: nothing is exported yet; the workloads arrive with the benchmark issue.
 */
export {};
