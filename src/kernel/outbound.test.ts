import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fetchOutbound, isPrivateAddress, OutboundError, type Resolver } from './outbound'

const PUBLIC = '93.184.216.34'

/** A transport that records where it was asked to connect and answers 200 `ok`. */
function recorder(answer: (url: URL, init: RequestInit) => Response = () => new Response('ok')) {
  const calls: { url: URL; host: string | null; serverName: unknown; init: RequestInit }[] = []
  const transport = (async (url: URL, init: RequestInit) => {
    calls.push({ url: new URL(url), host: new Headers(init.headers).get('host'), serverName: (init as any).tls?.serverName, init })
    return answer(new URL(url), init)
  }) as unknown as typeof fetch
  return { calls, transport }
}

const resolveTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses

async function refusal(p: Promise<unknown>): Promise<OutboundError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(OutboundError)
    return e as OutboundError
  }
  throw new Error('expected a refusal')
}

describe('isPrivateAddress', () => {
  const refused = [
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1', // private
    '127.0.0.1',
    '127.8.8.8',
    '::1', // loopback
    '169.254.169.254',
    '169.254.0.1',
    'fe80::1',
    'fe80::1%eth0', // link-local, cloud metadata
    '100.64.0.1',
    '100.100.100.200', // CGNAT (Alibaba metadata)
    '224.0.0.1',
    '239.255.255.250',
    'ff02::1', // multicast
    '0.0.0.0',
    '::', // unspecified
    'fd00:ec2::254',
    'fc00::1', // unique local (AWS IMDS over IPv6)
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1', // v4-mapped
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::1', // NAT64 / 6to4 embedding inside addresses
    '240.0.0.1',
    '255.255.255.255',
    'not-an-ip',
  ]
  for (const ip of refused) test(`refuses ${ip}`, () => expect(isPrivateAddress(ip)).toBe(true))
  for (const ip of [PUBLIC, '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '172.32.0.1', '100.128.0.1']) {
    test(`allows ${ip}`, () => expect(isPrivateAddress(ip)).toBe(false))
  }
})

describe('fetchOutbound refusals', () => {
  test('plain http is refused by default', async () => {
    const { calls, transport } = recorder()
    expect((await refusal(fetchOutbound('http://example.com/', {}, { resolve: resolveTo(PUBLIC), fetch: transport }))).reason).toBe(
      'scheme',
    )
    expect(calls).toHaveLength(0)
  })

  test('other schemes are refused even when private addresses are allowed', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/', 'gopher://example.com/']) {
      expect((await refusal(fetchOutbound(url, {}, { allowPrivate: true }))).reason).toBe('scheme')
    }
  })

  test('URLs with credentials are refused', async () => {
    expect((await refusal(fetchOutbound('https://u:p@example.com/', {}, { resolve: resolveTo(PUBLIC) }))).reason).toBe('url')
  })

  for (const [name, ip] of [
    ['loopback', '127.0.0.1'],
    ['private', '10.0.0.5'],
    ['link-local metadata', '169.254.169.254'],
    ['CGNAT', '100.64.1.1'],
    ['multicast', '224.0.0.251'],
    ['unspecified', '0.0.0.0'],
    ['IPv6 loopback', '::1'],
    ['v4-mapped IPv6', '::ffff:127.0.0.1'],
    ['IPv6 unique local', 'fd00::1'],
  ] as const) {
    test(`a name resolving to a ${name} address (${ip}) is refused before any connection`, async () => {
      const { calls, transport } = recorder()
      const e = await refusal(fetchOutbound('https://inside.example/', {}, { resolve: resolveTo(ip), fetch: transport }))
      expect(e.reason).toBe('address')
      expect(calls).toHaveLength(0)
    })
  }

  test('IP literals are judged without DNS', async () => {
    const { calls, transport } = recorder()
    for (const url of [
      'https://127.0.0.1/',
      'https://[::1]/',
      'https://[::ffff:169.254.169.254]/',
      'https://169.254.169.254/latest/meta-data/',
      'https://0x7f000001/',
      'https://2130706433/',
    ]) {
      expect((await refusal(fetchOutbound(url, {}, { fetch: transport }))).reason).toBe('address')
    }
    expect(calls).toHaveLength(0)
  })

  test('a name with one public and one private answer is refused as a whole', async () => {
    const { calls, transport } = recorder()
    expect(
      (await refusal(fetchOutbound('https://mixed.example/', {}, { resolve: resolveTo(PUBLIC, '10.0.0.1'), fetch: transport }))).reason,
    ).toBe('address')
    expect(calls).toHaveLength(0)
  })

  test('an unresolvable name is a dns refusal', async () => {
    const failing: Resolver = async () => {
      throw new Error('ENOTFOUND')
    }
    expect((await refusal(fetchOutbound('https://nowhere.example/', {}, { resolve: failing }))).reason).toBe('dns')
  })
})

describe('fetchOutbound connects to the address it checked', () => {
  test('rebinding: a resolver answering public then private never gets the connection moved inside', async () => {
    let asked = 0
    const rebinding: Resolver = async () => (asked++ === 0 ? [PUBLIC] : ['127.0.0.1'])
    const { calls, transport } = recorder()
    const res = await fetchOutbound('https://rebind.example/path?q=1', {}, { resolve: rebinding, fetch: transport })
    expect(await res.text()).toBe('ok')
    expect(asked).toBe(1)
    expect(calls).toHaveLength(1)
    expect(calls[0].url.hostname).toBe(PUBLIC)
    expect(calls[0].url.pathname + calls[0].url.search).toBe('/path?q=1')
    expect(calls[0].host).toBe('rebind.example')
    expect(calls[0].serverName).toBe('rebind.example')
    expect(calls[0].init.redirect).toBe('manual')
  })

  test('rebinding across a redirect: the next hop is resolved and checked again', async () => {
    let asked = 0
    const rebinding: Resolver = async () => (asked++ === 0 ? [PUBLIC] : ['127.0.0.1'])
    const { calls, transport } = recorder(() => new Response(null, { status: 302, headers: { location: 'https://rebind.example/again' } }))
    expect((await refusal(fetchOutbound('https://rebind.example/', {}, { resolve: rebinding, fetch: transport }))).reason).toBe('address')
    expect(calls.map((c) => c.url.hostname)).toEqual([PUBLIC])
  })

  test('a redirect to a private address is refused', async () => {
    const { calls, transport } = recorder(
      () => new Response(null, { status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }),
    )
    const e = await refusal(fetchOutbound('https://example.com/', {}, { resolve: resolveTo(PUBLIC), fetch: transport }))
    expect(e.reason).toBe('scheme')
    expect(calls).toHaveLength(1)
    const { transport: t2 } = recorder(() => new Response(null, { status: 301, headers: { location: 'https://[::1]/' } }))
    expect((await refusal(fetchOutbound('https://example.com/', {}, { resolve: resolveTo(PUBLIC), fetch: t2 }))).reason).toBe('address')
  })

  test('redirects are bounded', async () => {
    const { calls, transport } = recorder((url) => new Response(null, { status: 302, headers: { location: `/n${url.pathname.length}` } }))
    expect(
      (await refusal(fetchOutbound('https://example.com/', {}, { resolve: resolveTo(PUBLIC), fetch: transport, maxRedirects: 3 }))).reason,
    ).toBe('redirect')
    expect(calls).toHaveLength(4)
  })

  test('Authorization does not follow a redirect to another origin; 303 turns a POST into a GET', async () => {
    const { calls, transport } = recorder((url) =>
      url.pathname === '/start'
        ? new Response(null, { status: 303, headers: { location: 'https://other.example/next' } })
        : new Response('done'),
    )
    const res = await fetchOutbound(
      'https://example.com/start',
      { method: 'POST', body: 'x=1', headers: { authorization: 'Bearer secret' } },
      { resolve: resolveTo(PUBLIC), fetch: transport },
    )
    expect(await res.text()).toBe('done')
    expect(res.url).toBe('https://other.example/next')
    expect(new Headers(calls[0].init.headers).get('authorization')).toBe('Bearer secret')
    expect(new Headers(calls[1].init.headers).get('authorization')).toBeNull()
    expect(calls[1].init.method).toBe('GET')
    expect(calls[1].init.body).toBeUndefined()
    expect(calls[1].host).toBe('other.example')
  })
})

describe('fetchOutbound limits (a real server on loopback, private addresses allowed)', () => {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname
      if (path === '/big') return new Response('x'.repeat(4096))
      if (path === '/stream') {
        return new Response(new ReadableStream({ pull: async (c) => c.enqueue(new Uint8Array(1024)) }))
      }
      if (path === '/slow') return new Promise<Response>((r) => setTimeout(() => r(new Response('late')), 3000))
      if (path === '/hop') return new Response(null, { status: 302, headers: { location: '/host' } })
      return new Response(`host=${req.headers.get('host')}`)
    },
  })
  afterAll(() => server.stop(true))
  const base = `http://localhost:${server.port}`

  test('loopback and http are refused without the setting', async () => {
    expect((await refusal(fetchOutbound(`${base}/host`))).reason).toBe('scheme')
  })

  test('with the setting: redirects followed by hand, Host kept as the URL says', async () => {
    const res = await fetchOutbound(`${base}/hop`, {}, { allowPrivate: true })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(`host=localhost:${server.port}`)
  })

  test('a body larger than maxBytes is refused (declared or streamed)', async () => {
    expect((await refusal(fetchOutbound(`${base}/big`, {}, { allowPrivate: true, maxBytes: 1000 }))).reason).toBe('size')
    expect((await refusal(fetchOutbound(`${base}/stream`, {}, { allowPrivate: true, maxBytes: 10_000 }))).reason).toBe('size')
  })

  test('the whole exchange is bounded in time', async () => {
    const started = Date.now()
    expect((await refusal(fetchOutbound(`${base}/slow`, {}, { allowPrivate: true, timeoutMs: 300 }))).reason).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

/** A throwaway self-signed certificate for example.test, made with openssl when it is installed (no key is committed). */
function testCertificate(): { cert: string; key: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'outbound-tls-'))
  try {
    const made = Bun.spawnSync(
      [
        'openssl',
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=example.test',
        '-addext',
        'subjectAltName=DNS:example.test',
      ],
      { stderr: 'ignore', stdout: 'ignore' },
    )
    if (made.exitCode !== 0) return null
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }
  } catch {
    return null
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const tls = testCertificate()
describe.skipIf(!tls)('fetchOutbound over TLS to a pinned address (skipped without openssl)', () => {
  const { cert, key } = tls ?? { cert: '', key: '' }
  const server = tls
    ? Bun.serve({ port: 0, hostname: '127.0.0.1', tls: { cert, key }, fetch: (req) => new Response(`host=${req.headers.get('host')}`) })
    : null
  afterAll(() => server?.stop(true))

  test('connects to the checked address while verifying the certificate against the URL name', async () => {
    const res = await fetchOutbound(
      `https://example.test:${server!.port}/`,
      {},
      { allowPrivate: true, resolve: resolveTo('127.0.0.1'), tls: { ca: cert } },
    )
    expect(await res.text()).toBe(`host=example.test:${server!.port}`)
  })

  test('a certificate for another name is refused', async () => {
    const e = await refusal(
      fetchOutbound(`https://other.test:${server!.port}/`, {}, { allowPrivate: true, resolve: resolveTo('127.0.0.1'), tls: { ca: cert } }),
    )
    expect(e.reason).toBe('network')
  })
})
