/**
 * The files of a test-vector case (`netpol fuzz --emit DIR`): cluster.yaml, flows.jsonl,
 * truth-table.txt, meta.json and README.md, as text, so that a library caller writes them
 * where it likes. Nothing in them depends on the time or the machine: the same seed and
 * options give the same bytes.
 */
import fc from 'fast-check';
import { formatPortSpec } from '../analysis/matrix.js';
import { ignoredObjectKey } from '../model/types.js';
import { resolveOptions } from '../model/options.js';
import { netpolVersion } from '../package-version.js';
import { resolveTestVectorOptions, type TestVectorCase, type TestVectorOptions } from './test-vectors.js';
import { truthTableText } from './truth-table.js';

/** Where a case comes from, for meta.json and README.md. */
export interface VectorProvenance {
  /** The options of the call that made the case. */
  readonly options: TestVectorOptions;
  /** The command line that writes the same files again (the CLI gives it); absent: the library call is described instead. */
  readonly command?: string;
}

/** What each file holds (meta.json lists it; README.md says it in prose). */
export const VECTOR_FILES = {
  'cluster.yaml': 'the namespaces, pods and policies (multi-document YAML, kubectl apply -f ready)',
  'flows.jsonl': 'one flow a line with its expected verdict (netpol verdict reads it and prints it back)',
  'truth-table.txt': 'the same verdicts as cyclonus-style tables, one per protocol/port',
  'meta.json': 'versions, seed, options, counts and the command that reproduces this directory',
  'README.md': 'what the case is, and how to check a dataplane against it',
} as const;

/** The options as meta.json records them: defaults filled in, the given cluster left out (cluster.yaml is it). */
function recordedOptions(o: TestVectorOptions): Record<string, unknown> {
  const r = resolveTestVectorOptions(o);
  const random = o.cluster
    ? {}
    : { seed: r.seed, runs: r.runs, maxNamespaces: r.maxNamespaces, maxPods: r.maxPods, maxPolicies: r.maxPolicies, maxClusterPolicies: r.maxClusterPolicies };
  return { ...random, maxFlows: r.maxFlows, ...(o.ports && { ports: o.ports.map(formatPortSpec) }), evaluation: resolveOptions(o.evaluation) };
}

/** How to make the same files again: the command, or the library call. */
function reproduction(p: VectorProvenance): string {
  if (p.command) return p.command;
  const { cluster, crossCheck: _engines, ...rest } = p.options;
  return `testVectors(${JSON.stringify({ ...rest, ...(cluster && { cluster: '<cluster.yaml loaded>' }) })}) from @netpol/core`;
}

function meta(c: TestVectorCase, p: VectorProvenance): string {
  const allowed = c.flows.filter((f) => f.allowed).length;
  const runs = resolveTestVectorOptions(p.options).runs;
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      netpolVersion: netpolVersion(),
      fastCheckVersion: fc.__version,
      source: p.options.cluster ? 'input' : 'random',
      case: { index: c.index, of: runs },
      options: recordedOptions(p.options),
      reproduce: reproduction(p),
      // Policies of other APIs the verdicts leave out (a cluster loaded with the opt-out); cluster.yaml does not hold them.
      ...(c.cluster.ignoredObjects?.length && { ignoring: c.cluster.ignoredObjects.map(ignoredObjectKey) }),
      counts: {
        namespaces: c.cluster.namespaces.length,
        pods: c.pods.length,
        policies: c.cluster.policies.length,
        clusterPolicies: c.cluster.clusterPolicies?.length ?? 0,
        externals: c.externals.length,
        ports: c.ports.length,
        flows: c.flows.length,
        allowed,
        blocked: c.flows.length - allowed,
        ties: c.flows.filter((f) => f.ties).length,
      },
      pods: c.pods,
      externals: c.externals,
      ports: c.ports,
      files: VECTOR_FILES,
    },
    null,
    2,
  )}\n`;
}

function readme(c: TestVectorCase, p: VectorProvenance): string {
  const random = !p.options.cluster;
  const allowed = c.flows.filter((f) => f.allowed).length;
  const ties = c.flows.filter((f) => f.ties).length;
  return `# netpol test vectors${resolveTestVectorOptions(p.options).runs > 1 ? `, case ${c.index}` : ''}

Written by netpol ${netpolVersion()}: ${random ? 'a random cluster' : 'the given cluster'} with ${c.cluster.policies.length} NetworkPolicies${
    c.cluster.clusterPolicies?.length ? ` and ${c.cluster.clusterPolicies.length} cluster-scoped policies` : ''
  }, and the verdict netpol's reference evaluator gives each of ${c.flows.length} flows (${allowed} allowed, ${c.flows.length - allowed} blocked): every ordered pair of its ${c.pods.length} pods and each pod to and from ${c.externals.length} external address(es), on ${c.ports.join(', ')}.

Files:
${Object.entries(VECTOR_FILES)
  .map(([f, what]) => `- \`${f}\`: ${what}`)
  .join('\n')}

Reproduce: \`${reproduction(p)}\`

Check netpol's own engine against these expectations (prints nothing when it agrees):

    netpol verdict -f cluster.yaml --flows flows.jsonl | diff - flows.jsonl

Check a dataplane: apply cluster.yaml to a cluster running it (the pods' containers are pause
images: run a server listening on each port of the table instead), probe each flow of
flows.jsonl from its source pod to its destination, and compare what got through with
\`allowed\`.${
    random
      ? ' The cluster is portable: no ipBlock covers a private address, so the verdicts hold whatever addresses the real cluster gives the pods.'
      : ' The cluster is as given: verdicts involving ipBlocks assume the pod addresses in its manifests.'
  }${
    c.cluster.ignoredObjects?.length
      ? `\n\nThe verdicts ignore ${c.cluster.ignoredObjects.length} policies of other APIs (the input was loaded with --ignore-unsupported-policies; meta.json names them): a dataplane enforcing them will block more.`
      : ''
  }${ties > 0 ? `\n\n${ties} flow(s) carry \`ties\`: cluster-scoped policies of equal priority both match them, an order the API leaves to the implementation.` : ''}
`;
}

/**
 * The files of one case, by name (VECTOR_FILES), as text.
 *
 * @example
 * for (const c of testVectorCases({ seed: 3 })) for (const [name, text] of Object.entries(testVectorFiles(c, { options: { seed: 3 } }))) writeFileSync(name, text);
 */
export function testVectorFiles(c: TestVectorCase, provenance: VectorProvenance): Record<keyof typeof VECTOR_FILES, string> {
  return {
    'cluster.yaml': c.manifests,
    'flows.jsonl': c.flows.map((f) => `${JSON.stringify(f)}\n`).join(''),
    'truth-table.txt': truthTableText(c),
    'meta.json': meta(c, provenance),
    'README.md': readme(c, provenance),
  };
}

/** The directory name of case `index` when a call makes several (case-0001, ...). */
export const caseDirectory = (index: number): string => `case-${String(index).padStart(4, '0')}`;

/**
 * The top-level README.md of a run of several cases (each in its caseDirectory).
 *
 * @example
 * writeFileSync('README.md', testVectorIndex(cases.length, { options: { seed: 3, runs: cases.length } }));
 */
export function testVectorIndex(cases: number, provenance: VectorProvenance): string {
  return `# netpol test vectors

Written by netpol ${netpolVersion()}: ${cases} random clusters, each in its own directory (${caseDirectory(1)} to ${caseDirectory(cases)}) with
its manifests, flows and truth tables (see its README.md and meta.json).

Reproduce: \`${reproduction(provenance)}\`
`;
}
