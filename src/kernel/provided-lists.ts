import { t, type TSchema } from 'elysia'
import type { Db } from '../db/client'
import type { Page, PageParams } from './pagination'

/** A list one plugin shows about its resource and another plugin, owning the items, fills. */
export interface ProvidedList {
  /** The item schema of the answered page (in /openapi.json). */
  model: TSchema
  /** The page of items linked to the owner's resource `key` (its uuid). */
  list: (db: Db, key: string, page: PageParams) => Promise<Page<unknown>>
}

const Unprovided = t.Object({}, { additionalProperties: true, description: 'Filled by the plugin owning these items' })

/**
 * Lists of a resource whose items belong to other plugins (a mount's nodes, a location's nodes, a
 * backup configuration's servers). The owning plugin calls `provide` in its `setup`; route factories
 * run after every `setup`, so `model(name)` is then the provider's schema. Until a list is provided
 * it is a true empty page, and its item schema an open object.
 * @example
 * // in the mounts plugin: setup() { return { lists: new ProvidedLists<'nodes' | 'servers'>('mounts') } }
 * // in the nodes plugin's setup:
 * ctx.api(mounts).lists.provide('nodes', { model: MountNode, list: (db, mountUuid, page) => listMountNodes(db, mountUuid, page) })
 * // in a mounts route: response: PageOf(lists.model('nodes')); handler: lists.list('nodes', ctx.db, mount.uuid, pageParams(query))
 */
export class ProvidedLists<Name extends string> {
  private readonly lists = new Map<Name, ProvidedList>()

  constructor(private readonly owner: string) {}

  provide(name: Name, list: ProvidedList): void {
    if (this.lists.has(name)) throw new Error(`${this.owner}: the ${name} list is already provided`)
    this.lists.set(name, list)
  }

  provided(name: Name): boolean {
    return this.lists.has(name)
  }

  model(name: Name, fallback: TSchema = Unprovided): TSchema {
    return this.lists.get(name)?.model ?? fallback
  }

  list(name: Name, db: Db, key: string, page: PageParams): Promise<Page<unknown>> {
    const provider = this.lists.get(name)
    return provider ? provider.list(db, key, page) : Promise.resolve({ total: 0, per_page: page.perPage, page: page.page, data: [] })
  }
}
