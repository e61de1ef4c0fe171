/**
 * `unirun/compat/futures`: the drop-in mirror of `unirun/futures`
 * behind `UNIRUN_COMPAT_MODE` (SPEC §4).
 *
 * UNFINISHED: nothing is exported yet; the mode switch arrives with the
 * managed-mode issue. Import from `unirun/futures` until then.
 */
export {};
