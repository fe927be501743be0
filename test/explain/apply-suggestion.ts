// A suggestion applied as a user would apply it: to the manifests, by hand — the fragments
// pasted where the change says, labels edited on the objects — then loaded again. Written apart
// from analysis/suggest.ts (which changes the model), so the tests check the data a user reads.
import { loadText, type Cluster, type SuggestedChange, type Suggestion } from '@netpol/core';
import { clusterObjects, docsToYaml, type Doc } from '../../packages/core/src/fuzz/to-yaml.js';

type Obj = Record<string, unknown>;

const KIND_PREFIX: Record<string, string> = { ClusterNetworkPolicy: 'cnp', AdminNetworkPolicy: 'anp', BaselineAdminNetworkPolicy: 'banp' };

function meta(d: Doc): { name: string; namespace?: string; labels?: Record<string, string> } {
  return d['metadata'] as { name: string; namespace?: string };
}

function find(docs: Doc[], match: (d: Doc) => boolean, what: string): Obj {
  const d = docs.find(match);
  if (!d) throw new Error(`the suggestion names ${what}, which is not in the manifests`);
  return d;
}

const spec = (d: Obj): Obj => d['spec'] as Obj;

function policyRules(docs: Doc[], policy: string, direction: string): Obj[] {
  const d = find(docs, (x) => x['kind'] === 'NetworkPolicy' && `${meta(x).namespace}/${meta(x).name}` === policy, `NetworkPolicy ${policy}`);
  const s = spec(d);
  s[direction] ??= [];
  return s[direction] as Obj[];
}

function applyChange(docs: Doc[], c: SuggestedChange): void {
  const field = (direction: string): string => (direction === 'ingress' ? 'from' : 'to');
  switch (c.kind) {
    case 'add-port': {
      const r = policyRules(docs, c.policy, c.direction)[c.ruleIndex]!;
      r['ports'] = [...((r['ports'] as unknown[]) ?? []), structuredClone(c.port)];
      return;
    }
    case 'add-peer': {
      const r = policyRules(docs, c.policy, c.direction)[c.ruleIndex]!;
      r[field(c.direction)] = [...((r[field(c.direction)] as unknown[]) ?? []), structuredClone(c.peer)];
      return;
    }
    case 'replace-peer': {
      const r = policyRules(docs, c.policy, c.direction)[c.ruleIndex]!;
      (r[field(c.direction)] as unknown[])[c.peerIndex] = structuredClone(c.peer);
      return;
    }
    case 'remove-except': {
      const r = policyRules(docs, c.policy, c.direction)[c.ruleIndex]!;
      const block = ((r[field(c.direction)] as Obj[])[c.peerIndex]!['ipBlock'] as Obj);
      const except = block['except'] as string[];
      if (except[c.exceptIndex] !== c.except) throw new Error(`except[${c.exceptIndex}] is ${except[c.exceptIndex]}, not ${c.except}`);
      except.splice(c.exceptIndex, 1);
      if (except.length === 0) delete block['except'];
      return;
    }
    case 'add-rule':
      policyRules(docs, c.policy, c.direction).push(structuredClone(c.rule) as Obj);
      return;
    case 'set-label':
    case 'remove-label': {
      const o = c.object;
      const match = (d: Doc): boolean =>
        d['kind'] === o.kind && meta(d).name === o.name && (o.kind === 'Namespace' || meta(d).namespace === o.namespace);
      if (o.kind === 'Namespace' && !docs.some(match)) {
        docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.name, labels: { 'kubernetes.io/metadata.name': o.name } } });
      }
      const m = meta(find(docs, match, `${o.kind} ${o.name}`));
      m.labels = { ...m.labels };
      if (c.kind === 'set-label') m.labels[c.key] = c.value;
      else delete m.labels[c.key];
      return;
    }
    case 'insert-cluster-rule': {
      const d = find(docs, (x) => `${KIND_PREFIX[x['kind'] as string]}/${meta(x).name}` === c.policy, c.policy);
      const s = spec(d);
      s[c.direction] ??= [];
      (s[c.direction] as unknown[]).splice(c.before, 0, structuredClone(c.rule));
      return;
    }
  }
}

/** `cluster` as manifests, with every change of `suggestions` applied to them, loaded again. */
export function applySuggestions(cluster: Cluster, ...suggestions: readonly Suggestion[]): Cluster {
  const docs = clusterObjects(cluster);
  for (const s of suggestions) for (const c of s.changes) applyChange(docs, c);
  const r = loadText(docsToYaml(docs), { file: 'suggested.yaml' });
  if (!r.cluster) throw new Error(`the changed manifests do not load: ${r.issues.map((i) => i.message).join('; ')}`);
  return r.cluster;
}
