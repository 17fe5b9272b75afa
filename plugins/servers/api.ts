import type { Secrets } from 'hatchery'
import type { NodeRow } from '../nodes'
import { WingsClient } from './wings/client'
import type { WingsOptions } from './wings/transport'

/**
 * What other plugins get from `ctx.api(servers)`: the Wings client of a node. `wingsOptions` are
 * the deadlines every client starts with (spec 04 §1.4: 5 s to connect, 15 s in all); tests
 * shorten them.
 * @example const overview = await ctx.api(servers).wings(node).systemOverview(2_000)
 */
export class ServersApi {
  wingsOptions: WingsOptions = {}

  constructor(private readonly secrets: Secrets) {}

  wings(node: NodeRow): WingsClient {
    return WingsClient.of(this.secrets, node, this.wingsOptions)
  }
}
