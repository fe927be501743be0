// `netpol lint -o sarif` against the official SARIF 2.1.0 JSON schema (test/fixtures/sarif, draft-07,
// validated with Ajv's draft-07 validator and the standard formats: uri, uri-reference, date-time...),
// and the parts GitHub code scanning reads: rules, levels, file URIs relative to the working
// directory, start lines, suppressions, and loading's issues as notifications.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import formats from 'ajv-formats';
import { describe, expect, test } from 'vitest';
import { LINT_CHECKS, lintSarif, lintText, type LintCheck } from '@netpol/core';
import { runCli, scratchFile } from '../helpers.js';

const repo = join(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(join(repo, 'test/fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
// Ajv's default class is draft-07, the schema's `$schema`; strict mode off for the schema's own
// keywords Ajv does not know as such (none is needed for validation).
const ajv = new Ajv({ allErrors: true, strict: false });
// ajv-formats is CommonJS: its default export arrives as the module object under Node's ESM.
const addFormats = ((formats as unknown as { default?: unknown }).default ?? formats) as (a: Ajv) => Ajv;
addFormats(ajv);
const validate = ajv.compile(schema);

/** The parts of a SARIF log the tests read. */
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  suppressions?: { kind: string }[];
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region?: { startLine: number } } }[];
}
interface SarifRun {
  tool: { driver: { name: string; rules: { id: string; defaultConfiguration: unknown; shortDescription: { text: string } }[] } };
  invocations: { executionSuccessful: boolean; toolExecutionNotifications: { level: string; descriptor: { id: string } }[] }[];
  results: SarifResult[];
}

const errors = (doc: unknown): string[] => (validate(doc) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message}`));

const sarif = async (...args: string[]) => {
  const r = await runCli('lint', ...args, '-o', 'sarif');
  return { code: r.code, doc: JSON.parse(r.out.join('\n')) as { runs: SarifRun[] }, err: r.err };
};

describe('SARIF 2.1.0', () => {
  test('the schema is the draft-07 SARIF 2.1.0 schema, and rejects what it must', () => {
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(String(schema['title'])).toContain('SARIF) Version 2.1.0');
    expect(errors({ version: '2.1.0', runs: [] })).toEqual([]);
    expect(errors({ version: '2.0.0', runs: [] })).not.toEqual([]);
    expect(errors({ $schema: 'not a uri', version: '2.1.0', runs: [] })).toEqual(['/$schema must match format "uri"']); // formats are checked
    expect(errors({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).not.toEqual([]); // driver.name is required
    expect(errors({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'severe' }] }] })).not.toEqual([]);
  });

  test('the findings of every broken manifest (every check fires there) validate, each result naming its rule', async () => {
    const dir = join(repo, 'test/fixtures/lint/broken');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
      const { code, doc } = await sarif('-f', join(dir, f));
      expect(code, f).not.toBe(2);
      expect(errors(doc), f).toEqual([]);
      const run = doc.runs[0]!;
      for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
    }
  });

  test('an example story: rules, levels, URIs relative to the working directory, lines', async () => {
    const { code, doc } = await sarif('-f', join(repo, 'examples/my-ns/cluster.yaml'), '-f', join(repo, 'examples/my-ns/ports-only'));
    expect(code).toBe(1);
    expect(errors(doc)).toEqual([]);
    const run = doc.runs[0]!;
    expect(run.tool.driver.name).toBe('netpol');
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(LINT_CHECKS.map((c) => c.id));
    const rule = run.tool.driver.rules.find((r) => r.id === 'ports-without-peers')!;
    expect(rule.defaultConfiguration).toEqual({ level: 'warning' });
    expect(rule.shortDescription.text).toBe('Rule with ports but no from/to');
    const result = run.results.find((r) => r.ruleId === 'ports-without-peers')!;
    expect(result.level).toBe('warning');
    expect(run.tool.driver.rules[result.ruleIndex]!.id).toBe('ports-without-peers');
    expect(result.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: relative(process.cwd(), join(repo, 'examples/my-ns/ports-only/policies.yaml')), uriBaseId: '%SRCROOT%' },
      region: { startLine: 25 },
    });
    expect(run.invocations[0]!.executionSuccessful).toBe(true);
  });

  test('info is a note; a suppressed finding carries an inSource suppression; a file name with a space is percent-encoded', async () => {
    const file = scratchFile(
      'my policy.yaml',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: test\n  annotations: {lint.netpol.io/ignore: ports-without-peers}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 80}]}]\n',
    );
    const { code, doc } = await sarif('-f', file);
    expect(code).toBe(0); // the suppressed warning does not count, and info is below the default --fail-on
    expect(errors(doc)).toEqual([]);
    const results = doc.runs[0]!.results;
    expect(results.map((r) => [r.ruleId, r.level, r.suppressions?.[0]?.kind])).toEqual([
      ['meaningless-policy-name', 'note', undefined],
      ['ports-without-peers', 'warning', 'inSource'],
    ]);
    expect(results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/my%20policy\.yaml$/);
  });

  test('input that does not load: an unsuccessful invocation with every issue as a notification, no result; still valid SARIF', async () => {
    const bad = scratchFile(
      'bad.yaml',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {matchLabels: {"a b": c}}}\n',
    );
    const { code, doc } = await sarif('-f', bad);
    expect(code).toBe(2);
    expect(errors(doc)).toEqual([]);
    const run = doc.runs[0]!;
    expect(run.results).toEqual([]);
    expect(run.invocations[0]!.executionSuccessful).toBe(false);
    expect(run.invocations[0]!.toolExecutionNotifications.map((n: { level: string; descriptor: { id: string } }) => [n.level, n.descriptor.id])).toContainEqual(
      ['error', 'invalid-label-key'],
    );
  });

  test('every result has a physical location (GitHub rejects the whole log otherwise): stdin input, and an object with no source placed at the first file', () => {
    const everyNamespace: LintCheck = {
      id: 'test-every-namespace',
      severity: 'warning',
      title: 'every namespace',
      description: 'flags every Namespace (test)',
      *run(ctx) {
        for (const ns of ctx.cluster.namespaces) yield { object: { kind: 'Namespace', name: ns.name }, path: [], message: ns.name, fix: 'none' };
      },
    };
    // shop is declared in the text; default is only referred to by the policy: no source.
    const yaml =
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n';
    for (const file of ['policies.yaml', '<stdin>']) {
      const r = lintText(yaml, { file, checks: [everyNamespace] });
      const doc = lintSarif(r, { checks: [everyNamespace], version: '0.0.0' }) as { runs: SarifRun[] };
      expect(errors(doc)).toEqual([]);
      const locations = doc.runs[0]!.results.map((x) => x.locations[0]!.physicalLocation);
      const uri = file === '<stdin>' ? '%3Cstdin%3E' : 'policies.yaml';
      expect(locations).toEqual([
        { artifactLocation: { uri, uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } },
        { artifactLocation: { uri, uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } },
      ]);
    }
  });
});
