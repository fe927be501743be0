/**
 * Recognises an input that is not YAML or JSON text before the YAML parser sees it. A PNG, a
 * tarball or an executable passed with `-f` would otherwise reach the parser as UTF-8 with
 * replacement characters and come back as a list of syntax errors, one per stray token, none
 * of which says what is wrong: here it is one `file-unreadable` issue that names the file and
 * what it looks like.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Issue } from '../load/issues.js';

/** How much of a file is examined: the start is enough to tell text from a binary format. */
const SNIFF_BYTES = 8192;

/** Signatures of formats people pass by mistake: [offset, bytes, what it is]. */
const SIGNATURES: readonly (readonly [number, readonly number[], string])[] = [
  [0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG image'],
  [0, [0xff, 0xd8, 0xff], 'a JPEG image'],
  [0, [0x47, 0x49, 0x46, 0x38, 0x37, 0x61], 'a GIF image'],
  [0, [0x47, 0x49, 0x46, 0x38, 0x39, 0x61], 'a GIF image'],
  [0, [0x25, 0x50, 0x44, 0x46, 0x2d], 'a PDF document'],
  [0, [0x1f, 0x8b], 'a gzip archive (a .tgz? extract it first)'],
  [4, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59], 'a bzip2 archive'],
  [0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'an xz archive'],
  [0, [0x28, 0xb5, 0x2f, 0xfd], 'a zstd archive'],
  [0, [0x50, 0x4b, 0x03, 0x04], 'a zip archive'],
  [0, [0x7f, 0x45, 0x4c, 0x46], 'an ELF executable'],
  [0, [0x0a, 0x0d, 0x0d, 0x0a], 'a pcapng capture (netpol replay reads it)'],
  [0, [0xd4, 0xc3, 0xb2, 0xa1], 'a pcap capture (netpol replay reads it)'],
  [0, [0xa1, 0xb2, 0xc3, 0xd4], 'a pcap capture (netpol replay reads it)'],
  [257, [0x75, 0x73, 0x74, 0x61, 0x72], 'a tar archive'],
  [0, [0xff, 0xfe], 'UTF-16 text (save it as UTF-8)'],
  [0, [0xfe, 0xff], 'UTF-16 text (save it as UTF-8)'],
];

const startsWith = (bytes: Uint8Array, offset: number, sig: readonly number[]): boolean =>
  bytes.length >= offset + sig.length && sig.every((b, i) => bytes[offset + i] === b);

/**
 * Why an input is not YAML or JSON text (a known binary format, a NUL byte, bytes that are not
 * UTF-8), judged on its first SNIFF_BYTES, or undefined when it may be text. A multi-byte
 * character cut at the end of what is examined is not held against it.
 */
export function binaryReason(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, SNIFF_BYTES);
  for (const [offset, sig, what] of SIGNATURES) if (startsWith(head, offset, sig)) return what;
  const nul = head.indexOf(0);
  if (nul >= 0) return `binary content (a NUL byte at offset ${nul})`;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return 'not UTF-8 text';
  }
  return undefined;
}

/** The issue for an input binaryReason refuses. */
export function notTextIssue(file: string, reason: string): Issue {
  return { code: 'file-unreadable', severity: 'error', file, path: '', message: `not a YAML or JSON manifest: ${reason}` };
}

/**
 * binaryReason for a file's first SNIFF_BYTES. A file that cannot be opened is not judged here:
 * the reader reports why it cannot be read.
 */
export function fileBinaryReason(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const n = readSync(fd, head, 0, SNIFF_BYTES, 0);
    return binaryReason(head.subarray(0, n));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
