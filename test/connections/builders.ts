/** Small model builders for the endpoint and connection tests (clusters written as data, no YAML). */
import type { Cluster, ContainerPort, Labels, NetworkPolicy, Pod, Rule, Selector, Workload, WorkloadKind } from '@netpol/core';
import { ip } from '../helpers.js';

export const sel = (matchLabels: Labels = {}): Selector => ({ matchLabels, matchExpressions: [] });

export const ns = (name: string, labels: Labels = {}) => ({ name, labels: { ...labels, 'kubernetes.io/metadata.name': name } });

export const tcp = (port: number, name?: string): ContainerPort => ({ port, protocol: 'TCP', init: false, ...(name !== undefined && { name }) });

export function workload(kind: WorkloadKind, namespace: string, name: string, labels: Labels, extra: Partial<Workload> = {}): Workload {
  return { kind, namespace, name, labels, ports: [], hostNetwork: false, ...extra };
}

export function pod(namespace: string, name: string, labels: Labels, ips: string[] = [], extra: Partial<Pod> = {}): Pod {
  return { namespace, name, labels, ips: ips.map(ip), hostNetwork: false, phase: 'Running', ports: [], ...extra };
}

export function policy(namespace: string, name: string, podSelector: Selector, rules: { ingress?: Rule[]; egress?: Rule[] }): NetworkPolicy {
  return {
    namespace,
    name,
    podSelector,
    affects: { ingress: rules.ingress !== undefined, egress: rules.egress !== undefined },
    ingress: rules.ingress ?? [],
    egress: rules.egress ?? [],
  };
}

export const cluster = (c: Partial<Cluster>): Cluster => ({ namespaces: [], pods: [], nodes: [], policies: [], ...c });
