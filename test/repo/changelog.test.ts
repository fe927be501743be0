// The changelog is kept with changesets (.changeset/README.md): each published package has a
// CHANGELOG.md whose newest entry is its current version (a version bumped by hand, without
// `changeset version`, fails here), and every pending changeset names published packages and a
// bump that changesets accepts, so `changeset version` will not stop on it at release time.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '../..');
const packages = readdirSync(join(root, 'packages')).flatMap((dir) => {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) return [];
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string; private?: boolean };
  return [{ dir: join(root, 'packages', dir), ...pkg }];
});
const published = packages.filter((p) => !p.private);

/** The front matter of a changeset: package name → bump. */
function changesetReleases(text: string): Map<string, string> | undefined {
  const m = /^---\n([\s\S]*?)\n?---\n/.exec(text);
  if (!m) return undefined;
  const releases = new Map<string, string>();
  for (const line of m[1]!.split('\n')) {
    if (line.trim() === '') continue;
    const r = /^\s*(['"]?)([^'":]+)\1\s*:\s*(\S+)\s*$/.exec(line);
    if (!r) return undefined;
    releases.set(r[2]!, r[3]!);
  }
  return releases;
}

describe('changelogs', () => {
  test('the published packages are the two the release covers', () => {
    expect(published.map((p) => p.name).sort()).toEqual(['@netpol/core', '@netpol/native']);
  });

  test.each(published.map((p) => [p.name, p] as const))('%s: CHANGELOG.md starts with the package name and its current version', (name, p) => {
    const text = readFileSync(join(p.dir, 'CHANGELOG.md'), 'utf8');
    expect(text.split('\n')[0]).toBe(`# ${name}`);
    expect(/^## (\S+)$/m.exec(text)?.[1]).toBe(p.version);
  });

  test('.changeset/config.json releases core and native together and names only real packages', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset/config.json'), 'utf8')) as { fixed: string[][]; ignore: string[] };
    expect(config.fixed).toEqual([['@netpol/core', '@netpol/native']]);
    const names = new Set(packages.map((p) => p.name));
    for (const n of [...config.fixed.flat(), ...config.ignore]) expect(names.has(n), n).toBe(true);
  });

  test('every pending changeset names published packages and a major, minor or patch bump', () => {
    const dir = join(root, '.changeset');
    const names = new Set(published.map((p) => p.name));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
      const releases = changesetReleases(readFileSync(join(dir, file), 'utf8'));
      expect(releases, `${file}: front matter`).toBeDefined();
      expect(releases!.size, `${file}: names no package`).toBeGreaterThan(0);
      for (const [name, bump] of releases!) {
        expect(names.has(name), `${file}: ${name} is not a published package`).toBe(true);
        expect(['major', 'minor', 'patch'], `${file}: ${name}: ${bump}`).toContain(bump);
      }
    }
  });

  test('the changeset reader: names, quotes, bumps; a file without front matter is refused', () => {
    expect(changesetReleases('---\n\'@netpol/core\': minor\n"@netpol/native": patch\n---\n\nText.\n')).toEqual(
      new Map([
        ['@netpol/core', 'minor'],
        ['@netpol/native', 'patch'],
      ]),
    );
    expect(changesetReleases('---\n---\n\nEmpty.\n')).toEqual(new Map());
    expect(changesetReleases('no front matter\n')).toBeUndefined();
    expect(changesetReleases('---\nnot a release line\n---\n')).toBeUndefined();
  });
});
