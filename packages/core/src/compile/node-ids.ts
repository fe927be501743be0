/**
 * Node ids in the image's entries: a pod's node and an address's node are compared by id
 * (the local-node exception), so both compilers number nodes the same way: 0 for none, then
 * 1, 2, ... in the order names are first asked for. Ids are never reused or removed.
 */
export class NodeIds {
  private readonly ids = new Map<string, number>();

  /** The id of a node name; 0 for no node (a pod not yet scheduled, an address of no node). */
  id(name: string | undefined): number {
    if (!name) return 0;
    let id = this.ids.get(name);
    if (id === undefined) this.ids.set(name, (id = this.ids.size + 1));
    return id;
  }
}
