// Property tests read FC_SEED / FC_NUM_RUNS so that a failure can be replayed exactly:
//   FC_SEED=<seed printed by fast-check> npx --yes pnpm@12.21.0 test
import fc from 'fast-check';

const seed = process.env['FC_SEED'];
const numRuns = process.env['FC_NUM_RUNS'];
fc.configureGlobal({
  ...fc.readConfigureGlobal(),
  ...(seed !== undefined && { seed: Number(seed) }),
  ...(numRuns !== undefined && { numRuns: Number(numRuns) }),
});
