/** DRBD resource names as drbd.conf takes them; never one an option parser could read as an option. */
export const isDrbdResourceName = (name: string): boolean => /^[\w.:+-]+$/.test(name) && !name.startsWith('-')
