// Container ports as the API server checks them: a port name appears once per container
// (Duplicate value; the same name in two containers is allowed), a containerPort of the wrong
// type is one error (not also Required), and a message without detail ends at its type or value,
// as Go's field.Error prints it (no trailing ': ').
import { expect, test } from 'vitest';
import { Problems } from '../../packages/core/src/load/fields.js';
import { fastModel } from '../../packages/core/src/load/fast-path.js';
import { fieldMessage } from '../../packages/core/src/load/issues.js';
import { issuesOf } from '../helpers.js';

const errors = (yaml: string): string[] =>
  issuesOf(yaml)
    .filter((i) => i.severity === 'error')
    .map((i) => i.message);

const pod = (containers: string) => `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec: {containers: ${containers}}
status: {phase: Running, podIP: 10.0.0.1}
`;

test('a port name twice in one container is a Duplicate value, for Pods and workload templates', () => {
  expect(errors(pod('[{name: c, image: i, ports: [{name: http, containerPort: 80}, {name: http, containerPort: 81}]}]'))).toEqual([
    'spec.containers[0].ports[1].name: Duplicate value: "http"',
  ]);
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: i}]
      initContainers: [{name: i, image: i, ports: [{name: x, containerPort: 1}, {name: z, containerPort: 2}, {name: x, containerPort: 3}]}]
`;
  expect(errors(deployment)).toEqual(['spec.template.spec.initContainers[0].ports[2].name: Duplicate value: "x"']);
});

test('the same name in two containers, or unnamed ports, are fine', () => {
  const two =
    '[{name: a, image: i, ports: [{name: http, containerPort: 80}, {containerPort: 81}, {containerPort: 82}]}, {name: b, image: i, ports: [{name: http, containerPort: 8080}]}]';
  expect(errors(pod(two))).toEqual([]);
});

test('a containerPort of the wrong type is one error; an absent one is Required, without a trailing colon', () => {
  expect(errors(pod('[{name: c, image: i, ports: [{containerPort: "80"}]}]'))).toEqual([
    'spec.containers[0].ports[0].containerPort: Invalid value: "80": must be an integer, not string',
  ]);
  expect(errors(pod('[{name: c, image: i, ports: [{name: http}]}]'))).toEqual(['spec.containers[0].ports[0].containerPort: Required value']);
});

test('fieldMessage: an empty detail adds nothing after the type or the value', () => {
  const pr = new Problems();
  pr.required('field-required', undefined, ['spec', 'selector'], '');
  pr.add({ severity: 'error', code: 'duplicate-entry', path: ['ports', 1, 'name'], type: 'Duplicate value', detail: '', value: 'http' });
  pr.required('field-required', undefined, ['spec'], 'needed');
  expect(pr.list.map(fieldMessage)).toEqual(['spec.selector: Required value', 'ports[1].name: Duplicate value: "http"', 'spec: Required value: needed']);
});

test('the live lean path leaves a pod with a duplicate port name to loading (which refuses it), and takes the same name in two containers', () => {
  const parse = (containers: unknown[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'shop' },
    spec: { containers },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  });
  const options = { defaultNamespace: 'default', maxInputBytes: 1 << 20 };
  const twice = parse([
    {
      name: 'c',
      ports: [
        { name: 'http', containerPort: 80 },
        { name: 'http', containerPort: 81 },
      ],
    },
  ]);
  expect(fastModel(twice, options)).toBeUndefined();
  const apart = parse([
    { name: 'a', ports: [{ name: 'http', containerPort: 80 }, { containerPort: 81 }, { containerPort: 82 }] },
    { name: 'b', ports: [{ name: 'http', containerPort: 8080 }] },
  ]);
  expect(fastModel(apart, options)?.kind).toBe('Pod');
});
