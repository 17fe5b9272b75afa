import { isIPv4, isIPv6 } from 'node:net'

/**
 * Laravel-style variable rules (spec 02 §7.4). A rule is `name` or `name:args`; the arguments split
 * on `,` except for `regex`/`not_regex`, which keep the whole remainder.
 */
export const SUPPORTED_RULES = new Set([
  'accepted',
  'accepted_if',
  'alpha',
  'alpha_dash',
  'alpha_num',
  'ascii',
  'between',
  'boolean',
  'confirmed',
  'date',
  'date_format',
  'declined',
  'declined_if',
  'different',
  'digits',
  'digits_between',
  'doesnt_start_with',
  'doesnt_end_with',
  'ends_with',
  'gt',
  'gte',
  'hex_color',
  'in',
  'integer',
  'int',
  'ip',
  'ipv4',
  'ipv6',
  'json',
  'lt',
  'lte',
  'lowercase',
  'mac_address',
  'max',
  'max_digits',
  'min',
  'min_digits',
  'multiple_of',
  'not_in',
  'not_regex',
  'nullable',
  'numeric',
  'num',
  'regex',
  'required',
  'required_if',
  'required_if_accepted',
  'required_if_declined',
  'same',
  'size',
  'starts_with',
  'string',
  'str',
  'timezone',
  'uppercase',
  'url',
  'uuid',
])

/** The values of the other variables (by env variable), for `same`, `different`, `confirmed` and the `*_if` rules. */
export type OtherValues = Record<string, string | null | undefined>

interface Check {
  /** Checked even when the value is blank (Laravel's implicit rules). */
  implicit?: boolean
  /** Why the value fails, or null. `numeric` tells whether sizes compare numbers (a `numeric`/`integer` rule is present). */
  test: (value: string, numeric: boolean, others: OtherValues) => string | null
}

// Decimal numbers as PHP's is_numeric takes them (no hex, no `inf`); surrounding whitespace allowed.
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const isNumeric = (v: string) => NUMBER.test(v.trim()) && Number.isFinite(Number(v.trim()))
const isFilled = (v: string | null | undefined) => v != null && v.trim() !== ''
const ACCEPTED = new Set(['yes', 'on', '1', 'true'])
const DECLINED = new Set(['no', 'off', '0', 'false'])
const fmt = (n: number) => String(n)
const size = (v: string, numeric: boolean) => (numeric && isNumeric(v) ? Number(v.trim()) : [...v].length)
const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n

type Args = string[]
type Parsed = Check | string

const noArgs = (name: string, args: Args, check: Check): Parsed => (args.length ? `${name}: takes no arguments` : check)

function oneNumber(name: string, args: Args): number | string {
  if (args.length !== 1) return `${name}: needs exactly one number`
  if (!NUMBER.test(args[0]) || !Number.isFinite(Number(args[0]))) return `${name}: \`${args[0]}\` is not a number`
  return Number(args[0])
}

function count(name: string, arg: string): number | string {
  if (!/^\d{1,9}$/.test(arg)) return `${name}: \`${arg}\` is not a whole number of digits`
  return Number(arg)
}

function dependent(name: string, args: Args): { key: string; values: string[] } | string {
  if (args.length < 2 || !args[0]) return `${name}: needs a variable and at least one value`
  return { key: args[0], values: args.slice(1) }
}

function oneKey(name: string, args: Args): string | { key: string } {
  if (args.length !== 1 || !args[0]) return `${name}: needs exactly one variable`
  return { key: args[0] }
}

const nonEmpty = (name: string, args: Args, what: string): string | null =>
  args.length === 0 || args.some((a) => a === '') ? `${name}: needs at least one ${what}` : null

const accepted = (v: string | null | undefined) => isFilled(v) && ACCEPTED.has(v!)
const declined = (v: string | null | undefined) => isFilled(v) && DECLINED.has(v!)

// ---- regex: PHP (PCRE) patterns with delimiters, compiled into JavaScript ----

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' }

/** Whitespace and `#` comments out, as PCRE's `x` flag reads a pattern (not inside a class or after `\`). */
function stripExtended(pattern: string): string {
  let out = ''
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '')
      i++
    } else if (inClass) {
      if (c === ']') inClass = false
      out += c
    } else if (c === '[') {
      inClass = true
      out += c
    } else if (c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++
    } else if (!/\s/.test(c)) out += c
  }
  return out
}

/** A compiled `regex:`/`not_regex:` pattern, or why it is refused. */
export function compilePattern(raw: string): RegExp | string {
  const open = raw[0]
  if (!open || /[\p{L}\p{N}\\\s]/u.test(open)) return 'the pattern must be enclosed in delimiters, e.g. `/^[a-z]+$/`'
  const close = CLOSING[open] ?? open
  const end = raw.lastIndexOf(close)
  if (end < 1) return 'the pattern must be enclosed in delimiters, e.g. `/^[a-z]+$/`'
  const flags = raw.slice(end + 1)
  if (!/^[a-zA-Z]*$/.test(flags)) return 'the pattern must be enclosed in delimiters, e.g. `/^[a-z]+$/`'
  let body = raw.slice(1, end)
  let js = ''
  for (const f of new Set(flags)) {
    if ('ims'.includes(f)) js += f
    else if (f === 'x') body = stripExtended(body)
    else if (f !== 'u' && f !== 'D') return `unsupported pattern flag \`${f}\``
  }
  // A leading inline flag group (`(?i)`) and PCRE's string anchors, which JavaScript spells differently.
  const inline = /^(\^?)\(\?([imsx]+)\)/.exec(body)
  if (inline) {
    body = inline[1] + body.slice(inline[0].length)
    if (inline[2].includes('x')) body = stripExtended(body)
    js += [...new Set(inline[2])].filter((f) => f !== 'x' && !js.includes(f)).join('')
  }
  body = body.replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^').replace(/(^|[^\\])((?:\\\\)*)\\[zZ]/g, '$1$2$')
  for (const extra of ['u', '']) {
    try {
      return new RegExp(body, js + extra)
    } catch {}
  }
  return 'invalid regex pattern'
}

// ---- date_format: PHP date() formats ----

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const alt = (words: string[]) => `(?:${words.join('|')})`

const FORMAT_TOKENS: Record<string, [string, string?]> = {
  d: ['(0[1-9]|[12]\\d|3[01])', 'day'],
  j: ['([1-9]|[12]\\d|3[01])', 'day'],
  D: [alt(DAY_NAMES.map((d) => d.slice(0, 3)))],
  l: [alt(DAY_NAMES)],
  N: ['[1-7]'],
  w: ['[0-6]'],
  m: ['(0[1-9]|1[0-2])', 'month'],
  n: ['([1-9]|1[0-2])', 'month'],
  M: [`(${MONTH_NAMES.map((m) => m.slice(0, 3)).join('|')})`, 'monthName'],
  F: [`(${MONTH_NAMES.join('|')})`, 'monthName'],
  y: ['(\\d{2})', 'year2'],
  Y: ['(\\d{4})', 'year'],
  H: ['(?:[01]\\d|2[0-3])'],
  G: ['(?:1?\\d|2[0-3])'],
  h: ['(?:0[1-9]|1[0-2])'],
  g: ['(?:[1-9]|1[0-2])'],
  i: ['[0-5]\\d'],
  s: ['[0-5]\\d'],
  A: ['(?:AM|PM)'],
  a: ['(?:am|pm)'],
  u: ['\\d{6}'],
  v: ['\\d{3}'],
  e: ['[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*'],
  T: ['(?:[A-Z]{1,5}|[+-]\\d{2}:?\\d{2})'],
  P: ['[+-](?:[01]\\d|2[0-3]):[0-5]\\d'],
  O: ['[+-](?:[01]\\d|2[0-3])[0-5]\\d'],
  U: ['-?\\d+'],
}

function formatMatcher(format: string): { re: RegExp; groups: string[] } {
  let source = '^'
  const groups: string[] = []
  for (let i = 0; i < format.length; i++) {
    const c = format[i]
    if (c === '\\') {
      const next = format[++i] ?? ''
      source += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    } else if (FORMAT_TOKENS[c]) {
      const [pattern, group] = FORMAT_TOKENS[c]
      source += pattern
      if (group) groups.push(group)
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return { re: new RegExp(`${source}$`), groups }
}

function matchesFormat(value: string, format: string): boolean {
  const { re, groups } = formatMatcher(format)
  const m = re.exec(value)
  if (!m) return false
  let year: number | undefined
  let month: number | undefined
  let day: number | undefined
  groups.forEach((g, i) => {
    const v = m[i + 1]
    if (g === 'day') day = Number(v)
    else if (g === 'month') month = Number(v)
    else if (g === 'monthName') month = MONTH_NAMES.findIndex((n) => n.startsWith(v)) + 1
    else if (g === 'year') year = Number(v)
    else if (g === 'year2') year = 2000 + Number(v)
  })
  if (day !== undefined && month !== undefined) {
    const y = year ?? 2000 // a leap year: 29 February is a date when no year says otherwise
    return day <= new Date(Date.UTC(y, month, 0)).getUTCDate()
  }
  return true
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:\.\d{1,9})?)?$/
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/

function isDate(value: string): boolean {
  const m = ISO_DATE.exec(value) ?? ISO_DATETIME.exec(value) ?? RFC3339.exec(value)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate()
}

let timeZones: Set<string> | undefined
function isTimeZone(value: string): boolean {
  timeZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])
  if (timeZones.has(value)) return true
  // Aliases (`Europe/Kiev`, `Etc/GMT+1`) the list leaves out: accepted when the engine knows them, spelled as IANA does.
  if (!/^[A-Z][A-Za-z_]*(?:\/[A-Z][A-Za-z0-9_+-]*)*$/.test(value)) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: value })
    return true
  } catch {
    return false
  }
}

function isUrl(value: string, protocols: string[]): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  // Only URLs that can be a base (`https://…`, `file:///…`), not `mailto:x` or `data:…`.
  if (!url.host && !url.pathname.startsWith('/')) return false
  return protocols.length === 0 || protocols.includes(url.protocol.slice(0, -1))
}

const UUID_TEXT = /^(?:urn:uuid:)?\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i

function uuidVersion(value: string): { hex: string; version: number } | null {
  const m = UUID_TEXT.exec(value)
  if (!m) return null
  const braced = value.includes('{')
  if (braced !== value.endsWith('}')) return null
  const hex = m.slice(1).join('').toLowerCase()
  const hyphens = (value.match(/-/g) ?? []).length
  if (hyphens !== 0 && hyphens !== 4) return null
  return { hex, version: parseInt(hex[12], 16) }
}

const isMac = (v: string) =>
  /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/.test(v) ||
  /^[0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2}){5}$/.test(v) ||
  /^[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4}){2}$/.test(v)

function isJson(v: string): boolean {
  try {
    JSON.parse(v)
    return true
  } catch {
    return false
  }
}

function isInteger(v: string): boolean {
  const t = v.trim()
  if (!/^[+-]?\d+$/.test(t)) return false
  const n = BigInt(t)
  return n >= I64_MIN && n <= I64_MAX
}

const ALPHA = { unicode: /^\p{Alphabetic}+$/u, ascii: /^[A-Za-z]+$/ }
const ALPHA_NUM = { unicode: /^[\p{Alphabetic}\p{N}]+$/u, ascii: /^[A-Za-z0-9]+$/ }
const ALPHA_DASH = { unicode: /^[\p{Alphabetic}\p{N}_-]+$/u, ascii: /^[A-Za-z0-9_-]+$/ }

function charset(name: string, args: Args, sets: { unicode: RegExp; ascii: RegExp }, message: string): Parsed {
  if (args.length > 1 || (args.length === 1 && args[0] !== 'ascii')) return `${name}: the only argument is \`ascii\``
  const re = args[0] === 'ascii' ? sets.ascii : sets.unicode
  return { test: (v) => (re.test(v) ? null : message) }
}

function compare(name: string, args: Args, ok: (size: number, limit: number) => boolean, message: string, needsNumber = false): Parsed {
  const limit = oneNumber(name, args)
  if (typeof limit === 'string') return limit
  return {
    test: (v, numeric) => ((!needsNumber || isNumeric(v)) && ok(size(v, numeric), limit) ? null : `${message} ${fmt(limit)}`),
  }
}

function digitsCheck(name: string, args: Args, ok: (length: number, limit: number) => boolean, message: string): Parsed {
  if (args.length !== 1) return `${name}: needs exactly one whole number`
  const limit = count(name, args[0])
  if (typeof limit === 'string') return limit
  return { test: (v) => (/^\d*$/.test(v) && ok(v.length, limit) ? null : `${message.replace('%', String(limit))}`) }
}

/** The check a rule stands for, or why it is refused. */
function parse(rule: string): Parsed {
  const colon = rule.indexOf(':')
  const name = colon < 0 ? rule : rule.slice(0, colon)
  if (!SUPPORTED_RULES.has(name)) return `unknown or unsupported validation rule: ${rule}`
  const rest = colon < 0 ? null : rule.slice(colon + 1)
  const args: Args = rest === null ? [] : name === 'regex' || name === 'not_regex' ? [rest] : rest.split(',')
  switch (name) {
    case 'accepted':
      return noArgs(name, args, { implicit: true, test: (v) => (accepted(v) ? null : "must be 'yes', 'on', '1', or 'true'") })
    case 'declined':
      return noArgs(name, args, { implicit: true, test: (v) => (declined(v) ? null : "must be 'no', 'off', '0', or 'false'") })
    case 'accepted_if':
    case 'declined_if':
    case 'required_if': {
      const d = dependent(name, args)
      if (typeof d === 'string') return d
      const [ok, what] =
        name === 'accepted_if'
          ? [accepted, "must be 'yes', 'on', '1', or 'true'"]
          : name === 'declined_if'
            ? [declined, "must be 'no', 'off', '0', or 'false'"]
            : [isFilled, 'is required']
      return {
        implicit: true,
        test: (v, _n, others) => {
          const other = others[d.key]
          if (other == null || !d.values.includes(other)) return null
          return ok(v) ? null : `${what} when '${d.key}' is '${other}'`
        },
      }
    }
    case 'required_if_accepted':
    case 'required_if_declined': {
      const k = oneKey(name, args)
      if (typeof k === 'string') return k
      const [when, word] = name === 'required_if_accepted' ? [accepted, 'accepted'] : [declined, 'declined']
      return {
        implicit: true,
        test: (v, _n, others) => (when(others[k.key]) && !isFilled(v) ? `is required when '${k.key}' is ${word}` : null),
      }
    }
    case 'required':
      return noArgs(name, args, { implicit: true, test: (v) => (isFilled(v) ? null : 'is required and cannot be empty') })
    case 'nullable':
    case 'string':
    case 'str':
      return noArgs(name, args, { test: () => null })
    case 'confirmed': {
      if (args.length > 1 || args[0] === '') return `${name}: takes at most one variable`
      return {
        test: (v, _n, others) => {
          const key = args[0] ?? null
          return key !== null && others[key] === v ? null : `does not match confirmation field '${key ?? 'its _confirmation'}'`
        },
      }
    }
    case 'same': {
      const k = oneKey(name, args)
      if (typeof k === 'string') return k
      return { test: (v, _n, others) => (others[k.key] === v ? null : `must be the same as '${k.key}'`) }
    }
    case 'different': {
      const problem = nonEmpty(name, args, 'variable')
      if (problem) return problem
      return {
        test: (v, _n, others) => {
          const same = args.find((k) => others[k] === v)
          return same === undefined ? null : `must be different from '${same}'`
        },
      }
    }
    case 'alpha':
      return charset(name, args, ALPHA, 'must contain only alphabetic characters')
    case 'alpha_num':
      return charset(name, args, ALPHA_NUM, 'must contain only alphanumeric characters')
    case 'alpha_dash':
      return charset(name, args, ALPHA_DASH, 'must contain only alphanumeric characters, dashes, or underscores')
    case 'ascii':
      return noArgs(name, args, { test: (v) => (/^[\x00-\x7f]*$/.test(v) ? null : 'must contain only ASCII characters') })
    case 'lowercase':
      return noArgs(name, args, { test: (v) => (/\p{Lu}|\p{Lt}/u.test(v) ? 'must be lowercase' : null) })
    case 'uppercase':
      return noArgs(name, args, { test: (v) => (/\p{Ll}|\p{Lt}/u.test(v) ? 'must be uppercase' : null) })
    case 'boolean':
      return noArgs(name, args, {
        test: (v) => (['0', '1', 'true', 'false'].includes(v) ? null : "must be a boolean ('0', '1', 'true' or 'false')"),
      })
    case 'integer':
    case 'int':
      return noArgs(name, args, { test: (v) => (isInteger(v) ? null : 'must be a valid integer') })
    case 'numeric':
    case 'num':
      return noArgs(name, args, { test: (v) => (isNumeric(v) ? null : 'must be a valid numeric value') })
    case 'between': {
      if (args.length !== 2) return `${name}: needs exactly two numbers`
      const [min, max] = args.map((a) => (NUMBER.test(a) && Number.isFinite(Number(a)) ? Number(a) : NaN))
      if (Number.isNaN(min) || Number.isNaN(max)) return `${name}: \`${args.join(',')}\` are not two numbers`
      if (min > max) return `${name}: the minimum is greater than the maximum`
      return {
        test: (v, numeric) => {
          const s = size(v, numeric)
          return s >= min && s <= max ? null : `must be between ${fmt(min)} and ${fmt(max)}`
        },
      }
    }
    case 'size':
      return compare(name, args, (s, l) => s === l, 'must be equal to')
    case 'min':
      return compare(name, args, (s, l) => s >= l, 'must be greater than or equal to')
    case 'max':
      return compare(name, args, (s, l) => s <= l, 'must be less than or equal to')
    case 'gt':
      return compare(name, args, (s, l) => s > l, 'must be greater than', true)
    case 'gte':
      return compare(name, args, (s, l) => s >= l, 'must be greater than or equal to', true)
    case 'lt':
      return compare(name, args, (s, l) => s < l, 'must be less than', true)
    case 'lte':
      return compare(name, args, (s, l) => s <= l, 'must be less than or equal to', true)
    case 'multiple_of': {
      const of = oneNumber(name, args)
      if (typeof of === 'string') return of
      if (of === 0) return `${name}: cannot be a multiple of 0`
      return {
        test: (v) => {
          if (!isNumeric(v)) return `must be a multiple of ${fmt(of)}`
          const r = Number(v.trim()) / of
          return Math.abs(r - Math.round(r)) < 1e-9 ? null : `must be a multiple of ${fmt(of)}`
        },
      }
    }
    case 'digits':
      return digitsCheck(name, args, (l, n) => l === n, 'must contain exactly % digits')
    case 'max_digits':
      return digitsCheck(name, args, (l, n) => l <= n, 'must contain at most % digits')
    case 'min_digits':
      return digitsCheck(name, args, (l, n) => l >= n, 'must contain at least % digits')
    case 'digits_between': {
      if (args.length !== 2) return `${name}: needs exactly two whole numbers`
      const min = count(name, args[0])
      const max = count(name, args[1])
      if (typeof min === 'string') return min
      if (typeof max === 'string') return max
      if (min > max) return `${name}: the minimum is greater than the maximum`
      return {
        test: (v) => (/^\d*$/.test(v) && v.length >= min && v.length <= max ? null : `must contain between ${min} and ${max} digits`),
      }
    }
    case 'in':
    case 'not_in': {
      const problem = nonEmpty(name, args, 'value')
      if (problem) return problem
      return name === 'in'
        ? { test: (v) => (args.includes(v) ? null : `must be one of: ${args.join(', ')}`) }
        : { test: (v) => (args.includes(v) ? `must not be one of: ${args.join(', ')}` : null) }
    }
    case 'starts_with':
    case 'ends_with':
    case 'doesnt_start_with':
    case 'doesnt_end_with': {
      const start = name.includes('start')
      const problem = nonEmpty(name, args, start ? 'prefix' : 'suffix')
      if (problem) return problem
      const has = (v: string, a: string) => (start ? v.startsWith(a) : v.endsWith(a))
      if (!name.startsWith('doesnt')) {
        return { test: (v) => (args.some((a) => has(v, a)) ? null : `must ${start ? 'start' : 'end'} with one of: ${args.join(', ')}`) }
      }
      return {
        test: (v) => {
          const found = args.find((a) => has(v, a))
          return found === undefined ? null : `must not ${start ? 'start' : 'end'} with '${found}'`
        },
      }
    }
    case 'regex':
    case 'not_regex': {
      if (args.length === 0 || args[0] === '') return `${name}: needs a pattern`
      const re = compilePattern(args[0])
      if (typeof re === 'string') return `${name}: ${re}`
      return name === 'regex'
        ? { test: (v) => (re.test(v) ? null : `must match the regex pattern '${args[0]}'`) }
        : { test: (v) => (re.test(v) ? `must not match the regex pattern '${args[0]}'` : null) }
    }
    case 'date':
      return noArgs(name, args, { test: (v) => (isDate(v) ? null : 'must be a valid date') })
    case 'date_format': {
      const problem = nonEmpty(name, args, 'format')
      if (problem) return problem
      return { test: (v) => (args.some((f) => matchesFormat(v, f)) ? null : `must match the format '${args.join(', ')}'`) }
    }
    case 'hex_color':
      return noArgs(name, args, {
        test: (v) => (/^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/.test(v) ? null : 'must be a valid hex color code'),
      })
    case 'ip':
      return noArgs(name, args, { test: (v) => (isIPv4(v) || (isIPv6(v) && !v.includes('%')) ? null : 'must be a valid IP address') })
    case 'ipv4':
      return noArgs(name, args, { test: (v) => (isIPv4(v) ? null : 'must be a valid IPv4 address') })
    case 'ipv6':
      return noArgs(name, args, { test: (v) => (isIPv6(v) && !v.includes('%') ? null : 'must be a valid IPv6 address') })
    case 'json':
      return noArgs(name, args, { test: (v) => (isJson(v) ? null : 'must be valid JSON') })
    case 'mac_address':
      return noArgs(name, args, { test: (v) => (isMac(v) ? null : 'must be a valid MAC address') })
    case 'timezone':
      // Laravel's `timezone:all` / `timezone:per_country,…` narrow the list; any IANA zone is taken here.
      return { test: (v) => (isTimeZone(v) ? null : 'must be a valid timezone') }
    case 'url': {
      if (args.some((a) => !/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(a))) return `${name}: protocols must be scheme names such as \`https\``
      const protocols = args.map((a) => a.toLowerCase())
      return {
        test: (v) =>
          isUrl(v, protocols)
            ? null
            : protocols.length
              ? `must be a valid URL with one of the following protocols: ${protocols.join(', ')}`
              : 'must be a valid URL',
      }
    }
    case 'uuid': {
      if (args.length > 1 || (args.length === 1 && args[0] !== 'max' && !/^[0-8]$/.test(args[0]))) return `${name}: invalid uuid version`
      const version = args[0]
      return {
        test: (v) => {
          const u = uuidVersion(v)
          const ok = u && (version === undefined || (version === 'max' ? u.hex === 'f'.repeat(32) : u.version === Number(version)))
          return ok ? null : 'must be a valid UUID'
        },
      }
    }
  }
  return `unknown or unsupported validation rule: ${rule}`
}

/** Why a rule string is refused (`unknown or unsupported validation rule: <r>`, or its argument's problem naming the rule), or null. */
export function ruleProblem(rule: string): string | null {
  const parsed = parse(rule)
  return typeof parsed === 'string' ? parsed : null
}

/**
 * Why `value` breaks one of `rules` (the first broken rule's message, e.g. `must be less than or
 * equal to 20`), or null. As Laravel validates: a blank value is judged only by the implicit rules
 * (`required`, `accepted`, `*_if`…), and with `nullable` a blank or `"null"` value skips the rest;
 * `size`/`min`/`max`/`between` compare numbers when a `numeric` or `integer` rule is present, else
 * the length. `others` holds the other variables' values for `same`, `different`, `confirmed` and
 * the `*_if` rules. A rule that does not parse is reported as such.
 * @example validateVariableValue(['required', 'integer', 'between:1,64'], '128') // 'must be between 1 and 64'
 */
export function validateVariableValue(rules: string[], value: string | null, others: OtherValues = {}): string | null {
  const checks: Check[] = []
  for (const rule of rules) {
    const parsed = parse(rule)
    if (typeof parsed === 'string') return parsed
    checks.push(parsed)
  }
  const names = rules.map((r) => r.split(':', 1)[0])
  const numeric = names.some((n) => n === 'numeric' || n === 'num' || n === 'integer' || n === 'int')
  const nullable = names.includes('nullable')
  const v = value ?? ''
  const blank = v.trim() === ''
  for (const check of checks) {
    if (!check.implicit && (blank || (nullable && v === 'null'))) continue
    const problem = check.test(v, numeric, others)
    if (problem) return problem
  }
  return null
}
