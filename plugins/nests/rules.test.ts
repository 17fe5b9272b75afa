import { describe, expect, test } from 'bun:test'
import { compilePattern, ruleProblem, SUPPORTED_RULES, validateVariableValue } from './rules'

const ok = (rules: string[], value: string | null, others = {}) => expect(validateVariableValue(rules, value, others)).toBeNull()
const bad = (rules: string[], value: string | null, message: string | RegExp, others = {}) => {
  const problem = validateVariableValue(rules, value, others)
  if (typeof message === 'string') expect(problem).toBe(message)
  else expect(problem).toMatch(message)
}

/** Per rule: forms that parse, and forms refused with (part of) their message. */
const FORMS: Record<string, { accepted: string[]; refused: [string, string][] }> = {
  accepted: { accepted: ['accepted'], refused: [['accepted:x', 'accepted: takes no arguments']] },
  accepted_if: {
    accepted: ['accepted_if:OTHER,yes', 'accepted_if:OTHER,a,b'],
    refused: [
      ['accepted_if', 'needs a variable'],
      ['accepted_if:OTHER', 'needs a variable'],
    ],
  },
  alpha: { accepted: ['alpha', 'alpha:ascii'], refused: [['alpha:latin', 'the only argument is `ascii`']] },
  alpha_dash: { accepted: ['alpha_dash', 'alpha_dash:ascii'], refused: [['alpha_dash:x', 'alpha_dash:']] },
  alpha_num: { accepted: ['alpha_num', 'alpha_num:ascii'], refused: [['alpha_num:ascii,x', 'alpha_num:']] },
  ascii: { accepted: ['ascii'], refused: [['ascii:1', 'takes no arguments']] },
  between: {
    accepted: ['between:1,5', 'between:-1.5,2e3'],
    refused: [
      ['between:1', 'between: needs exactly two numbers'],
      ['between:a,5', 'are not two numbers'],
      ['between:5,1', 'minimum is greater'],
      ['between:1,2,3', 'two numbers'],
    ],
  },
  boolean: { accepted: ['boolean'], refused: [['boolean:strict', 'takes no arguments']] },
  confirmed: { accepted: ['confirmed', 'confirmed:OTHER'], refused: [['confirmed:A,B', 'at most one variable']] },
  date: { accepted: ['date'], refused: [['date:Y', 'takes no arguments']] },
  date_format: {
    accepted: ['date_format:Y-m-d', 'date_format:Y-m-d,d/m/Y'],
    refused: [
      ['date_format', 'needs at least one format'],
      ['date_format:', 'needs at least one format'],
    ],
  },
  declined: { accepted: ['declined'], refused: [['declined:x', 'takes no arguments']] },
  declined_if: { accepted: ['declined_if:OTHER,1'], refused: [['declined_if:OTHER', 'needs a variable']] },
  different: {
    accepted: ['different:A', 'different:A,B'],
    refused: [
      ['different', 'needs at least one variable'],
      ['different:', 'needs at least one variable'],
    ],
  },
  digits: {
    accepted: ['digits:4'],
    refused: [
      ['digits', 'needs exactly one whole number'],
      ['digits:4.5', 'not a whole number'],
      ['digits:-1', 'not a whole number'],
      ['digits:x', 'not a whole number'],
    ],
  },
  digits_between: {
    accepted: ['digits_between:2,4'],
    refused: [
      ['digits_between:2', 'two whole numbers'],
      ['digits_between:4,2', 'minimum is greater'],
      ['digits_between:a,2', 'not a whole number'],
    ],
  },
  doesnt_start_with: { accepted: ['doesnt_start_with:a,b'], refused: [['doesnt_start_with', 'at least one prefix']] },
  doesnt_end_with: { accepted: ['doesnt_end_with:a'], refused: [['doesnt_end_with:', 'at least one suffix']] },
  ends_with: { accepted: ['ends_with:.jar,.zip'], refused: [['ends_with', 'at least one suffix']] },
  gt: {
    accepted: ['gt:0'],
    refused: [
      ['gt', 'gt: needs exactly one number'],
      ['gt:x', 'gt: `x` is not a number'],
    ],
  },
  gte: { accepted: ['gte:-1'], refused: [['gte:1,2', 'needs exactly one number']] },
  hex_color: { accepted: ['hex_color'], refused: [['hex_color:x', 'takes no arguments']] },
  in: {
    accepted: ['in:a', 'in:a,b,c'],
    refused: [
      ['in', 'in: needs at least one value'],
      ['in:', 'needs at least one value'],
      ['in:a,,b', 'needs at least one value'],
    ],
  },
  integer: { accepted: ['integer'], refused: [['integer:1', 'takes no arguments']] },
  int: { accepted: ['int'], refused: [['int:x', 'takes no arguments']] },
  ip: { accepted: ['ip'], refused: [['ip:v4', 'takes no arguments']] },
  ipv4: { accepted: ['ipv4'], refused: [['ipv4:x', 'takes no arguments']] },
  ipv6: { accepted: ['ipv6'], refused: [['ipv6:x', 'takes no arguments']] },
  json: { accepted: ['json'], refused: [['json:x', 'takes no arguments']] },
  lt: { accepted: ['lt:10'], refused: [['lt:', 'lt: `` is not a number']] },
  lte: { accepted: ['lte:10.5'], refused: [['lte:1e999', 'is not a number']] },
  lowercase: { accepted: ['lowercase'], refused: [['lowercase:x', 'takes no arguments']] },
  mac_address: { accepted: ['mac_address'], refused: [['mac_address:x', 'takes no arguments']] },
  max: {
    accepted: ['max:20', 'max:0.5'],
    refused: [
      ['max', 'max: needs exactly one number'],
      ['max:abc', 'max: `abc` is not a number'],
      ['max:0x10', 'is not a number'],
      ['max:Infinity', 'is not a number'],
    ],
  },
  max_digits: { accepted: ['max_digits:3'], refused: [['max_digits:a', 'not a whole number']] },
  min: { accepted: ['min:1'], refused: [['min:1,2', 'needs exactly one number']] },
  min_digits: { accepted: ['min_digits:0'], refused: [['min_digits', 'needs exactly one whole number']] },
  multiple_of: {
    accepted: ['multiple_of:5', 'multiple_of:0.5'],
    refused: [
      ['multiple_of:0', 'cannot be a multiple of 0'],
      ['multiple_of:x', 'is not a number'],
    ],
  },
  not_in: { accepted: ['not_in:a,b'], refused: [['not_in', 'at least one value']] },
  not_regex: {
    accepted: ['not_regex:/^\\d+$/'],
    refused: [
      ['not_regex:', 'needs a pattern'],
      ['not_regex:abc', 'delimiters'],
    ],
  },
  nullable: { accepted: ['nullable'], refused: [['nullable:x', 'takes no arguments']] },
  numeric: { accepted: ['numeric'], refused: [['numeric:x', 'takes no arguments']] },
  num: { accepted: ['num'], refused: [['num:x', 'takes no arguments']] },
  regex: {
    accepted: ['regex:/^[a-z,]+$/i', 'regex:#^\\d{1,3}$#', 'regex:{^a+$}', 'regex:/^ a \\d # comment\n$/x', 'regex:/^(?i)abc$/'],
    refused: [
      ['regex', 'regex: needs a pattern'],
      ['regex:^abc$', 'delimiters'],
      ['regex:/abc', 'delimiters'],
      ['regex:/(/', 'regex: invalid regex pattern'],
      ['regex:/a/U', 'unsupported pattern flag `U`'],
      ['regex:/a/1', 'delimiters'],
    ],
  },
  required: { accepted: ['required'], refused: [['required:x', 'takes no arguments']] },
  required_if: {
    accepted: ['required_if:MODE,a,b'],
    refused: [
      ['required_if:MODE', 'needs a variable and at least one value'],
      ['required_if:,a', 'needs a variable'],
    ],
  },
  required_if_accepted: {
    accepted: ['required_if_accepted:EULA'],
    refused: [
      ['required_if_accepted', 'needs exactly one variable'],
      ['required_if_accepted:A,B', 'needs exactly one variable'],
    ],
  },
  required_if_declined: { accepted: ['required_if_declined:EULA'], refused: [['required_if_declined:', 'needs exactly one variable']] },
  same: {
    accepted: ['same:OTHER'],
    refused: [
      ['same', 'needs exactly one variable'],
      ['same:A,B', 'needs exactly one variable'],
    ],
  },
  size: { accepted: ['size:3'], refused: [['size:three', 'is not a number']] },
  starts_with: { accepted: ['starts_with:http'], refused: [['starts_with', 'at least one prefix']] },
  string: { accepted: ['string'], refused: [['string:x', 'takes no arguments']] },
  str: { accepted: ['str'], refused: [['str:x', 'takes no arguments']] },
  timezone: { accepted: ['timezone', 'timezone:all'], refused: [] },
  uppercase: { accepted: ['uppercase'], refused: [['uppercase:x', 'takes no arguments']] },
  url: {
    accepted: ['url', 'url:http,https'],
    refused: [
      ['url:ht tp', 'protocols must be scheme names'],
      ['url:', 'protocols must be scheme names'],
    ],
  },
  uuid: {
    accepted: ['uuid', 'uuid:4', 'uuid:max', 'uuid:0'],
    refused: [
      ['uuid:9', 'invalid uuid version'],
      ['uuid:v4', 'invalid uuid version'],
      ['uuid:4,5', 'invalid uuid version'],
    ],
  },
}

describe('ruleProblem', () => {
  test('covers every supported rule', () => {
    expect(Object.keys(FORMS).sort()).toEqual([...SUPPORTED_RULES].sort())
  })

  for (const [name, { accepted, refused }] of Object.entries(FORMS)) {
    test(`${name}: accepted and refused forms`, () => {
      for (const rule of accepted) expect([rule, ruleProblem(rule)]).toEqual([rule, null])
      for (const [rule, message] of refused) {
        const problem = ruleProblem(rule)
        expect([rule, problem]).toEqual([rule, expect.stringContaining(message)])
        expect(problem!.startsWith(`${name}: `)).toBe(true)
      }
    })
  }

  test('unknown rules name the rule', () => {
    for (const rule of ['foo', 'sometimes', 'REQUIRED', ' required', 'required ', 'exists:users,id', '']) {
      expect(ruleProblem(rule)).toBe(`unknown or unsupported validation rule: ${rule}`)
    }
  })

  test('regex keeps the whole remainder (commas and colons included)', () => {
    expect(compilePattern('/^a,b:c$/')).toBeInstanceOf(RegExp)
    ok(['regex:/^a,b:c$/'], 'a,b:c')
    ok(['regex:/^[0-9]{1,3}(,[0-9]{3})*$/'], '1,000')
  })
})

describe('validateVariableValue', () => {
  test('blank values skip non-implicit rules; nullable skips "null"; unparsable rules are reported', () => {
    ok(['integer', 'max:5'], '')
    ok(['integer'], null)
    ok(['integer'], '   ')
    bad(['nullable', 'integer'], 'x', 'must be a valid integer')
    ok(['nullable', 'integer'], 'null')
    bad(['integer'], 'null', 'must be a valid integer')
    bad(['foo'], 'x', 'unknown or unsupported validation rule: foo')
  })

  test('required, accepted, declined (implicit)', () => {
    bad(['required'], '', 'is required and cannot be empty')
    bad(['required'], null, 'is required and cannot be empty')
    bad(['required'], '  ', 'is required and cannot be empty')
    ok(['required'], 'x')
    for (const v of ['yes', 'on', '1', 'true']) ok(['accepted'], v)
    for (const v of ['', 'no', 'TRUE', 'y']) bad(['accepted'], v, "must be 'yes', 'on', '1', or 'true'")
    for (const v of ['no', 'off', '0', 'false']) ok(['declined'], v)
    for (const v of ['', 'yes']) bad(['declined'], v, "must be 'no', 'off', '0', or 'false'")
  })

  test('the *_if rules look at the other variables', () => {
    ok(['required_if:MODE,custom'], '', { MODE: 'default' })
    bad(['required_if:MODE,custom,other'], '', "is required when 'MODE' is 'other'", { MODE: 'other' })
    ok(['required_if:MODE,custom'], 'x', { MODE: 'custom' })
    ok(['required_if:MODE,custom'], '')
    bad(['accepted_if:MODE,on'], 'no', "must be 'yes', 'on', '1', or 'true' when 'MODE' is 'on'", { MODE: 'on' })
    ok(['accepted_if:MODE,on'], 'yes', { MODE: 'on' })
    ok(['accepted_if:MODE,on'], 'no', { MODE: 'off' })
    bad(['declined_if:MODE,on'], 'yes', /must be 'no'/, { MODE: 'on' })
    ok(['declined_if:MODE,on'], 'no', { MODE: 'on' })
    bad(['required_if_accepted:EULA'], '', "is required when 'EULA' is accepted", { EULA: 'true' })
    ok(['required_if_accepted:EULA'], '', { EULA: 'false' })
    bad(['required_if_declined:EULA'], '', "is required when 'EULA' is declined", { EULA: 'off' })
    ok(['required_if_declined:EULA'], '', { EULA: 'on' })
  })

  test('same, different, confirmed', () => {
    ok(['same:A'], 'x', { A: 'x' })
    bad(['same:A'], 'x', "must be the same as 'A'", { A: 'y' })
    bad(['same:A'], 'x', "must be the same as 'A'")
    ok(['different:A,B'], 'x', { A: 'y', B: 'z' })
    bad(['different:A,B'], 'x', "must be different from 'B'", { A: 'y', B: 'x' })
    ok(['confirmed:PASSWORD_CONFIRM'], 'secret', { PASSWORD_CONFIRM: 'secret' })
    bad(['confirmed:PASSWORD_CONFIRM'], 'secret', /does not match confirmation field/, { PASSWORD_CONFIRM: 'other' })
    bad(['confirmed'], 'secret', /does not match confirmation field/)
  })

  test('string, str, nullable accept anything', () => {
    for (const r of ['string', 'str', 'nullable']) ok([r], 'anything at all 🙂')
  })

  test('alpha, alpha_num, alpha_dash, ascii, lowercase, uppercase', () => {
    ok(['alpha'], 'Größe')
    bad(['alpha:ascii'], 'Größe', 'must contain only alphabetic characters')
    bad(['alpha'], 'abc1', 'must contain only alphabetic characters')
    ok(['alpha_num'], 'abc123')
    bad(['alpha_num'], 'abc-1', 'must contain only alphanumeric characters')
    ok(['alpha_dash'], 'my_world-2')
    bad(['alpha_dash'], 'my world', 'must contain only alphanumeric characters, dashes, or underscores')
    bad(['alpha_dash:ascii'], 'wörld', /dashes/)
    ok(['ascii'], 'plain text ~')
    bad(['ascii'], 'café', 'must contain only ASCII characters')
    ok(['lowercase'], 'abc 1')
    bad(['lowercase'], 'aBc', 'must be lowercase')
    ok(['uppercase'], 'ABC 1')
    bad(['uppercase'], 'ABc', 'must be uppercase')
  })

  test('boolean, integer, numeric', () => {
    for (const v of ['0', '1', 'true', 'false']) ok(['boolean'], v)
    for (const v of ['yes', 'TRUE', '2']) bad(['boolean'], v, "must be a boolean ('0', '1', 'true' or 'false')")
    for (const v of ['0', '-5', '+7', ' 42 ', '9223372036854775807']) ok(['integer'], v)
    for (const v of ['1.5', '1e3', 'x', '9223372036854775808']) bad(['int'], v, 'must be a valid integer')
    for (const v of ['1', '1.5', '-.5', '1e3', ' 2 ']) ok(['numeric'], v)
    for (const v of ['0x1A', 'abc', '1e999', 'Infinity', '1,5']) bad(['num'], v, 'must be a valid numeric value')
  })

  test('size, min, max, between: numbers with a numeric rule, else lengths', () => {
    ok(['max:5'], 'abcde')
    bad(['max:5'], 'abcdef', 'must be less than or equal to 5')
    ok(['integer', 'max:64'], '64')
    bad(['integer', 'max:64'], '65', 'must be less than or equal to 64')
    // Without a numeric rule `123` is three characters long.
    bad(['max:2'], '123', 'must be less than or equal to 2')
    ok(['min:3'], 'abc')
    bad(['numeric', 'min:3'], '2.5', 'must be greater than or equal to 3')
    ok(['size:3'], 'äöü')
    bad(['size:3'], 'ab', 'must be equal to 3')
    ok(['numeric', 'size:3'], '3.0')
    ok(['integer', 'between:1,64'], '1')
    bad(['integer', 'between:1,64'], '128', 'must be between 1 and 64')
    bad(['between:2,3'], 'a', 'must be between 2 and 3')
  })

  test('gt, gte, lt, lte need a number (compared as one with a numeric rule, else by length)', () => {
    ok(['numeric', 'gt:0'], '1')
    bad(['numeric', 'gt:0'], '0', 'must be greater than 0')
    bad(['gt:0'], 'abc', 'must be greater than 0')
    ok(['gt:0'], '0') // one character long
    ok(['integer', 'gte:0'], '0')
    bad(['integer', 'gte:0'], '-1', 'must be greater than or equal to 0')
    ok(['numeric', 'lt:10'], '9.5')
    bad(['numeric', 'lt:10'], '10', 'must be less than 10')
    ok(['numeric', 'lte:10'], '10')
    bad(['lte:10'], 'x', 'must be less than or equal to 10')
  })

  test('multiple_of', () => {
    ok(['multiple_of:5'], '15')
    ok(['multiple_of:0.5'], '1.5')
    ok(['multiple_of:5'], '0')
    bad(['multiple_of:5'], '7', 'must be a multiple of 5')
    bad(['multiple_of:5'], 'x', 'must be a multiple of 5')
  })

  test('digits, digits_between, max_digits, min_digits', () => {
    ok(['digits:4'], '0123')
    bad(['digits:4'], '123', 'must contain exactly 4 digits')
    bad(['digits:4'], '12a4', 'must contain exactly 4 digits')
    ok(['digits_between:2,4'], '123')
    bad(['digits_between:2,4'], '12345', 'must contain between 2 and 4 digits')
    ok(['max_digits:3'], '999')
    bad(['max_digits:3'], '1000', 'must contain at most 3 digits')
    ok(['min_digits:3'], '100')
    bad(['min_digits:3'], '10', 'must contain at least 3 digits')
  })

  test('in, not_in, starts_with, ends_with, doesnt_start_with, doesnt_end_with', () => {
    ok(['in:vanilla,paper'], 'paper')
    bad(['in:vanilla,paper'], 'forge', 'must be one of: vanilla, paper')
    ok(['not_in:root,admin'], 'steve')
    bad(['not_in:root,admin'], 'root', 'must not be one of: root, admin')
    ok(['starts_with:http://,https://'], 'https://x')
    bad(['starts_with:http://,https://'], 'ftp://x', 'must start with one of: http://, https://')
    ok(['ends_with:.jar'], 'server.jar')
    bad(['ends_with:.jar'], 'server.zip', 'must end with one of: .jar')
    ok(['doesnt_start_with:/'], 'a/b')
    bad(['doesnt_start_with:/,.'], '.hidden', "must not start with '.'")
    ok(['doesnt_end_with:/'], 'a/b')
    bad(['doesnt_end_with:/'], 'a/', "must not end with '/'")
  })

  test('regex and not_regex (PHP delimiters and flags)', () => {
    ok(['regex:/^[a-z0-9_]{1,16}$/'], 'steve_01')
    bad(['regex:/^[a-z0-9_]{1,16}$/'], 'Steve!', "must match the regex pattern '/^[a-z0-9_]{1,16}$/'")
    ok(['regex:/^[a-z]+$/i'], 'ABC')
    ok(['regex:#^\\d+\\.\\d+$#'], '1.20')
    ok(['regex:/^ \\d+ # digits\n$/x'], '123')
    ok(['regex:/^(?i)abc$/'], 'ABC')
    ok(['regex:/\\Aabc\\z/'], 'abc')
    bad(['regex:/\\Aabc\\z/'], 'abcd', /must match/)
    ok(['not_regex:/\\s/'], 'nospace')
    bad(['not_regex:/\\s/'], 'a space', "must not match the regex pattern '/\\s/'")
  })

  test('date and date_format', () => {
    for (const v of ['2024-02-29', '2024-01-01T10:00:00', '2024-01-01 10:00', '2024-01-01T10:00:00.5+02:00', '2024-01-01T10:00:00Z'])
      ok(['date'], v)
    for (const v of ['2023-02-29', '2024-13-01', 'yesterday', '01/02/2024']) bad(['date'], v, 'must be a valid date')
    ok(['date_format:Y-m-d'], '2024-02-29')
    bad(['date_format:Y-m-d'], '2023-02-29', "must match the format 'Y-m-d'")
    bad(['date_format:Y-m-d'], '2024-2-1', "must match the format 'Y-m-d'")
    ok(['date_format:d/m/Y,Y-m-d'], '31/12/2024')
    ok(['date_format:H:i'], '23:59')
    bad(['date_format:H:i'], '24:00', /must match the format/)
    ok(['date_format:j M Y'], '1 Feb 2024')
    ok(['date_format:\\Y\\-Y'], 'Y-2024')
    ok(['date_format:D d M Y H:i:s O'], 'Thu 01 Feb 2024 10:00:00 +0100')
    // Arguments split on commas: a format cannot hold one.
    ok(['date_format:D, d M Y'], 'Thu')
  })

  test('hex_color, ip, ipv4, ipv6, json, mac_address', () => {
    for (const v of ['#fff', '#ffff', '#A0B1C2', '#a0b1c2ff']) ok(['hex_color'], v)
    for (const v of ['fff', '#ff', '#ggg', '#12345']) bad(['hex_color'], v, 'must be a valid hex color code')
    for (const v of ['10.0.0.1', '::1', '2001:db8::1']) ok(['ip'], v)
    for (const v of ['10.0.0.256', 'fe80::1%eth0', 'host']) bad(['ip'], v, 'must be a valid IP address')
    ok(['ipv4'], '127.0.0.1')
    bad(['ipv4'], '::1', 'must be a valid IPv4 address')
    ok(['ipv6'], '::ffff:10.0.0.1')
    bad(['ipv6'], '10.0.0.1', 'must be a valid IPv6 address')
    for (const v of ['{"a":1}', '[1]', '1', '"s"', 'null']) ok(['json'], v)
    for (const v of ['{a:1}', "'s'"]) bad(['json'], v, 'must be valid JSON')
    for (const v of ['00:1A:2b:3C:4d:5E', '00-1A-2B-3C-4D-5E', '001A.2B3C.4D5E']) ok(['mac_address'], v)
    for (const v of ['00:1A:2B:3C:4D', '00:1A:2B:3C:4D:5G', '00:1A-2B:3C:4D:5E']) bad(['mac_address'], v, 'must be a valid MAC address')
  })

  test('timezone, url, uuid', () => {
    for (const v of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires']) ok(['timezone'], v)
    for (const v of ['europe/berlin', 'Mars/Olympus', '+02:00']) bad(['timezone'], v, 'must be a valid timezone')
    for (const v of ['https://example.com/a?b', 'http://localhost:8080', 'file:///tmp/x', 'ftp://host']) ok(['url'], v)
    for (const v of ['example.com', 'mailto:a@b.c', 'https//x']) bad(['url'], v, 'must be a valid URL')
    ok(['url:https'], 'https://x.y')
    bad(['url:https'], 'http://x.y', 'must be a valid URL with one of the following protocols: https')
    const v4 = '3f2b8c1e-9d4a-4f6b-8c2d-1e0f9a8b7c6d'
    for (const v of [v4, v4.toUpperCase(), v4.replace(/-/g, ''), `{${v4}}`, `urn:uuid:${v4}`]) ok(['uuid'], v)
    for (const v of ['3f2b8c1e-9d4a-4f6b-8c2d', 'x', `{${v4}`, '3f2b8c1e9d4a-4f6b-8c2d-1e0f9a8b7c6d'])
      bad(['uuid'], v, 'must be a valid UUID')
    ok(['uuid:4'], v4)
    bad(['uuid:7'], v4, 'must be a valid UUID')
    ok(['uuid:max'], 'ffffffff-ffff-ffff-ffff-ffffffffffff')
    bad(['uuid:max'], v4, 'must be a valid UUID')
  })

  test('the first broken rule is reported, in the order given', () => {
    bad(['required', 'integer', 'between:1,64'], 'abc', 'must be a valid integer')
    bad(['between:1,2', 'integer'], 'abc', 'must be between 1 and 2')
  })
})
