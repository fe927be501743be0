// Flow records may carry the DNS name the source resolved (dstName), which only cluster-scoped
// domainNames peers read: it is validated and normalised like a resolver's answer.
import { describe, expect, test } from 'vitest';
import { ClusterIndex, parseFlow } from '@netpol/core';

const index = new ClusterIndex({ namespaces: [], pods: [], nodes: [], policies: [] });
const parse = (dstName: unknown) => parseFlow({ src: '10.0.0.1', dst: '93.184.216.34', protocol: 'TCP', port: 443, dstName }, index);

describe('dstName', () => {
  test.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM.', 'api.example.com'],
    ['_srv._tcp.example.com', '_srv._tcp.example.com'],
    ['localhost', 'localhost'],
  ])('%s is accepted as %s', (given, want) => {
    const r = parse(given);
    expect(r.ok && r.flow.dstName).toBe(want);
  });

  test.each([[''], ['*.example.com'], ['a..b'], ['-a.example.com'], ['a b.com'], [`${'a'.repeat(64)}.com`], [`${'a.'.repeat(127)}com`], [42], [null]])(
    '%j is refused',
    (given) => {
      const r = parse(given);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/"dstName" must be a DNS name/);
    },
  );

  test('absent: the flow has no name', () => {
    const r = parseFlow({ src: '10.0.0.1', dst: '93.184.216.34', protocol: 'TCP', port: 443 }, index);
    expect(r.ok && 'dstName' in r.flow).toBe(false);
  });
});
