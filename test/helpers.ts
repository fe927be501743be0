/** Small builders so tests read like the scenarios they check. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { loadText, ReferenceEvaluator, parseIP, type Cluster, type EvaluationOptions, type Flow, type Issue, type Verdict } from '@netpol/core';

export function ip(text: string) {
  const a = parseIP(text);
  if (!a) throw new Error(`bad IP in test: ${text}`);
  return a;
}

export function flow(
  src: string,
  dst: string,
  protocol: number | 'TCP' | 'UDP' | 'SCTP' | 'ICMP' | 'ICMPv6' = 'TCP',
  port?: number,
  extra: Partial<Flow> = {},
): Flow {
  const numbers = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1, ICMPv6: 58 } as const;
  const p = typeof protocol === 'number' ? protocol : numbers[protocol];
  return { src: ip(src), dst: ip(dst), protocol: p, ...(port !== undefined && { port }), ...extra };
}

/** Loads YAML text that must be valid; fails the test with every issue otherwise. */
export function cluster(yaml: string, opts: { strict?: boolean } = {}): Cluster {
  const r = loadText(yaml, { file: 'test.yaml', ...opts });
  if (!r.cluster) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.cluster;
}

export function evaluator(yaml: string, options: EvaluationOptions = {}): ReferenceEvaluator {
  return new ReferenceEvaluator(cluster(yaml), options);
}

/** Loads YAML text and returns the issues (the load may or may not fail). */
export function issuesOf(yaml: string, opts: { strict?: boolean } = {}): readonly Issue[] {
  return loadText(yaml, { file: 'test.yaml', ...opts }).issues;
}

/** A test's run count, overridden by FC_NUM_RUNS for long fuzzing sessions. */
export const runs = (n: number): number => Number(process.env['FC_NUM_RUNS'] ?? n);

/** Flows in the four-word batch layout (both families, flags), as verdictBatch takes them. */
/** The reference's verdict for each flow it judges (mixed families: every engine refuses them). */
export function referenceVerdicts(reference: ReferenceEvaluator, flows: readonly Flow[]): [Flow, Verdict][] {
  const out: [Flow, Verdict][] = [];
  for (const f of flows) {
    try {
      out.push([f, reference.verdict(f)]);
    } catch {
      // a mixed-family flow
    }
  }
  return out;
}

export function encodeBatch(flows: readonly Flow[]) {
  const n = flows.length;
  const b = {
    count: n,
    src: new Uint32Array(4 * n),
    dst: new Uint32Array(4 * n),
    family: new Uint8Array(n),
    protocol: new Uint8Array(n),
    port: new Uint16Array(n),
    flags: new Uint8Array(n),
  };
  flows.forEach((f, i) => {
    const put = (arr: Uint32Array, v: bigint, fam: number) => {
      if (fam === 4) arr[4 * i] = Number(v);
      else for (let k = 0; k < 4; k++) arr[4 * i + k] = Number((v >> BigInt(96 - 32 * k)) & 0xffffffffn);
    };
    put(b.src, f.src.value, f.src.family);
    put(b.dst, f.dst.value, f.dst.family);
    b.family[i] = f.src.family;
    b.protocol[i] = f.protocol;
    b.port[i] = f.port ?? f.icmpType ?? 0;
    b.flags[i] = f.established ? 1 : 0;
  });
  return b;
}

/**
 * Runs the first ```ts block under a README heading against the built package (its types
 * stripped by the TypeScript compiler; test/docs/readme.test.ts type-checks them) and returns
 * what it printed and what its `console.log(...) // expected` comments say, line by line.
 */
export function runReadmeExample(heading: string, markdownFile = 'README.md'): { printed: string[]; expected: string[] } {
  const root = join(import.meta.dirname, '..');
  const readme = readFileSync(join(root, markdownFile), 'utf8');
  const block = readme.slice(readme.indexOf(heading));
  const from = block.indexOf('```ts\n') + 6;
  const code = block.slice(from, block.indexOf('\n```', from));
  const dist = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
  const file = join(mkdtempSync(join(tmpdir(), 'netpol-readme-')), 'example.mjs');
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(file, js.replace(/(['"])@netpol\/core\1/, JSON.stringify(dist)));
  const stdout = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
  const expected = code
    .split('\n')
    .filter((l) => l.trimStart().startsWith('console.log('))
    .map((l) => l.slice(l.indexOf('// ') + 3).trim());
  return {
    printed: stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().replace(/\s+/g, ' ')),
    expected,
  };
}

/** Runs the CLI in-process: exit code, stdout and stderr lines. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const { run } = await import('../packages/core/src/cli/run.js');
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** Writes a scratch file in a fresh temporary directory; returns its path. */
export function scratchFile(name: string, content: string | Uint8Array): string {
  const file = join(mkdtempSync(join(tmpdir(), 'netpol-test-')), name);
  writeFileSync(file, content);
  return file;
}
