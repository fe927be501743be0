// The README's examples run as written (against the built package) and print what their
// comments say. A comment is the printed value, optionally followed by an explanation.
import { expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';

test.each([
  ['## Library API', 3],
  ['## Live updates and worker threads', 6],
  ['## Packets, conntrack and replay', 6],
])('%s example', (heading, lines) => {
  const { printed, expected } = runReadmeExample(heading);
  expect(expected).toHaveLength(lines);
  expect(printed).toHaveLength(expected.length);
  printed.forEach((line, i) => expect(expected[i]!.startsWith(line), `${line} vs ${expected[i]}`).toBe(true));
});
