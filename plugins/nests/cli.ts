import { readFile } from 'node:fs/promises'
import { BadRequest, SYSTEM_ACTOR, transaction, type CliCommand, type PluginContext } from 'hatchery'
import { parseEgg, readEggDocument, EGG_MAX_BYTES } from './format'
import { fetchEggDocument, importAudit, importEgg, importFailure } from './import-service'
import { getNest } from './service/nests'

/** A file path or an http(s) URL, read into an egg document. */
async function readSource(ctx: PluginContext, source: string): Promise<unknown> {
  if (/^https?:\/\//i.test(source)) {
    const allowPrivate = (await ctx.settings.snapshot()).get('outbound.allow_private_addresses')
    return fetchEggDocument(source, allowPrivate)
  }
  const bytes = await readFile(source).catch((e: NodeJS.ErrnoException) => {
    throw new BadRequest(`cannot read ${source}: ${e.code ?? e.message}`)
  })
  if (bytes.byteLength > EGG_MAX_BYTES) throw new BadRequest('egg is too large')
  return readEggDocument(bytes.toString('utf8'))
}

/** `panel nests …` */
export function nestsCli(): Record<string, CliCommand> {
  return {
    'nests import': {
      description: 'Import egg files or URLs into a nest: panel nests import NEST FILE|URL... (exit 1 when any failed)',
      async run(ctx, { positionals }, io) {
        const [nestUuid, ...sources] = positionals
        if (!nestUuid || sources.length === 0) throw new BadRequest('usage: panel nests import NEST FILE|URL...')
        const nest = await getNest(ctx.db, nestUuid)
        const results: {
          source: string
          uuid?: string
          name?: string
          error?: string
          dropped_rules: unknown[]
          skipped_variables: unknown[]
        }[] = []
        for (const [i, source] of sources.entries()) {
          const step = `[${i + 1}/${sources.length}] ${source}`
          try {
            const parsed = parseEgg(await readSource(ctx, source))
            const egg = await transaction(ctx.db, async (tx) => {
              const egg = await importEgg(tx, nest.uuid, parsed)
              await ctx.activity.admin(tx, SYSTEM_ACTOR, 'nest:egg.create', { ...importAudit(egg), source: 'cli' })
              return egg
            })
            results.push({ source, uuid: egg.uuid, name: egg.name, dropped_rules: parsed.dropped, skipped_variables: parsed.skipped })
            const notes = [
              ...parsed.dropped.map((d) => `dropped rule ${d.rule} of ${d.env_variable}`),
              ...parsed.skipped.map((s) => `skipped variable ${s.env_variable} (${s.reason})`),
            ]
            if (!io.json) io.result(null, `${step}: imported ${egg.name} (${egg.uuid})${notes.length ? `; ${notes.join('; ')}` : ''}`)
          } catch (e) {
            const error = importFailure(e)
            if (error === null) throw e
            results.push({ source, error, dropped_rules: [], skipped_variables: [] })
            if (!io.json) io.result(null, `${step}: failed: ${error}`)
          }
        }
        const failed = results.filter((r) => r.error !== undefined).length
        io.result({ imported: results.length - failed, failed, results }, `${results.length - failed} imported, ${failed} failed`)
        return failed > 0 ? 1 : 0
      },
    },
  }
}
