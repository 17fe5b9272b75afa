import { describe, expect, test } from 'bun:test'
import { useDouble } from './harness'

const kit = useDouble()
const { call, createServer } = kit

describe('files', () => {
  test('write, list and contents', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    expect(await call('POST', `${base}/write?file=/plugins/readme.txt`, undefined, { raw: 'hello' })).toMatchObject({
      status: 200,
      json: { revision_id: null },
    })
    await call('POST', `${base}/write?file=server.properties`, undefined, { raw: 'motd=x' })
    const listed = await call('GET', `${base}/list?directory=/`)
    expect(listed.json).toMatchObject({ total: 2, filesystem_primary: true, filesystem_writable: true, filesystem_fast: true })
    expect(listed.json.entries.map((e: any) => [e.name, e.directory])).toEqual([
      ['plugins', true],
      ['server.properties', false],
    ])
    expect(Object.keys(listed.json.entries[1]).sort()).toEqual(
      [
        'name',
        'mode',
        'mode_bits',
        'size',
        'size_physical',
        'editable',
        'inner_editable',
        'directory',
        'file',
        'symlink',
        'virtual',
        'mime',
        'created',
        'modified',
      ].sort(),
    )
    expect(listed.json.entries[0]).toMatchObject({ mode: 'drwxr-xr-x', mime: 'inode/directory', size: 5 })
    const paged = await call('GET', `${base}/list?directory=&per_page=1&page=2`)
    expect(paged.json.total).toBe(2)
    expect(paged.json.entries.map((e: any) => e.name)).toEqual(['server.properties'])
    const contents = await call('GET', `${base}/contents?file=plugins/readme.txt`)
    expect(contents).toMatchObject({ status: 200, text: 'hello' })
    expect(contents.headers.get('content-length')).toBe('5')
    const download = await call('GET', `${base}/contents?file=plugins/readme.txt&download=true`)
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="readme.txt"')
  })

  test('404, 413 and 417 as Wings answers them', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    await call('POST', `${base}/write?file=dir/file.txt`, undefined, { raw: '0123456789' })
    expect(await call('GET', `${base}/list?directory=missing`)).toMatchObject({ status: 404, json: { error: 'path not found' } })
    expect(await call('GET', `${base}/list?directory=dir/file.txt`)).toMatchObject({ status: 417, json: { error: 'path not a directory' } })
    expect((await call('GET', `${base}/list`)).status).toBe(400)
    expect(await call('GET', `${base}/contents?file=nope.txt`)).toMatchObject({ status: 404, json: { error: 'file not found' } })
    expect(await call('GET', `${base}/contents?file=dir`)).toMatchObject({ status: 404 })
    expect(await call('GET', `${base}/contents?file=dir/file.txt&max_size=9`)).toMatchObject({ status: 413 })
    expect((await call('GET', `${base}/contents?file=dir/file.txt&max_size=-1`)).status).toBe(400)
    expect(await call('POST', `${base}/write?file=dir`, undefined, { raw: 'x' })).toMatchObject({
      status: 417,
      json: { error: 'file is not a file' },
    })
    // disk_space is 1 MiB in the fake panel's document.
    expect(await call('POST', `${base}/write?file=big.bin`, undefined, { raw: new Uint8Array(1024 * 1024 + 1) })).toMatchObject({
      status: 417,
    })
  })

  test('create-directory, rename and delete', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    expect((await call('POST', `${base}/create-directory`, { root: '/', name: 'world' })).status).toBe(200)
    await call('POST', `${base}/write?file=world/level.dat`, undefined, { raw: 'x' })
    expect(await call('PUT', `${base}/rename`, { root: '/', files: [{ from: 'world', to: 'world2' }] })).toMatchObject({
      json: { renamed: 1 },
    })
    expect(kit.wings.servers.get(uuid)?.files.get('world2/level.dat')).toBeDefined()
    expect(await call('POST', `${base}/delete`, { root: '/', files: ['world2', 'ghost'] })).toMatchObject({ json: { deleted: 1 } })
    expect((await call('POST', `${base}/create-directory`, { path: '/', name: 'x' })).status).toBe(400)
  })

  test('copy, chmod and fingerprints', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    await call('POST', `${base}/write?file=cfg/a.yml`, undefined, { raw: 'abc' })
    expect((await call('POST', `${base}/copy`, { path: 'cfg/a.yml', name: null, overwrite: false, foreground: true })).json).toMatchObject({
      name: 'a copy.yml',
      size: 3,
      mime: 'application/yaml',
    })
    expect((await call('POST', `${base}/copy`, { path: 'cfg/a.yml', name: 'a copy.yml', overwrite: false })).status).toBe(409)
    expect((await call('POST', `${base}/copy`, { path: 'cfg/none.yml' })).status).toBe(404)
    expect((await call('POST', `${base}/chmod`, { root: 'cfg', files: [{ file: 'a.yml', mode: '600', recursive: false }] })).json).toEqual({
      updated: 1,
    })
    expect((await call('POST', `${base}/chmod`, { root: 'cfg', files: [{ file: 'a.yml', mode: 'rwx' }] })).status).toBe(400)
    const sums = await call('GET', `${base}/fingerprints?algorithm=sha1&files=cfg/a.yml&files=ghost`)
    expect(sums.json).toEqual({ fingerprints: { 'cfg/a.yml': 'a9993e364706816aba3e25717850c26c9cd0d89d' } })
    expect((await call('GET', `${base}/fingerprints?algorithm=sha3&files=cfg/a.yml`)).status).toBe(400)
  })
})
