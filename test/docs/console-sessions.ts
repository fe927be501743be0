// The ```console blocks of a Markdown file as commands and the output printed under each: what
// the docs' example tests run (`$ netpol ...` lines, then the lines the command prints).
import { codeBlocks } from './typecheck-blocks.js';

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
