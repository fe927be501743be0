/**
 * `netpol demo`: every built-in example story, validated, its flows judged against the
 * verdicts the story calls for, a few explanations, and a connectivity matrix.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectivityMatrix, formatPortSpec, type PortSpec } from '../analysis/matrix.js';
import { formatIP } from '../ip/address.js';
import { loadFiles } from '../load/load.js';
import { parseFlow } from '../flow/parse.js';
import { ReferenceEvaluator } from '../reference/evaluator.js';
import { CompiledDataplane } from '../dataplane/compiled.js';
import type { IO } from './commands.js';
import { matrixText, parseCli } from './commands.js';
import { EXIT, UsageError } from './common.js';
import { endpointText, explanationText } from './explain-text.js';

export const DEMO_HELP = `Usage: netpol demo [--examples <dir>]

Runs the built-in example stories (examples/): validates each cluster, checks every flow's
verdict against the one the story calls for, explains a few, and prints a matrix.
Exit code 1 if any verdict differs from the story's expectation.`;

/** The stories in the order they build on each other; any others follow alphabetically. */
const ORDER = ['secure-pod', 'production-db', 'three-tier', 'my-ns', 'account-service', 'cluster-tiers'];

function defaultExamplesDir(): string {
  // dist/cli/demo.js → the package's own copy (an installed package: prepack copies examples/
  // in), else the repository's examples/ (a checkout, where the package has no copy).
  const candidates = ['../../examples', '../../../../examples'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

function storyTitle(dir: string): string {
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) return '';
  const first = readFileSync(readme, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('# '));
  return first ? first.slice(2).trim() : '';
}

interface FlowRecord {
  src: string;
  dst: string;
  expect?: string;
  why?: string;
  [k: string]: unknown;
}

export function demo(args: string[], io: IO): number {
  const { values } = parseCli({ args, strict: true, options: { examples: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return (io.out(DEMO_HELP), EXIT.ok);
  const root = values.examples ?? defaultExamplesDir();
  if (!existsSync(root)) throw new UsageError(`no examples directory at ${root} (use --examples <dir>)`);
  const stories = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
  let total = 0;
  let unexpected = 0;
  for (const story of stories) {
    const dir = join(root, story);
    io.out(`\n=== ${story}: ${storyTitle(dir)}`);
    const scenarios = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'flows.jsonl')))
      .map((d) => d.name)
      .sort();
    for (const scenario of scenarios) {
      const files = [join(dir, 'cluster.yaml'), join(dir, scenario)];
      const loaded = loadFiles(files);
      const c = loaded.cluster;
      io.out(`\n--- ${story}/${scenario}`);
      io.out(`$ netpol validate -f ${files.join(' -f ')}`);
      const errs = loaded.issues.filter((i) => i.severity === 'error').length;
      if (!c) {
        io.out(`invalid: ${errs} error(s)`);
        unexpected++;
        continue;
      }
      io.out(
        `valid: ${c.namespaces.length} namespaces, ${c.pods.length} pods, ${c.nodes.length} nodes, ${c.policies.length} policies: ${c.policies.map((p) => p.name).join(', ')}`,
      );
      // The compiled dataplane answers; the reference evaluator checks every answer.
      const engine = new CompiledDataplane(c);
      const reference = new ReferenceEvaluator(c);
      const records = readFileSync(join(dir, scenario, 'flows.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as FlowRecord);
      const ports = new Map<string, PortSpec>();
      const explained: string[] = [];
      const explanations: string[] = [];
      io.out('verdicts:');
      for (const rec of records) {
        total++;
        const parsed = parseFlow(rec, engine.index);
        if (!parsed.ok) {
          unexpected++;
          io.out(`  ERROR ${rec.src} -> ${rec.dst}: ${parsed.error}`);
          continue;
        }
        const e = engine.explain(parsed.flow);
        if (reference.verdict(parsed.flow).allowed !== e.allowed) {
          unexpected++;
          io.out(`  ENGINE DISAGREEMENT: compiled and reference differ on ${rec.src} -> ${rec.dst}`);
        }
        const spec: PortSpec = { protocol: parsed.flow.protocol, ...(parsed.flow.port !== undefined && { port: parsed.flow.port }) };
        ports.set(formatPortSpec(spec), spec);
        const got = e.allowed ? 'allow' : 'deny';
        const ok = rec.expect === undefined || rec.expect === got;
        if (!ok) unexpected++;
        io.out(
          `  ${got.toUpperCase().padEnd(5)} ${rec.src} -> ${rec.dst} ${formatPortSpec(spec)}${ok ? '' : `   << UNEXPECTED: the story says ${rec.expect}`}`,
        );
        if (rec.why) io.out(`        ${rec.why}`);
        // Explain the first deny and the first rule-based allow of each scenario.
        const kind = e.allowed ? (e.ingressDetail.reason === 'rule' || e.egressDetail.reason === 'rule' ? 'allow' : '') : 'deny';
        if (kind && !explained.includes(kind)) {
          explained.push(kind);
          const label = (ip: typeof parsed.flow.src) => endpointText(engine.index, formatIP(ip), ip);
          explanations.push(explanationText(e, { src: label(parsed.flow.src), dst: label(parsed.flow.dst) }));
        }
      }
      if (explanations.length > 0) {
        io.out('explanations:');
        for (const text of explanations)
          io.out(
            text
              .split('\n')
              .map((l) => `  ${l}`)
              .join('\n'),
          );
      }
      io.out('matrix:');
      for (const m of connectivityMatrix(engine, [...ports.values()])) for (const l of matrixText(m)) io.out(`  ${l}`);
    }
  }
  io.out(
    `\n${total} flows in ${stories.length} stories: ${total - unexpected} as the stories expect, ${unexpected} unexpected (compiled dataplane, checked against the reference evaluator)`,
  );
  return unexpected === 0 ? EXIT.ok : EXIT.denied;
}
