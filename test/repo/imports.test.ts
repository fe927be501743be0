// The import graph of the sources: no cycles (a cycle makes module order, and so the meaning of
// a top-level constant, depend on which file is loaded first, and it ties layers together), and
// the engines do not depend on their oracle (reference/ is what they are fuzzed against).
// Edges are the static `import`/`export … from` statements, type-only ones included: a type
// cycle is still a design cycle. Dynamic `import()` is not an edge (it is how a layer loads an
// optional one on demand).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { findCycles, importGraph, reachable } from './import-graph.js';

const root = join(import.meta.dirname, '../..');
const roots = ['packages/core/src', 'packages/bench/src'];

describe('import graph helpers', () => {
  test('a cycle is found and named, in order; an acyclic graph has none', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(findCycles(g)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['e', 'e'],
    ]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });

  test('type-only imports, export-from and multi-line imports are edges; comments and dynamic import() are not', () => {
    const files = new Map([
      ['/s/a.ts', "import type { X } from './b.js';\n// import './c.js';\nconst m = import('./d.js');\n"],
      ['/s/b.ts', "export { y } from './c.js';\n"],
      ['/s/c.ts', "import {\n  z,\n} from './d/index.js';\n"],
      ['/s/d/index.ts', "/* import './a.js' */ export const z = 1;\n"],
    ]);
    const g = importGraph(
      [...files.keys()],
      (f) => files.get(f)!,
      (f) => files.has(f),
    );
    expect(Object.fromEntries(g)).toEqual({ '/s/a.ts': ['/s/b.ts'], '/s/b.ts': ['/s/c.ts'], '/s/c.ts': ['/s/d/index.ts'], '/s/d/index.ts': [] });
  });
});

describe('the repository', () => {
  const files = roots.flatMap((r) => tsFiles(join(root, r)));
  const graph = importGraph(files, (f) => readFileSync(f, 'utf8'), existsSync);
  const show = (f: string): string => relative(root, f);

  test('sees every source file', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.endsWith('packages/bench/src/table.ts'))).toBe(true);
  });

  test('has no import cycle', () => {
    const cycles = findCycles(graph).map((c) => c.map(show).join(' → '));
    expect(cycles).toEqual([]);
  });

  test('packet/ does not import dataplane/: the compiled dataplane makes its packet filter, the filter sees it through FilterDataplane', () => {
    const core = join(root, 'packages/core/src');
    const edges = [...graph].flatMap(([f, targets]) =>
      f.startsWith(join(core, 'packet') + '/') ? targets.filter((t) => t.startsWith(join(core, 'dataplane') + '/')).map((t) => `${show(f)} → ${show(t)}`) : [],
    );
    expect(edges).toEqual([]);
  });

  test('dataplane/, compile/, kernels/ and update/ do not reach reference/ (the engines do not import their oracle)', () => {
    const core = join(root, 'packages/core/src');
    const engines = files.filter((f) => ['dataplane', 'compile', 'kernels', 'update'].some((d) => f.startsWith(join(core, d) + '/')));
    expect(engines.length).toBeGreaterThan(10);
    const offending = engines.flatMap((f) => {
      const path = reachable(graph, f, (g) => g.startsWith(join(core, 'reference') + '/'));
      return path ? [path.map(show).join(' → ')] : [];
    });
    expect(offending).toEqual([]);
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}
