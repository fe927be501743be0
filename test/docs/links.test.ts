// The repository stands alone: every relative link in its Markdown resolves to a file or folder
// inside it, and nothing points at the sibling folders of a checkout (../shared and the like),
// nor at a section of docs/semantics.md that does not exist.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '../..');
const SKIP = new Set(['node_modules', 'dist', '.git', 'api', 'results']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return markdownFiles(p);
    return name.endsWith('.md') ? [p] : [];
  });
}

/** The targets of `[text](target)` links, without their #fragment; web and mail links left out. */
function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
    .map((t) => t.split('#')[0]!);
}

/** The `## N.` / `### N.M` section numbers of docs/semantics.md. */
function sections(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]!));
}

describe('links', () => {
  const files = markdownFiles(root);

  test('sees the README, the docs and the examples', () => {
    const names = files.map((f) => relative(root, f));
    for (const f of ['README.md', 'docs/semantics.md', 'docs/cluster-policies.md', 'CONTRIBUTING.md']) expect(names).toContain(f);
  });

  test.each(files.map((f) => [relative(root, f), f]))('%s: every relative link resolves inside the repository', (_, file) => {
    const bad = relativeLinks(readFileSync(file, 'utf8')).filter((t) => {
      const target = resolve(dirname(file), t);
      return relative(root, target).startsWith('..') || !existsSync(target);
    });
    expect(bad).toEqual([]);
  });

  test('no file of the repository mentions the checkout-level shared/ folder', () => {
    const offenders = files.filter((f) => /\.\.\/shared\//.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });

  test('every §N cited in the README is a section of docs/semantics.md', () => {
    const have = sections(readFileSync(join(root, 'docs/semantics.md'), 'utf8'));
    expect(have.size).toBeGreaterThan(25);
    const cited = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/§(\d+(?:\.\d+)?)/g)].map((m) => m[1]!);
    expect(cited.length).toBeGreaterThan(3);
    expect(cited.filter((c) => !have.has(c))).toEqual([]);
  });

  test('the link reader: relative targets only, fragments dropped, code ignored', () => {
    expect(relativeLinks('[a](docs/x.md#y) [b](https://e.org) [c](#top) `[d](no.md)`\n```\n[e](no.md)\n```\n[f](../up.md)')).toEqual(['docs/x.md', '../up.md']);
  });
});
