// Where a VM's pages go (DESIGN.md: the monitor keeps memory near the CPUs that use it). A
// VM's placement policy names the node whose memory backs a guest page when it is first
// touched:
//
//   first-touch   the node of the vCPU (or the I/O node, for the loader and DMA) that touches it
//   round-robin   the nodes in turn, page by page
//   node:N        always node N
//
// The flat board has one node, node 0, so every policy places every page there; the policy is
// checked against the machine's nodes and reported with the VM's statistics.

export type Placement =
  | { readonly policy: 'first-touch' }
  | { readonly policy: 'round-robin' }
  | { readonly policy: 'node'; readonly node: number };

export const PLACEMENTS = ['first-touch', 'round-robin', 'node:N'] as const;

export function placementName(p: Placement): string {
  return p.policy === 'node' ? `node:${p.node}` : p.policy;
}

/** The policy `text` names on a machine of `nodes` nodes, or a sentence saying what is wrong. */
export function parsePlacement(text: string, nodes: number): Placement | string {
  if (text === 'first-touch' || text === 'round-robin') return { policy: text };
  const m = /^node:(\d+)$/.exec(text);
  if (m === null) return `'${text}' is no placement policy; give first-touch, round-robin or node:N`;
  const node = Number(m[1]);
  if (node >= nodes) return `node:${node} names a node this machine does not have (it has ${nodes === 1 ? 'one node, node:0' : `nodes 0 to ${nodes - 1}`})`;
  return { policy: 'node', node };
}
