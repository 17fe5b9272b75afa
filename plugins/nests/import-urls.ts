import { transaction, type Actor, type PluginContext } from 'hatchery'
import { parseEgg } from './format'
import { fetchEggDocument, importAudit, importEgg, importFailure, type EggRow } from './import-service'
import { toAdminEgg } from './service/eggs'

/** URLs fetched at once by `import/url`. */
export const URL_CONCURRENCY = 5

interface Outcome {
  url: string
  egg?: EggRow
  error?: string
  dropped: { env_variable: string; rule: string; reason: string }[]
  skipped: { env_variable: string; reason: string }[]
}

/**
 * `POST …/eggs/import/url`: each URL fetched (at most `URL_CONCURRENCY` at a time) and imported in
 * its own transaction; failures of one URL are collected, any other error aborts the request
 * (eggs already imported stay, as in the reference). Answers in the order of `urls`.
 */
export async function importFromUrls(ctx: PluginContext, nestUuid: string, urls: string[], actor: Actor, allowPrivate: boolean) {
  const outcomes: Outcome[] = new Array(urls.length)
  let next = 0
  const worker = async () => {
    while (next < urls.length) {
      const i = next++
      const url = urls[i]
      try {
        const parsed = parseEgg(await fetchEggDocument(url, allowPrivate))
        const egg = await transaction(ctx.db, async (tx) => {
          const egg = await importEgg(tx, nestUuid, parsed)
          await ctx.activity.admin(tx, actor, 'nest:egg.create', { ...importAudit(egg), url })
          return egg
        })
        outcomes[i] = { url, egg, dropped: parsed.dropped, skipped: parsed.skipped }
      } catch (e) {
        const error = importFailure(e)
        if (error === null) throw e
        outcomes[i] = { url, error, dropped: [], skipped: [] }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(URL_CONCURRENCY, urls.length) }, worker))
  return {
    eggs: outcomes.filter((o) => o.egg).map((o) => toAdminEgg(o.egg!)),
    failures: outcomes.filter((o) => o.error !== undefined).map((o) => ({ url: o.url, error: o.error! })),
    dropped_rules: outcomes.flatMap((o) => o.dropped.map((d) => ({ url: o.url, ...d }))),
    skipped_variables: outcomes.flatMap((o) => o.skipped.map((s) => ({ url: o.url, ...s }))),
  }
}
