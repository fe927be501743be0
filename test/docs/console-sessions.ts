// The ```console blocks of a Markdown file as commands and the output printed under each, and the
// docs' tests of them: `$ netpol ...` lines run against the built CLI from the repository root,
// as a shell would, print exactly what is written under them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { codeBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'packages/core/dist/cli/main.js');

/** Each `$ ` line of the ```console blocks of `markdown` (without the `$ `), with the lines below it up to the next one. */
export function consoleSessions(markdown: string): { command: string; output: string[] }[] {
  const out: { command: string; output: string[] }[] = [];
  for (const block of codeBlocks(markdown, 'console'))
    for (const line of block.code.split('\n')) {
      if (line.startsWith('$ ')) out.push({ command: line.slice(2), output: [] });
      else out.at(-1)?.output.push(line);
    }
  return out;
}

/**
 * Runs a documented command (`netpol ARGS`, or `cat FILE | netpol ARGS` with FILE on stdin) with
 * the built CLI from the repository root: its stdout lines (without the trailing newline) and
 * exit status. Arguments are split at spaces (no documented argument has one) and single quotes
 * around one are removed, as a shell would (endpoint names are quoted: [Kind] is a glob).
 */
export function runConsoleCommand(command: string): { output: string[]; status: number | null } {
  const piped = /^cat (\S+) \| (netpol .*)$/.exec(command);
  const args = (piped ? piped[2]! : command)
    .replace(/^netpol /, '')
    .split(' ')
    .map((a) => a.replace(/^'(.*)'$/, '$1'));
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', ...(piped && { input: readFileSync(join(root, piped[1]!)) }) });
  return { output: r.stdout.trimEnd().split('\n'), status: r.status };
}

/** The exit status a documented output stands for: 2 when it ends in `invalid:` (bad input) or shows a flow error, else 0. */
export function documentedStatus(output: readonly string[]): number {
  return output.at(-1)!.startsWith('invalid:') || output.some((l) => l.includes('"error":')) ? 2 : 0;
}

/**
 * The tests of a doc's console examples: there are at least `atLeast` of them, and each command
 * (runConsoleCommand) prints exactly the lines written under it and exits with the status they
 * stand for (documentedStatus).
 */
export function testConsoleExamples(docPath: string, atLeast: number): void {
  const sessions = consoleSessions(readFileSync(join(root, docPath), 'utf8'));
  test('the console examples are there', () => {
    expect(sessions.length).toBeGreaterThanOrEqual(atLeast);
  });
  test.each(sessions.map((s) => [s.command, s]))('$ %s', (_, { command, output }) => {
    const r = runConsoleCommand(command);
    expect(r.output).toEqual(output);
    expect(r.status).toBe(documentedStatus(output));
  });
}
