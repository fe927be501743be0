// Issue.code is a closed union of the codes netpol emits: a caller switching on a misspelt
// code gets a type error (the typecheck test in test/repo runs tsc over this file).
import { expect, test } from 'vitest';
import type { Issue, IssueCode } from '../../packages/core/src/index.js';

test('a misspelt Issue code does not type-check; an emitted one does', () => {
  // @ts-expect-error 'invalid-cidrs' is not a code netpol emits
  const typo: IssueCode = 'invalid-cidrs';
  const issue: Issue = { code: 'invalid-cidr', severity: 'error', path: 'spec.ingress[0].from[0].ipBlock.cidr', message: 'bad' };
  expect([typo, issue.code]).toEqual(['invalid-cidrs', 'invalid-cidr']);
});
