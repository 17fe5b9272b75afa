import { describe, expect, test } from 'bun:test'
import { canonicalIp, cidrContains, parseCidr, resolveClientIp, type Cidr } from './net'

const cidrs = (...texts: string[]): Cidr[] => texts.map((t) => parseCidr(t)!)
const headers = (h: Record<string, string>) => new Headers(h)

describe('parseCidr', () => {
  test.each([
    ['10.0.0.0/8', 4, 8, '10.0.0.0/8'],
    ['192.168.1.77/24', 4, 24, '192.168.1.0/24'],
    ['0.0.0.0/0', 4, 0, '0.0.0.0/0'],
    ['203.0.113.7', 4, 32, '203.0.113.7/32'],
    ['203.0.113.7/32', 4, 32, '203.0.113.7/32'],
    ['::1', 6, 128, '::1/128'],
    ['2001:DB8:0:0:0:0:0:1/64', 6, 64, '2001:db8::/64'],
    ['2001:db8::/32', 6, 32, '2001:db8::/32'],
    ['fe80::1%eth0/10', 6, 10, 'fe80::/10'],
    ['::/0', 6, 0, '::/0'],
    [' 10.1.2.3 / 16 ', 4, 16, '10.1.0.0/16'],
  ] as const)('%p → %p/%p as %p', (text, family, prefix, canonical) => {
    const c = parseCidr(text)
    expect(c).not.toBeNull()
    expect(c!.family).toBe(family)
    expect(c!.prefix).toBe(prefix)
    expect(c!.text).toBe(canonical)
  })

  test('the host bits below the prefix are cleared', () => {
    expect(parseCidr('10.255.255.255/8')!.bits).toBe(parseCidr('10.0.0.0/8')!.bits)
  })

  test('an IPv4-mapped network is an IPv4 network', () => {
    expect(parseCidr('::ffff:10.0.0.0/104')!.text).toBe('10.0.0.0/8')
    expect(parseCidr('::ffff:0a00:0001')!.text).toBe('10.0.0.1/32')
    expect(parseCidr('::ffff:0:0/96')!.text).toBe('0.0.0.0/0')
  })

  test.each([
    '',
    'localhost',
    '10.0.0',
    '10.0.0.256',
    '01.2.3.4',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.0/a',
    '::1/129',
    '1::2::3',
    '2001:db8::g',
    '1:2:3:4:5:6:7:8:9',
  ])('%p is refused', (text) => {
    expect(parseCidr(text)).toBeNull()
  })
})

describe('cidrContains', () => {
  test('an IPv4 network holds its addresses and nothing next to it', () => {
    const net = parseCidr('10.0.0.0/8')!
    expect(cidrContains(net, '10.0.0.0')).toBe(true)
    expect(cidrContains(net, '10.255.255.255')).toBe(true)
    expect(cidrContains(net, '11.0.0.0')).toBe(false)
    expect(cidrContains(net, '9.255.255.255')).toBe(false)
  })

  test('a host prefix holds exactly one address', () => {
    const host = parseCidr('203.0.113.7')!
    expect(cidrContains(host, '203.0.113.7')).toBe(true)
    expect(cidrContains(host, '203.0.113.8')).toBe(false)
  })

  test('an IPv6 network compares every spelling of an address', () => {
    const net = parseCidr('2001:db8::/32')!
    expect(cidrContains(net, '2001:0db8:0000::0001')).toBe(true)
    expect(cidrContains(net, '2001:DB8:ffff::')).toBe(true)
    expect(cidrContains(net, '2001:db9::')).toBe(false)
  })

  test('/0 holds its whole family', () => {
    expect(cidrContains(parseCidr('0.0.0.0/0')!, '255.255.255.255')).toBe(true)
    expect(cidrContains(parseCidr('::/0')!, 'ffff::1')).toBe(true)
  })

  test('IPv4 and IPv6 never match each other', () => {
    expect(cidrContains(parseCidr('0.0.0.0/0')!, '::1')).toBe(false)
    expect(cidrContains(parseCidr('::/0')!, '127.0.0.1')).toBe(false)
    expect(cidrContains(parseCidr('::/0')!, '::ffff:127.0.0.1')).toBe(false)
  })

  test('an IPv4-mapped address is matched as the IPv4 address, in any spelling', () => {
    const net = parseCidr('127.0.0.0/8')!
    expect(cidrContains(net, '::ffff:127.0.0.1')).toBe(true)
    expect(cidrContains(net, '::FFFF:7f00:1')).toBe(true)
    expect(cidrContains(parseCidr('::ffff:0:0/96')!, '::ffff:192.0.2.1')).toBe(true)
  })

  test('a malformed address is never contained', () => {
    expect(cidrContains(parseCidr('0.0.0.0/0')!, 'not-an-ip')).toBe(false)
    expect(cidrContains(parseCidr('0.0.0.0/0')!, '')).toBe(false)
    expect(cidrContains(parseCidr('::/0')!, '1:2:3')).toBe(false)
  })
})

describe('canonicalIp', () => {
  test.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:1:1:1:0:1', '2001:db8:1:1:1:1:0:1'],
    ['::', '::'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:201', '192.0.2.1'],
    ['fe80::1%eth0', 'fe80::1'],
  ])('%p → %p', (input, output) => {
    expect(canonicalIp(input)).toBe(output)
  })

  test.each(['', 'abc', '1.2.3', '256.0.0.1', '1.2.3.4/32', '[::1]', '1.2.3.4:80', ' 1.2.3.4'])('%p is not an address', (input) => {
    expect(canonicalIp(input)).toBeNull()
  })
})

describe('resolveClientIp', () => {
  const proxies = cidrs('10.0.0.0/8', '::1')

  test('without trusted proxies the peer is the client, whatever the headers say', () => {
    const h = headers({ 'x-forwarded-for': '1.1.1.1', 'x-real-ip': '2.2.2.2' })
    expect(resolveClientIp('203.0.113.7', h, [])).toBe('203.0.113.7')
  })

  test('an untrusted peer is the client, whatever the headers say', () => {
    const h = headers({ 'x-forwarded-for': '1.1.1.1', 'x-real-ip': '2.2.2.2' })
    expect(resolveClientIp('203.0.113.7', h, proxies)).toBe('203.0.113.7')
  })

  test('a trusted peer without forwarding headers is the client', () => {
    expect(resolveClientIp('10.0.0.2', headers({}), proxies)).toBe('10.0.0.2')
  })

  test('a trusted peer: the X-Forwarded-For hop it appended is the client', () => {
    expect(resolveClientIp('10.0.0.2', headers({ 'x-forwarded-for': '198.51.100.4' }), proxies)).toBe('198.51.100.4')
  })

  test('an entry the client prepended cannot spoof the address', () => {
    const h = headers({ 'x-forwarded-for': '6.6.6.6, 198.51.100.4' })
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('198.51.100.4')
  })

  test('trusted hops are skipped from the right to the first untrusted one', () => {
    const h = headers({ 'x-forwarded-for': '6.6.6.6, 198.51.100.4, 10.1.1.1, 10.2.2.2' })
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('198.51.100.4')
  })

  test('when every hop is trusted, the leftmost one is the client', () => {
    const h = headers({ 'x-forwarded-for': '10.9.9.9, 10.1.1.1' })
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('10.9.9.9')
  })

  test('repeated X-Forwarded-For headers are read as one list', () => {
    const h = new Headers()
    h.append('x-forwarded-for', '6.6.6.6')
    h.append('x-forwarded-for', '198.51.100.4')
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('198.51.100.4')
  })

  test('hops are returned in canonical form', () => {
    const h = headers({ 'x-forwarded-for': ' 2001:DB8:0:0::1 ' })
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('2001:db8::1')
  })

  test('a malformed hop where the client would be falls back to the peer', () => {
    expect(resolveClientIp('10.0.0.2', headers({ 'x-forwarded-for': 'garbage' }), proxies)).toBe('10.0.0.2')
    expect(resolveClientIp('10.0.0.2', headers({ 'x-forwarded-for': '1.2.3.4:5678' }), proxies)).toBe('10.0.0.2')
    expect(resolveClientIp('10.0.0.2', headers({ 'x-forwarded-for': '198.51.100.4, nope, 10.1.1.1' }), proxies)).toBe('10.0.0.2')
    expect(resolveClientIp('10.0.0.2', headers({ 'x-forwarded-for': ' , ' }), proxies)).toBe('10.0.0.2')
  })

  test('a malformed entry left of the client hop is never reached', () => {
    const h = headers({ 'x-forwarded-for': 'garbage, 198.51.100.4' })
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('198.51.100.4')
  })

  test('X-Real-IP is used only from a trusted peer', () => {
    expect(resolveClientIp('10.0.0.2', headers({ 'x-real-ip': '198.51.100.9' }), proxies)).toBe('198.51.100.9')
    expect(resolveClientIp('203.0.113.7', headers({ 'x-real-ip': '198.51.100.9' }), proxies)).toBe('203.0.113.7')
  })

  test('X-Forwarded-For wins over X-Real-IP', () => {
    const h = headers({ 'x-forwarded-for': '198.51.100.4', 'x-real-ip': '198.51.100.9' })
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('198.51.100.4')
  })

  test('a malformed X-Real-IP falls back to the peer', () => {
    expect(resolveClientIp('10.0.0.2', headers({ 'x-real-ip': 'not an ip' }), proxies)).toBe('10.0.0.2')
  })

  test('an IPv4-mapped IPv6 peer is matched against IPv4 proxies and reported as IPv4', () => {
    expect(resolveClientIp('::ffff:10.0.0.2', headers({ 'x-forwarded-for': '198.51.100.4' }), proxies)).toBe('198.51.100.4')
    expect(resolveClientIp('::ffff:203.0.113.7', headers({ 'x-forwarded-for': '198.51.100.4' }), proxies)).toBe('203.0.113.7')
  })

  test('an IPv6 peer is matched against IPv6 proxies', () => {
    expect(resolveClientIp('0:0:0:0:0:0:0:1', headers({ 'x-forwarded-for': '198.51.100.4' }), proxies)).toBe('198.51.100.4')
    expect(resolveClientIp('::2', headers({ 'x-forwarded-for': '198.51.100.4' }), proxies)).toBe('::2')
  })

  test('a trusted IPv6 proxy listed in X-Forwarded-For is skipped', () => {
    const h = headers({ 'x-forwarded-for': '198.51.100.4, ::1' })
    expect(resolveClientIp('10.0.0.2', h, proxies)).toBe('198.51.100.4')
  })
})
