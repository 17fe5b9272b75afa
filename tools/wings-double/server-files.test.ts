import { describe, expect, test } from 'bun:test'
import { useDouble } from './harness'

const kit = useDouble()
const { call, createServer } = kit

async function serverWith(files: Record<string, string>) {
  const uuid = await createServer()
  for (const [path, text] of Object.entries(files))
    await call('POST', `/api/servers/${uuid}/files/write?file=${encodeURIComponent(path)}`, undefined, { raw: text })
  return { uuid, base: `/api/servers/${uuid}/files` }
}

describe('files on disk', () => {
  test('compress makes a real tar.gz; decompress restores its files', async () => {
    const { uuid, base } = await serverWith({ 'server.properties': 'motd=hello', 'world/level.dat': 'L' })
    const made = await call('POST', `${base}/compress`, {
      format: 'tar_gz',
      name: 'a.tar.gz',
      root: '',
      files: ['server.properties', 'world'],
      foreground: true,
    })
    expect(made.status).toBe(200)
    expect(made.json).toMatchObject({ name: 'a.tar.gz', file: true })
    const bytes = kit.wings.servers.get(uuid)!.files.get('a.tar.gz')!.data
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b])
    const inside = await new Bun.Archive(bytes).files()
    expect([...inside.keys()].sort()).toEqual(['server.properties', 'world/level.dat'])
    await call('POST', `${base}/delete`, { root: '', files: ['server.properties', 'world'] })
    expect((await call('POST', `${base}/decompress`, { root: '', file: 'a.tar.gz', foreground: true })).status).toBe(200)
    const back = await call('GET', `${base}/contents?file=server.properties`)
    expect(back.text).toBe('motd=hello')
    expect((await call('POST', `${base}/decompress`, { root: '', file: 'server.properties' })).status).toBe(417)
  })

  test('a background copy-many is 202 with an identifier the operations route cancels once', async () => {
    const { base } = await serverWith({ 'a.txt': 'a' })
    const started = await call('POST', `${base}/copy-many`, { root: '', files: [{ from: 'a.txt', to: 'b.txt' }], foreground: false })
    expect(started.status).toBe(202)
    expect((await call('DELETE', `${base}/operations/${started.json.identifier}`)).status).toBe(200)
    expect((await call('DELETE', `${base}/operations/${started.json.identifier}`)).status).toBe(404)
    const now = await call('POST', `${base}/copy-many`, { root: '', files: [{ from: 'a.txt', to: 'c.txt' }], foreground: true })
    expect(now.json).toEqual({ copied: 1, skipped: [] })
  })

  test('symlinks out of the root are never followed; list sorts; search and largest directories', async () => {
    const { base } = await serverWith({ 'big/x.bin': 'x'.repeat(100), 'small/y.txt': 'needle', 'z.txt': 'zz' })
    expect((await call('POST', `${base}/create-symlink`, { root: '', link: 'out', target: '../../../../etc/hostname' })).status).toBe(200)
    expect((await call('GET', `${base}/contents?file=out`)).status).toBe(404)
    expect((await call('POST', `${base}/write?file=out`, undefined, { raw: 'x' })).status).toBe(404)
    const listed = await call('GET', `${base}/list?directory=&sort=size_desc`)
    expect(listed.json.entries.map((e: any) => e.name)).toEqual(['big', 'small', 'z.txt', 'out'])
    const found = await call('POST', `${base}/search`, {
      root: '',
      content_filter: { query: 'needle', max_search_size: 1000, include_unmatched: false, case_insensitive: false },
    })
    expect(found.json.results.map((e: any) => e.name)).toEqual(['small/y.txt'])
    const excluded = await call('POST', `${base}/search`, {
      root: '',
      path_filter: { include: ['*.txt'], exclude: ['small'], case_insensitive: false },
    })
    expect(excluded.json.results.map((e: any) => e.name)).toEqual(['z.txt'])
    const largest = await call('GET', `${base}/largest-directories?directory=&ignored=small`)
    expect(largest.json.map((e: any) => e.name)).toEqual(['big'])
    expect((await call('PUT', `${base}/rename`, { root: '', files: [{ from: 'z.txt', to: 'big/z.txt' }] })).json).toEqual({ renamed: 1 })
    expect((await call('POST', `${base}/chmod`, { root: '', files: [{ file: 'big', mode: '700', recursive: true }] })).json).toEqual({
      updated: 1,
    })
    expect((await call('GET', `${base}/list?directory=big`)).json.entries[0].mode_bits).toBe('700')
  })
})
