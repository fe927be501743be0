// The packet filter and `netpol replay` call explain to name the policies of a denial. A flow
// explain cannot represent (mixed families after IPv4-mapped unmapping) is expected there
// and caught; any other error (explain disagreeing with the kernel is an internal error) must
// propagate, not turn into a denial that names no policy.
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { CompiledDataplane, loadFiles, MixedFamiliesError, PacketFilter, parseIP } from '@netpol/core';
import { run } from '../../packages/core/src/cli/run.js';
import { FIXTURES, ipv4, tcp, TCP_FLAGS as F } from './build.js';

const FILES = [join(FIXTURES, 'cluster.yaml'), join(FIXTURES, 'policies.yaml')];

function fixtureDataplane(): CompiledDataplane {
  const r = loadFiles(FILES);
  if (!r.cluster) throw new Error('fixture cluster invalid');
  return new CompiledDataplane(r.cluster, { native: 'off' });
}

const internal = () => new Error('internal error: explain (0 matching rules) disagrees with the kernel (allowed) for ingress 10.244.1.11 -> 10.244.1.20');
const mixed = () => new MixedFamiliesError(parseIP('10.244.1.11')!, parseIP('fd00::1')!);
/** The intruder's SYN to the server: denied by demo/server-allow-client. */
const DENIED_SYN = ipv4({ protocol: 6, src: '10.244.1.11', dst: '10.244.1.20' }, tcp(50000, 8080, F.S));

/** A filter over the fixture's kernel whose explain throws `error`. */
function filterWithExplain(error: () => Error) {
  const dp = fixtureDataplane();
  return new PacketFilter({
    kernel: dp.kernel,
    explain: () => {
      throw error();
    },
  });
}

describe('PacketFilter.packet on a denial', () => {
  test('an internal error from explain propagates', () => {
    expect(() => filterWithExplain(internal).packet(DENIED_SYN, 1)).toThrow(/^internal error: explain/);
  });

  test('mixed families: the denial without policies, as before', () => {
    const r = filterWithExplain(mixed).packet(DENIED_SYN, 1);
    expect(r).toMatchObject({ allowed: false, state: 'new', denial: { direction: 'ingress', policies: [], egressPolicies: [], ingressPolicies: [] } });
  });

  test('MixedFamiliesError is the RangeError the engines have always thrown for such flows', () => {
    const e = mixed();
    expect(e).toBeInstanceOf(RangeError);
    expect(e.name).toBe('MixedFamiliesError');
    expect(e.message).toBe('flow mixes address families: 10.244.1.11 -> fd00::1');
  });
});

describe('netpol replay', () => {
  afterEach(() => vi.restoreAllMocks());
  const replay = async () => {
    const out: string[] = [];
    const code = await run(['replay', join(FIXTURES, 'demo.pcapng'), '-f', FILES[0]!, '-f', FILES[1]!, '-o', 'summary'], {
      out: (l) => out.push(l),
      err: () => {},
    });
    return { code, out };
  };

  test('an internal error from explain propagates (exit 70 from the CLI), not a flow with no policies', async () => {
    vi.spyOn(CompiledDataplane.prototype, 'explain').mockImplementation(() => {
      throw internal();
    });
    await expect(replay()).rejects.toThrow(/^internal error: explain/);
  });

  test('mixed families: the flow is still counted, without policies', async () => {
    vi.spyOn(CompiledDataplane.prototype, 'explain').mockImplementation(() => {
      throw mixed();
    });
    const { code, out } = await replay();
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/packets: 34 allowed, 14 denied, 0 malformed, 4 invalid/);
    expect(out.join('\n')).toContain('denied by (no policy)');
  });
});
