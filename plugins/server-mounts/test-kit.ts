/** Test support for server mounts (test files only): mounts linked to a node and an egg through the admin API. */
import { expect } from 'bun:test'
import type { AdminCaller, TestApp } from 'hatchery/testing'

export interface Links {
  node?: string
  egg?: { uuid: string; nest: string }
}

/** A mount made through the admin API, linked to `links.node` and `links.egg` when given; its uuid. */
export async function makeMount(t: TestApp, admin: AdminCaller, links: Links, userMountable = true, readOnly = false): Promise<string> {
  const name = `m${Math.random().toString(36).slice(2, 10)}`
  const created = await t.request('POST', '/api/admin/mounts', {
    cookie: admin.cookie,
    body: { name, source: `/srv/${name}`, target: `/mnt/${name}`, read_only: readOnly, user_mountable: userMountable },
  })
  expect(created.status).toBe(200)
  const uuid = created.body.mount.uuid as string
  const body = { mount_uuid: uuid }
  if (links.node)
    expect((await t.request('POST', `/api/admin/nodes/${links.node}/mounts`, { cookie: admin.cookie, body })).status).toBe(200)
  if (links.egg) {
    const path = `/api/admin/nests/${links.egg.nest}/eggs/${links.egg.uuid}/mounts`
    expect((await t.request('POST', path, { cookie: admin.cookie, body })).status).toBe(200)
  }
  return uuid
}

/** Waits until `check` holds (background syncs), failing after `ms`. */
export async function eventually(check: () => boolean, ms = 3_000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await Bun.sleep(20)
  }
}
