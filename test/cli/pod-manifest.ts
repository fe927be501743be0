// One Pod as a YAML document, for the CLI tests that build small clusters in a scratch file.

/**
 * A `---`-led Pod document labelled `app: <name>`, with one container `c`; `extra` is YAML
 * appended to that container's list item (its `ports:`, more containers), `phase` its status phase.
 */
export const podManifest = (ns: string, name: string, ip: string, extra = '', phase = 'Running'): string => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  containers:
  - name: c
    image: i
${extra}status: {phase: ${phase}, podIP: ${ip}, podIPs: [{ip: ${ip}}]}
`;
