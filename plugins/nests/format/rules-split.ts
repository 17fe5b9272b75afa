/** Splits a Laravel pipe string; a `regex:`/`not_regex:` pattern keeps the `|` inside its delimiters. */
export function splitRules(rules: string): string[] {
  const pieces = rules.split('|')
  const out: string[] = []
  for (let i = 0; i < pieces.length; i++) {
    let rule = pieces[i]
    const m = /^(?:not_)?regex:/.exec(rule)
    if (m) while (!patternClosed(rule.slice(m[0].length)) && i + 1 < pieces.length) rule += `|${pieces[++i]}`
    if (rule !== '') out.push(rule)
  }
  return out
}

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' }
function patternClosed(pattern: string): boolean {
  // Not a delimited pattern (PCRE delimiters are neither alphanumeric, a backslash nor blank): nothing to join.
  if (pattern.length === 0 || /[\p{L}\p{N}\\\s]/u.test(pattern[0])) return true
  if (pattern.length < 2) return false
  const close = CLOSERS[pattern[0]] ?? pattern[0]
  const body = pattern.replace(/[a-zA-Z]*$/, '')
  if (body.length < 2 || body[body.length - 1] !== close) return false
  let slashes = 0
  for (let i = body.length - 2; i >= 0 && body[i] === '\\'; i--) slashes++
  return slashes % 2 === 0
}
