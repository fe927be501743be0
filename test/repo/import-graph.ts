// The import graph behind test/repo/imports.test.ts, read with the TypeScript parser (so an
// import in a comment or a string is not an edge, and a multi-line import is one).
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** file → the files it imports statically (relative specifiers only; packages are other graphs). */
export type ImportGraph = Map<string, string[]>;

/**
 * The static edges of `files`: `import … from`, `import type … from`, `export … from`,
 * `import '…'` and `import x = require('…')`. A `./x.js` specifier resolves to `./x.ts`, or to
 * `./x/index.ts` when that is what exists.
 */
export function importGraph(files: readonly string[], read: (file: string) => string, exists: (file: string) => boolean): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const edges: string[] = [];
    for (const st of source.statements) {
      let spec: ts.Expression | undefined;
      if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) spec = st.moduleSpecifier;
      else if (ts.isImportEqualsDeclaration(st) && ts.isExternalModuleReference(st.moduleReference)) spec = st.moduleReference.expression;
      if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
      const target = resolveSpecifier(file, spec.text, exists);
      if (target === undefined) throw new Error(`${file}: cannot resolve import '${spec.text}'`);
      if (!edges.includes(target)) edges.push(target);
    }
    graph.set(file, edges);
  }
  return graph;
}

function resolveSpecifier(from: string, spec: string, exists: (file: string) => boolean): string | undefined {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|ts)$/, '');
  return [`${stem}.ts`, `${base}/index.ts`, `${stem}/index.ts`].find(exists);
}

/**
 * One cycle per strongly connected component that has one (Tarjan), each as a path that starts
 * and ends at the component's first file in the graph's order. Empty when the graph is acyclic.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  const order = [...graph.keys()];
  return components
    .filter((c) => c.length > 1 || (graph.get(c[0]!) ?? []).includes(c[0]!))
    .map((c) => {
      const members = new Set(c);
      const start = order.find((f) => members.has(f))!;
      return [start, ...shortestPath(graph, start, (f) => f === start, members)!];
    })
    .sort((a, b) => order.indexOf(a[0]!) - order.indexOf(b[0]!));
}

/** The shortest import chain from `from` to a file `hit` accepts (`from` itself excluded), or undefined. */
export function reachable(graph: ImportGraph, from: string, hit: (file: string) => boolean): string[] | undefined {
  const path = shortestPath(graph, from, hit);
  return path && [from, ...path];
}

function shortestPath(graph: ImportGraph, from: string, hit: (file: string) => boolean, within?: ReadonlySet<string>): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of graph.get(v) ?? []) {
      if (within && !within.has(w)) continue;
      if (hit(w)) {
        const path = [w];
        for (let u = v; u !== from; u = parent.get(u)!) path.unshift(u);
        return path;
      }
      if (!parent.has(w) && w !== from) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return undefined;
}
