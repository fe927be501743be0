// Type-checks code blocks of a Markdown file as a user's project would compile them: each block
// its own module, `strict`, '@netpol/core' resolved to the built package's declarations (what an
// installed package gives), Node's types. Only the blocks' own diagnostics are reported.
import { join } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '../..');

/** Every ```<lang> block of `markdown`, with the line its code starts on (1-based). */
export function codeBlocks(markdown: string, lang: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```' + lang) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) break;
    blocks.push({ line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The compiler options a user with `strict` would have; ES modules, so top-level await works. */
export const USER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: ['node'],
  noEmit: true,
  skipLibCheck: true,
};

/**
 * `file:line:col message` for every diagnostic in the blocks (line numbers in the Markdown
 * file). The blocks are .mts files beside the built package, so '@netpol/core' resolves through
 * its package.json `exports` as it does for a dependent.
 */
export function typecheckBlocks(blocks: readonly { line: number; code: string }[], label: string): string[] {
  const dir = join(root, 'packages/bench');
  const files = new Map(blocks.map((b, i) => [join(dir, `__doc_block_${i}.mts`), b]));
  const host = ts.createCompilerHost(USER_OPTIONS, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.readFile = (f) => files.get(f)?.code ?? readFile(f);
  host.getSourceFile = (f, v, onError, create) => {
    const block = files.get(f);
    return block ? ts.createSourceFile(f, block.code, v, true) : getSourceFile(f, v, onError, create);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options: USER_OPTIONS, host });
  const out: string[] = [];
  for (const [file, block] of files) {
    const sf = program.getSourceFile(file)!;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
      out.push(`${label}:${block.line + line}:${character + 1} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return out;
}
