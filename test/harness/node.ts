/** The lab's virtual node (demo/node.ts); a tap Test is its scope: powered off, its files removed, when the test ends. */
export { type NodeOptions, type VirtualNode, virtualNode } from '../../demo/node.ts'
