import fc from 'fast-check';

// One seed for every property in the run, printed so any failure replays with FC_SEED=<seed>.
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
fc.configureGlobal({ seed, numRuns: Number(process.env.FC_RUNS ?? 100) });
if (!(globalThis as { __weftSeedPrinted?: boolean }).__weftSeedPrinted) {
  (globalThis as { __weftSeedPrinted?: boolean }).__weftSeedPrinted = true;
  console.log(`fast-check seed ${seed} (replay with FC_SEED=${seed})`);
}
