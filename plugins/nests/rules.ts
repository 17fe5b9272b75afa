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

/** Why a rule string is refused (`unknown or unsupported validation rule: <r>`, or its argument's problem), or null. */
export function ruleProblem(rule: string): string | null {
  const colon = rule.indexOf(':')
  const name = colon < 0 ? rule : rule.slice(0, colon)
  if (!SUPPORTED_RULES.has(name)) return `unknown or unsupported validation rule: ${rule}`
  return null
}

/** Placeholder until the value validator lands. */
export function validateVariableValue(_rules: string[], _value: string | null): string | null {
  return null
}
