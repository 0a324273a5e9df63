/** The deterministic simulator and its reference model (TEST-PLAN §2.1 items 1–2), for tests. */
export { type CommitKind, CrashableStorage, DurableShadow } from './crashable-storage.ts';
export {
  type CommandSeen,
  canonicalTables,
  checkClientConverged,
  checkOptimistic,
  checkServer,
  commandsSeen,
  type ModelRun,
  readServer,
  runModel,
  type ServerView,
} from './oracle.ts';
export { fnv1a, Prng, seedFromEnv } from './prng.ts';
export { CRASH_POINTS, type CrashPoint, type Issued, SimClient } from './sim-client.ts';
export { CALM, type Endpoint, type Link, type NetworkFaults, SimNetwork } from './sim-network.ts';
export { Simulation, type SimulationOptions } from './simulation.ts';
export { ClockDomain, VirtualClock } from './virtual-clock.ts';
