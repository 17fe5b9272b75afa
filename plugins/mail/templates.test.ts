import { describe, expect, test } from 'bun:test'
import { DEFAULT_TEMPLATES, TemplateRegistry, escapeHtml, htmlToText, interpolate, render, textToHtml } from './service/templates'

describe('render', () => {
  const template = {
    subject: 'Hi {{user.name}}',
    text: 'Link: {{link}}\n\nBye {{ user.name }}',
    html: '<p>{{user.name}}</p><a href="{{link}}">go</a>',
    variables: [],
  }

  test('fills dotted placeholders, escaping only in the HTML body', () => {
    const out = render(template, { user: { name: 'A <b>&"\'' }, link: 'https://x/?a=1&b=2' })
    expect(out.subject).toBe('Hi A <b>&"\'')
    expect(out.text).toBe('Link: https://x/?a=1&b=2\n\nBye A <b>&"\'')
    expect(out.html).toBe('<p>A &lt;b&gt;&amp;&quot;&#39;</p><a href="https://x/?a=1&amp;b=2">go</a>')
  })

  test('a missing or null value renders empty; prototype keys are not reachable', () => {
    expect(interpolate('[{{nope}}][{{a.b.c}}][{{n}}][{{constructor}}]', { a: { b: 1 }, n: null })).toBe('[][][][]')
  })

  test('without html, the text is escaped into paragraphs', () => {
    const out = render({ subject: 's', text: 'one <x>\nline\n\ntwo' }, {})
    expect(out.html).toBe('<p>one &lt;x&gt;<br>line</p><p>two</p>')
  })

  test('a value cannot add lines to the subject', () => {
    expect(render({ subject: 'Hello {{v}}', text: '' }, { v: 'x\r\nBcc: evil@example.com' }).subject).toBe('Hello x Bcc: evil@example.com')
  })

  test('escapeHtml covers the five special characters', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;')
  })
})

describe('TemplateRegistry', () => {
  test('has the default templates with their variables', async () => {
    const r = new TemplateRegistry()
    expect(r.ids().sort()).toEqual(['account_created', 'connection_test', 'password_reset'])
    const reset = await r.resolve('password_reset')
    expect(reset?.variables).toContain('reset_link')
    expect(reset?.variables).toContain('user.username')
    expect(reset?.enabled).toBe(true)
    expect(await r.resolve('nope')).toBeUndefined()
  })

  test('register adds a template; the same id twice or a bad id throws', () => {
    const r = new TemplateRegistry()
    r.register('server_suspended', { subject: 's', text: 't', variables: ['server.name'] })
    expect(r.has('server_suspended')).toBe(true)
    expect(() => r.register('server_suspended', { subject: 's', text: 't', variables: [] })).toThrow('already registered')
    expect(() => r.register('Bad-Id', { subject: 's', text: 't', variables: [] })).toThrow('snake_case')
  })

  test('override merges over the template; reset drops it; unknown ids throw', async () => {
    const r = new TemplateRegistry()
    r.override('password_reset', { subject: 'New subject' })
    r.override('password_reset', { text: 'New text', html: undefined })
    const t = await r.resolve('password_reset')
    expect(t?.subject).toBe('New subject')
    expect(t?.text).toBe('New text')
    expect(t?.html).toBe(DEFAULT_TEMPLATES.password_reset.html)
    expect(r.original('password_reset')?.subject).toBe(DEFAULT_TEMPLATES.password_reset.subject)
    r.reset('password_reset')
    expect((await r.resolve('password_reset'))?.subject).toBe(DEFAULT_TEMPLATES.password_reset.subject)
    expect(() => r.override('nope', {})).toThrow('not registered')
  })

  test('the override source wins over in-process overrides and may disable a template', async () => {
    const r = new TemplateRegistry()
    r.override('connection_test', { subject: 'plugin', text: 'plugin text' })
    r.useOverrideSource(async (id) => (id === 'connection_test' ? { subject: 'admin', enabled: false } : null), 'test')
    const t = await r.resolve('connection_test')
    expect(t).toMatchObject({ subject: 'admin', text: 'plugin text', enabled: false })
    expect((await r.resolve('password_reset'))?.enabled).toBe(true)
    expect(() => r.useOverrideSource(async () => null, 'other')).toThrow('already installed')
  })
})

describe('htmlToText (the text part of an administrator’s HTML body)', () => {
  test('links keep their target, blocks become paragraphs, entities are decoded, placeholders survive', () => {
    const html =
      '<style>p{color:red}</style><p>Hi {{user.username}} &amp; co.</p><p><a href="{{reset_link}}">Reset</a><br>or ignore this.</p><div><a href=\'https://x.test/\'>https://x.test/</a></div>'
    expect(htmlToText(html)).toBe('Hi {{user.username}} & co.\n\nReset: {{reset_link}}\nor ignore this.\n\nhttps://x.test/')
  })

  test('textToHtml escapes and keeps placeholders', () => {
    expect(textToHtml('a < b\n{{x}}\n\nend')).toBe('<p>a &lt; b<br>{{x}}</p><p>end</p>')
  })
})

describe('htmlToText on hostile shapes', () => {
  test('unclosed and nested tags, <abbr> beside <a>, and a large input stay linear', () => {
    expect(htmlToText('<abbr>x</abbr> <a href="u">y</a> <a href="v">')).toBe('x y: u')
    const big =
      '<a href="x">'.repeat(30_000) +
      '</a>'.repeat(10) +
      '<style>'.repeat(10_000) +
      '<'.repeat(200_000) +
      '&amp'.repeat(50_000) +
      ' '.repeat(200_000) +
      'x'
    const started = performance.now()
    htmlToText(big)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
