/**
 * The lab's fencing in a CIB: one stonith:fence_ipmilan device per node, aimed at that node's BMC
 * (demo/bmc.ts: IPMI over LAN, cipher suite 3 as ipmi_sim needs) and kept off the node it fences, and
 * stonith-enabled. Added to whatever CIB a test or `halo convert` made, read and written with xml2js.
 */
import { Builder, parseStringPromise } from 'xml2js'
import type { Bmc } from './bmc.ts'

type Attrs = Record<string, string>
interface El {
  $?: Attrs
  [child: string]: El[] | Attrs | undefined
}

const nvpairs = (prefix: string, values: Attrs): El[] => Object.entries(values).map(([name, value]) => ({ $: { id: `${prefix}-${name}`, name, value } }))

/** Returns `cib` (a whole <cib> document) with a fence device for each of `nodes` and stonith enabled. */
export async function withLabFencing(cib: string, nodes: readonly { name: string; bmc: Bmc }[]): Promise<string> {
  const doc = (await parseStringPromise(cib)) as { cib?: El }
  const configuration = (doc.cib?.configuration as El[] | undefined)?.[0]
  if (!configuration) throw new Error('the CIB has no <configuration>')
  const section = (name: string): El => {
    const found = configuration[name] as El[] | string[] | undefined
    // xml2js reads an empty element as '': make it an element to add to
    if (!found || typeof found[0] !== 'object') configuration[name] = [{}]
    return (configuration[name] as El[])[0]
  }
  const crmConfig = section('crm_config')
  const sets = ((crmConfig.cluster_property_set as El[] | undefined) ??= [{ $: { id: 'cib-bootstrap-options' } } as El])
  const options = sets[0]
  const pairs = ((options.nvpair as El[] | undefined) ??= [])
  const stonith = pairs.find((p) => p.$?.name === 'stonith-enabled')
  if (stonith) stonith.$!.value = 'true'
  else pairs.push({ $: { id: `${options.$?.id ?? 'cib-bootstrap-options'}-stonith-enabled`, name: 'stonith-enabled', value: 'true' } })

  const resources = section('resources')
  const constraints = section('constraints')
  const primitives = ((resources.primitive as El[] | undefined) ??= [])
  const locations = ((constraints.rsc_location as El[] | undefined) ??= [])
  for (const { name, bmc } of nodes) {
    const id = `fence-${name}`
    const params = { ip: bmc.address, username: bmc.user, password: bmc.password, lanplus: '1', cipher: '3', pcmk_host_list: name }
    primitives.push({
      $: { id, class: 'stonith', type: 'fence_ipmilan' },
      instance_attributes: [{ $: { id: `${id}-params` }, nvpair: nvpairs(`${id}-params`, params) }],
      operations: [{ op: [{ $: { id: `${id}-monitor`, name: 'monitor', interval: '60s', timeout: '20s' } }] }],
    })
    locations.push({ $: { id: `${id}-not-on-${name}`, rsc: id, node: name, score: '-INFINITY' } })
  }
  return new Builder({ headless: true }).buildObject(doc)
}
