/**
 * The benchmark profiles. `full` keeps the sizes the scenarios are defined
 * with (100,000 tasks, 1,000,000 items, 100,000 pending futures) and takes a
 * few minutes on two cores; `quick` is a smaller look; `tiny` only checks
 * that every scenario runs and reports (the test suite uses it).
 */
import type { Profile, ProfileName } from "./types.js";

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  tiny: {
    name: "tiny",
    warmup: 1,
    samples: 2,
    roundTrips: 20,
    tasks: 200,
    items: 2_000,
    chunk: 100,
    primeTasks: 4,
    primeLimit: 2_000,
    asyncTasks: 500,
    inFlight: 64,
    startupSamples: 2,
    // Fewer pending futures than this leave too little heap to tell from the GC's noise (a delta of 0).
    pending: 10_000,
  },
  quick: {
    name: "quick",
    warmup: 1,
    samples: 3,
    roundTrips: 500,
    tasks: 20_000,
    items: 100_000,
    chunk: 1_000,
    primeTasks: 8,
    primeLimit: 200_000,
    asyncTasks: 20_000,
    inFlight: 64,
    startupSamples: 5,
    pending: 20_000,
  },
  full: {
    name: "full",
    warmup: 2,
    samples: 5,
    roundTrips: 2_000,
    tasks: 100_000,
    items: 1_000_000,
    chunk: 1_000,
    primeTasks: 16,
    primeLimit: 400_000,
    asyncTasks: 100_000,
    inFlight: 64,
    startupSamples: 15,
    pending: 100_000,
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** Whether `name` names a profile. */
export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}
