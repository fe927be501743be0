// Flow records as a new user writes them: "port" as a string number, a named port resolved on
// the destination pod, a pod named without its namespace (the -n namespace, default `default`);
// a finished (Succeeded/Failed) pod is an error, not an address; explain of a TCP flow without
// --port is a usage error.
import { describe, expect, test } from 'vitest';
import { runCli, scratchFile } from '../helpers.js';
import { podManifest } from './pod-manifest.js';

const CLUSTER = scratchFile(
  'cluster.yaml',
  [
    podManifest('client', 'client', '10.0.0.1'),
    podManifest(
      'stars',
      'server',
      '10.0.0.2',
      '    ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]\n  - name: dns-tcp\n    image: i\n    ports: [{name: dns, containerPort: 53}]\n',
    ),
    podManifest('stars', 'done', '10.0.0.3', '', 'Succeeded'),
    podManifest('stars', 'crashed', '10.0.0.4', '', 'Failed'),
    podManifest('stars', 'client', '10.0.0.5'),
    podManifest(
      'default',
      'web',
      '10.0.0.6',
      '    ports: [{name: http, containerPort: 80}]\n  - name: sidecar\n    image: i\n    ports: [{name: http, containerPort: 8081}]\n',
    ),
    `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: http-only, namespace: stars}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - ports: [{port: http}]
`,
  ].join(''),
);

/** The verdict lines of one flow record (`-n` options before `-f`). */
async function verdict(record: object, ...args: string[]) {
  const flows = scratchFile('flows.jsonl', `${JSON.stringify(record)}\n`);
  const r = await runCli('verdict', ...args, '-f', CLUSTER, '--flows', flows);
  return { code: r.code, line: JSON.parse(r.out[0]!) as Record<string, unknown> };
}

describe('"port"', () => {
  test('a number written as a string', async () => {
    const r = await verdict({ src: 'client/client', dst: 'stars/server', port: '8080' });
    expect(r.line).toMatchObject({ port: '8080', allowed: true, ingress: 'allowed' });
    expect((await verdict({ src: 'client/client', dst: 'stars/server', port: '9090' })).line).toMatchObject({ allowed: false });
    expect((await verdict({ src: 'client/client', dst: 'stars/server', port: '70000' })).line.error).toBe(
      '"port" must be an integer 0-65535 for this protocol',
    );
  });

  test('a named port resolves on the destination pod (by name, IP or endpoint)', async () => {
    // stars/http-only admits port http (8080) only.
    for (const dst of ['stars/server', '10.0.0.2', 'stars/server[Pod]'])
      expect((await verdict({ src: 'client/client', dst, port: 'http' })).line).toMatchObject({ allowed: true });
    expect((await verdict({ src: 'client/client', dst: 'stars/server', port: 'http' })).line).toMatchObject({ ingress: 'allowed' });
  });

  test('a name the destination lacks, or of the wrong protocol, is an error naming its ports', async () => {
    expect((await verdict({ src: 'client/client', dst: 'stars/server', port: 'grpc' })).line.error).toBe(
      '"port": no container port named "grpc" on the destination stars/server (its named ports: http (8080/TCP), dns (53/UDP), dns (53/TCP))',
    );
    expect((await verdict({ src: 'client/client', dst: 'stars/server', port: 'http', protocol: 'UDP' })).line.error).toBe(
      '"port": "http" on stars/server is 8080/TCP, not UDP',
    );
  });

  test('a name of several protocols needs "protocol"; with it, the port of that protocol', async () => {
    const r = await verdict({ src: 'client/client', dst: 'stars/server', port: 'dns' });
    expect(r.code).toBe(2);
    expect(r.line.error).toBe('"port": "dns" on stars/server is 53/UDP and 53/TCP: give "protocol"');
    expect((await verdict({ src: 'client/client', dst: 'stars/server', port: 'dns', protocol: 'UDP' })).line).toMatchObject({ allowed: false });
  });

  test('a name two containers give different numbers is refused', async () => {
    expect((await verdict({ src: 'client/client', dst: 'default/web', port: 'http' })).line.error).toBe(
      '"port": "http" is several ports on default/web (80 on default/web, 8081 on default/web): give the number',
    );
  });

  test('a named port to an address that is no pod is refused', async () => {
    expect((await verdict({ src: 'client/client', dst: '8.8.8.8', port: 'http' })).line.error).toBe(
      '"port": a named port ("http") is resolved on the destination pod, and 8.8.8.8 is no pod (give the number)',
    );
  });
});

describe('a pod named without its namespace', () => {
  test('is looked up in the -n namespace', async () => {
    expect((await verdict({ src: 'client', dst: 'server', port: 8080 }, '-n', 'stars')).line).toMatchObject({ src: 'client', allowed: true });
    // -n client: "client" is client/client, and server is not there.
    expect((await verdict({ src: 'client', dst: 'stars/server', port: 8080 }, '-n', 'client')).line).toMatchObject({ allowed: true });
  });

  test('with several -n (one per group of files): the one that has it, or an error naming each', async () => {
    expect((await verdict({ src: 'server', dst: 'web', port: 80 }, '-n', 'stars', '-n', 'default')).line).toMatchObject({ allowed: true });
    expect((await verdict({ src: 'client', dst: 'web', port: 80 }, '-n', 'stars', '-n', 'client', '-n', 'default')).line.error).toBe(
      '"src": client is ambiguous in namespaces stars, client, default: stars/client, client/client; name one of them',
    );
  });

  test('without -n, in default; unknown there: an error naming where that name is', async () => {
    expect((await verdict({ src: 'web', dst: 'stars/server', port: 8080 })).line).toMatchObject({ allowed: true });
    expect((await verdict({ src: 'client', dst: 'stars/server', port: 8080 })).line.error).toBe(
      '"src": no pod or endpoint client in namespace default (a name without namespace/ is looked up in the -n namespaces); in other namespaces: client/client, stars/client',
    );
  });

  test('an address-like value keeps its address error', async () => {
    expect((await verdict({ src: 'client/client', dst: '010.0.0.1', port: 1 })).line.error).toBe(
      '"dst": "010.0.0.1" is neither an IP address nor "namespace/pod"',
    );
  });
});

describe('a finished pod', () => {
  test('Succeeded or Failed, by name or endpoint: an error, not its old address', async () => {
    for (const [dst, phase] of [
      ['stars/done', 'Succeeded'],
      ['stars/crashed[Pod]', 'Failed'],
    ] as const) {
      const r = await verdict({ src: 'client/client', dst, port: 80 });
      expect(r.code).toBe(2);
      expect(r.line.error).toBe(
        `"dst": pod ${dst.replace('[Pod]', '')} is ${phase}: a finished pod does not count (it holds no address in the dataplane, and its IP may already be another pod's)`,
      );
    }
    expect((await verdict({ src: 'done', dst: 'client/client', port: 80 }, '-n', 'stars')).line.error).toMatch(/^"src": pod stars\/done is Succeeded/);
  });
});

describe('explain --port', () => {
  test('required for a TCP, UDP or SCTP flow', async () => {
    const r = await runCli('explain', '-f', CLUSTER, '--src', 'client/client', '--dst', 'stars/server');
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(
      /^netpol: --port is required for a TCP flow \(the destination port: a number, or a container port name of the destination pod\)/,
    );
    const udp = await runCli('explain', '-f', CLUSTER, '--src', 'client/client', '--dst', 'stars/server', '--protocol', 'udp');
    expect(udp.err.join('\n')).toMatch(/^netpol: --port is required for a UDP flow/);
  });

  test('not for ICMP; a name works as in flow records', async () => {
    expect((await runCli('explain', '-f', CLUSTER, '--src', 'client/client', '--dst', 'stars/server', '--protocol', 'ICMP')).code).toBe(0);
    const r = await runCli('explain', '-n', 'stars', '-f', CLUSTER, '--src', 'client', '--dst', 'server', '--port', 'http');
    expect(r.code).toBe(0);
    expect(r.out.join('\n').split('\n')[0]).toBe('stars/client (10.0.0.5) -> stars/server (10.0.0.2) TCP/8080: ALLOWED');
  });
});
