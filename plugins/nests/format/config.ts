import { BadRequest } from 'hatchery'
import type { ConfigFile, ConfigFileReplacement } from '../tables'
import { bool, child, field, invalidType, jsonish, object, optString, string, at } from './read'

/** The configuration-file parsers Wings knows. */
export const CONFIG_PARSERS = ['file', 'yaml', 'properties', 'ini', 'json', 'xml', 'toml'] as const

/**
 * `config.files`: a Pterodactyl JSON string or an object; per file a Pterodactyl/Pelican `find` map
 * (one replacement per key, `insert_new` unless the parser is `file`) or a Calagopus `replace` list.
 */
export function configFiles(v: unknown, path: string): ConfigFile[] {
  const files = jsonish(v ?? {}, path, {})
  if (files === null) return []
  return Object.entries(object(files, path)).map(([file, raw]) => {
    const p = child(path, file)
    const spec = object(raw, p)
    const parser = string(field(spec, 'parser', p), child(p, 'parser'))
    if (!(CONFIG_PARSERS as readonly string[]).includes(parser)) {
      throw new BadRequest(
        at(child(p, 'parser'), `unknown variant \`${parser}\`, expected one of ${CONFIG_PARSERS.map((x) => `\`${x}\``).join(', ')}`),
      )
    }
    if (spec.replace !== undefined) {
      // Calagopus: a list of replacements.
      if (!Array.isArray(spec.replace)) throw invalidType(child(p, 'replace'), spec.replace, 'a sequence')
      const replace = spec.replace.map((r, i): ConfigFileReplacement => {
        const rp = `${child(p, 'replace')}[${i}]`
        const o = object(r, rp)
        return {
          match: string(field(o, 'match', rp), child(rp, 'match')),
          insert_new: bool(o.insert_new, child(rp, 'insert_new'), false),
          update_existing: bool(o.update_existing, child(rp, 'update_existing'), true),
          if_value: optString(o.if_value, child(rp, 'if_value')),
          replace_with: field(o, 'replace_with', rp),
        }
      })
      return { file, create_new: bool(spec.create_new ?? spec.create_file, child(p, 'create_new'), true), parser, replace }
    }
    // Pterodactyl / Pelican: `find` maps a key to its new value.
    const find = spec.find === undefined || spec.find === null ? {} : object(spec.find, child(p, 'find'))
    const replace = Object.entries(find).map(([match, replace_with]): ConfigFileReplacement => ({
      match,
      insert_new: parser !== 'file',
      update_existing: true,
      if_value: null,
      replace_with,
    }))
    return { file, create_new: true, parser, replace }
  })
}

/** `config.startup`: a JSON string or an object; a single `done` string becomes a list. */
export function configStartup(v: unknown, path: string): { done: string[]; strip_ansi: boolean } {
  const startup = jsonish(v, path, null)
  if (startup === undefined || startup === null) return { done: [], strip_ansi: false }
  const o = object(startup, path)
  const done = o.done
  return {
    done:
      done === undefined || done === null
        ? []
        : typeof done === 'string'
          ? [done]
          : Array.isArray(done)
            ? done.map((d, i) => string(d, `${child(path, 'done')}[${i}]`))
            : (() => {
                throw invalidType(child(path, 'done'), done, 'a string or a sequence of strings')
              })(),
    strip_ansi: bool(o.strip_ansi, child(path, 'strip_ansi'), false),
  }
}

/** `config.stop`: an object, a JSON string of one, `^C` (SIGINT), `^^C` (SIGKILL), or a stop command. */
export function configStop(v: unknown, path: string): { type: string; value: string | null } {
  if (v === undefined || v === null) return { type: '', value: null }
  if (typeof v === 'string') {
    if (v.trim().startsWith('{')) {
      try {
        return configStop(object(JSON.parse(v), path), path)
      } catch {
        // not a JSON object: a stop command that happens to start with `{`
      }
    }
    if (v === '^C') return { type: 'signal', value: 'SIGINT' }
    if (v === '^^C') return { type: 'signal', value: 'SIGKILL' }
    return { type: 'command', value: v }
  }
  const o = object(v, path)
  return { type: string(field(o, 'type', path), child(path, 'type')), value: optString(o.value, child(path, 'value')) }
}
