/**
 * `unirun`: Run scopes, RuntimeConfig, capabilities, the scheduler and the
 * dispatcher (SPEC §5–§7).
 *
 * UNFINISHED: nothing is exported yet. Run scopes, RuntimeConfig and the
 * scheduler arrive with the managed-mode issue; until then use `unirun/futures`.
 */
export {};
