/** The loader's bounds on hostile input, in one place (README "Loading untrusted input"). */

/** Per file (or text, or object handed in directly): larger input is refused before parsing. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/**
 * YAML tokens per file, counted by the lexer (streaming, ~0.4 µs a token) before anything is
 * built: the YAML parser holds ~300 bytes per token, so this bounds its memory near 1.5 GB.
 * kubectl-style YAML has ~0.3 tokens per byte (16 MB); a dense flow list has up to 1.5.
 */
export const DEFAULT_MAX_YAML_TOKENS = 5_000_000;
/** Nesting no Kubernetes object comes near; deeper input is refused before it can exhaust the stack. */
export const MAX_DEPTH = 512;
/** Aliases may always add this much (characters + nodes); beyond it, at most the document's own size. */
export const ALIAS_BUDGET_FLOOR = 1 << 20;
/** Echoed values and keys in messages are cut to this many characters. */
export const ECHO_LIMIT = 100;
