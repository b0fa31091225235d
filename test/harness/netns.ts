/** The lab's network namespaces and veth links (demo/netns.ts); a tap Test is their scope. */
export { inNetns, mac, netns, veth } from '../../demo/netns.ts'
