// A flow end that names nothing gets an error that says what would work: `ns/name` of a workload
// (manifests have no pod of that name) points at its endpoint `ns/name[Kind]`; a malformed
// `svc:` reference says the form `svc:namespace/name:port` instead of "no pod svc:...".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { CompiledDataplane, loadText, parseFlowRecord, ServiceIndex } from '../../packages/core/src/index.js';

const shop = join(import.meta.dirname, '../fixtures/services/shop.yaml');
const c = loadText(readFileSync(shop, 'utf8'), { file: shop }).cluster!;
const dp = new CompiledDataplane(c);
const services = new ServiceIndex(c);
const error = (rec: object): string | undefined => {
  const r = parseFlowRecord(rec, dp.index, services);
  return r.ok ? undefined : r.error;
};

test('namespace/name of a workload without pods: the error names the endpoint to write', () => {
  expect(error({ src: 'shop/client', dst: 'svc:shop/web:80' })).toBe(
    '"src": no pod shop/client in the input, but an endpoint shop/client[Deployment]: name it so',
  );
  expect(error({ src: 'shop/client[Deployment]', dst: 'shop/web-v1', port: 8080 })).toBe(
    '"dst": no pod shop/web-v1 in the input, but an endpoint shop/web-v1[Deployment]: name it so',
  );
  // nothing of that name at all: the plain message
  expect(error({ src: 'shop/nobody', dst: 'svc:shop/web:80' })).toBe('"src": no pod shop/nobody in the input');
  // and the endpoint name works
  expect(error({ src: 'shop/client[Deployment]', dst: 'shop/web-v1[Deployment]', port: 8080 })).toBeUndefined();
});

test('a malformed svc: reference says the form, for each way it can be wrong', () => {
  for (const dst of ['svc:web:80', 'svc:/:', 'svc:shop/web:80:81', 'svc:']) {
    expect(error({ src: 'shop/client[Deployment]', dst })).toBe(
      `"dst": ${JSON.stringify(dst)} is no Service reference: write svc:namespace/name:port (the port by number or name)`,
    );
  }
});
