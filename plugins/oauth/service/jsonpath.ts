import type * as JsonPathPlus from 'jsonpath-plus'

// jsonpath-plus (~7 MiB) is loaded when an OAuth path is first checked or read, not at boot. A plain
// require with a literal name (these functions are synchronous), which the binary's bundler follows.
let loaded: typeof JsonPathPlus | undefined
const JSONPath = (options: { path: string; json: object; eval: false; wrap: true }): unknown =>
  (loaded ??= require('jsonpath-plus') as typeof JsonPathPlus).JSONPath(options)

/**
 * Why `path` is not an acceptable JSONPath, or null. Accepted: `$`-rooted paths of names, indexes,
 * wildcards and descendants (`$.sub`, `$.groups[0]`, `$["e-mail"]`, `$..id`). Filter and script
 * expressions (`?(…)`, `(…)`) are refused: nothing from an admin or a provider is ever evaluated.
 */
export function jsonPathProblem(path: string): string | null {
  if (!path.startsWith('$')) return 'must start with $'
  if (/[()]/.test(path)) return 'filter and script expressions are not allowed'
  let depth = 0
  let quote: string | null = null
  for (const c of path) {
    if (quote) {
      if (c === quote) quote = null
    } else if (c === '"' || c === "'") quote = c
    else if (c === '[') depth++
    else if (c === ']' && --depth < 0) return 'unbalanced brackets'
  }
  if (quote || depth !== 0) return quote ? 'unterminated quote' : 'unbalanced brackets'
  if (/\.\[|\.\.\.|\.$/.test(path)) return 'not a valid JSONPath'
  try {
    JSONPath({ path, json: {}, eval: false, wrap: true })
  } catch {
    return 'not a valid JSONPath'
  }
  return null
}

/** Every value `path` selects in `doc` (no evaluation of expressions). */
export function queryJson(path: string, doc: unknown): unknown[] {
  if (jsonPathProblem(path)) return []
  try {
    const found = JSONPath({ path, json: doc as object, eval: false, wrap: true })
    return Array.isArray(found) ? found : []
  } catch {
    return []
  }
}

/** A selected value as text: strings as they are, anything else as JSON. */
export const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value))

/** The first value `path` selects, as text cut to `max` characters, or null when nothing matches. */
export function extractText(path: string, doc: unknown, max: number): string | null {
  const [first] = queryJson(path, doc)
  if (first === undefined || first === null) return null
  return [...asText(first)].slice(0, max).join('')
}
