/**
 * `netpol verdict --image <file>`: the verdict command over a saved image instead of
 * manifests: the same flow records in and verdict lines out, flows by address only (a saved
 * image holds no pod names or Services), no compile.
 */
import { verdictTier } from '../analysis/matrix.js';
import { parseFlow } from '../flow/parse.js';
import { EXIT } from './common.js';
import { flowEcho, readFlowLines, verdictEcho } from './flows-input.js';
import { imageFlowError, imageNativeMode, loadImageInput, noPodNames } from './image-input.js';

type Values = Record<string, string | boolean | string[] | undefined>;

/** The verdict command's loop over a saved image; `source` is where the flows come from ('-': stdin). */
export async function verdictFromImage(values: Values, source: string, io: { out(line: string): void; err(line: string): void }): Promise<number> {
  const native = imageNativeMode(values['engine'] as string | undefined);
  const dp = loadImageInput(values, io.err, native);
  if (!dp) return EXIT.badInput;
  const index = noPodNames();
  const ignoring = dp.info.ignoring ? { ignoring: dp.info.ignoring } : {};
  let denied = 0;
  let bad = 0;
  for await (const { line, record, jsonError } of readFlowLines(source)) {
    const parsed = jsonError ? { ok: false as const, error: jsonError } : parseFlow(record, index);
    if (!parsed.ok) {
      bad++;
      const error = imageFlowError(parsed.error);
      io.err(`${source === '-' ? '<stdin>' : source}:${line}: ${error}`);
      io.out(JSON.stringify({ line, ...flowEcho(record), error }));
      continue;
    }
    const v = native === 'require' ? dp.verdictNative(parsed.flow) : dp.verdict(parsed.flow);
    if (!v.allowed) denied++;
    const tier = verdictTier(v);
    const decidedBy = tier === 'admin' || tier === 'baseline' ? { decidedBy: tier } : {};
    io.out(JSON.stringify({ ...verdictEcho(record), allowed: v.allowed, egress: v.egress, ingress: v.ingress, ...decidedBy, ...ignoring }));
  }
  if (bad > 0) return EXIT.badInput;
  return denied > 0 && values['fail-on-deny'] ? EXIT.denied : EXIT.ok;
}
