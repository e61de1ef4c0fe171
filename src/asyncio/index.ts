/**
 * `unirun/asyncio`: asyncio-shaped helpers (SPEC §3).
 *
 * UNFINISHED: nothing is exported yet; the helpers arrive with the asyncio issue.
 */
export {};
