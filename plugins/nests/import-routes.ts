import { Elysia, t } from 'elysia'
import { actorOf, BadRequest, LimitExceeded, readRawBody, transaction, Validation, type PluginContext } from 'hatchery'
import { EGG_MAX_BYTES, parseEgg, readEggDocument, type ParsedEgg } from './format'
import { ExportedEgg, ImportAnswer, ImportUrl, ImportUrls, ImportUrlsAnswer, UpdateImportAnswer } from './import-model'
import { EggFetchError, exportEggDocument, fetchEggDocument, importAudit, importEgg, updateFrom } from './import-service'
import { getEgg, toAdminEgg } from './service/eggs'
import { getNest } from './service/nests'
import { importFromUrls } from './import-urls'

const READ = 'admin:nests.read' as const
const EGG_READ = 'admin:eggs.read' as const
const NestParams = t.Object({ nest: t.String({ description: 'Nest uuid' }) })
const EggParams = t.Object({ nest: t.String({ description: 'Nest uuid' }), egg: t.String({ description: 'Egg uuid' }) })
const YAML = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'])
const FORMATS =
  'Pterodactyl PTDL_v1 (its `images` list becomes `docker_images` named by the image) and PTDL_v2, Pelican PLCN_v1/v2/v3 and Calagopus exports, as JSON or YAML, up to 1 MiB.'
const REPORT =
  'Hatchery extension: `dropped_rules` lists the variable rules the panel does not know, taken off their variable (the variable is kept; the reference skips the whole variable), and `skipped_variables` the variables left out (a limit of the variable routes broken, e.g. a name under 3 characters, or a repeated `env_variable`). A variable without an order gets its 1-based position.'
const DOCUMENT = {
  schema: {
    type: 'object' as const,
    description: 'An egg document in any accepted format, in YAML or (with `Content-Type: application/json`) JSON',
  },
}
// Without an \`application/json\` entry: the kernel documents a raw body that has one as bytes.
const DOCUMENT_BODY = { required: true, content: { 'application/yaml': DOCUMENT, 'text/yaml': DOCUMENT } }

/** An egg document sent as the body: JSON, or YAML with a YAML Content-Type; 413 above 1 MiB. */
async function readBody(request: Request): Promise<unknown> {
  const media = request.headers.get('content-type')?.split(';', 1)[0].trim().toLowerCase()
  if (!media) throw new BadRequest('invalid payload: missing content type header')
  if (media !== 'application/json' && !YAML.has(media)) throw new BadRequest('invalid payload: unsupported content type')
  const bytes = await readRawBody(request, EGG_MAX_BYTES)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new BadRequest('invalid payload: body is not valid UTF-8')
  }
  return readEggDocument(text, media === 'application/json' ? 'json' : 'yaml')
}

const report = (p: ParsedEgg) => ({ dropped_rules: p.dropped, skipped_variables: p.skipped })

/** `/api/admin/nests/{nest}/eggs/import…`, `…/{egg}/export` and `…/{egg}/update/import…` (spec 02 §7.2, §7.3). */
export function eggImportRoutes(ctx: PluginContext) {
  const allowPrivate = async () => (await ctx.settings.snapshot()).get('outbound.allow_private_addresses')
  return new Elysia({ prefix: '/nests', tags: ['admin nests'] })
    .use(ctx.guard)
    .post(
      '/:nest/eggs/import',
      async ({ principal, params, request }) => {
        const nest = await getNest(ctx.db, params.nest)
        const parsed = parseEgg(await readBody(request))
        const egg = await transaction(ctx.db, async (tx) => {
          const egg = await importEgg(tx, nest.uuid, parsed)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.create', importAudit(egg))
          return egg
        })
        return { egg: toAdminEgg(egg), ...report(parsed) }
      },
      {
        permission: [READ, 'admin:eggs.create'],
        params: NestParams,
        rawBody: true,
        response: { 200: ImportAnswer },
        detail: {
          summary: 'Import an egg file',
          description: `The body is an egg document: JSON (\`Content-Type: application/json\`) or YAML (\`application/yaml\`, \`text/yaml\`); other types (MessagePack, XML) are a 400 \`invalid payload: unsupported content type\`. ${FORMATS} The egg and all its variables are created together or not at all. 409 \`egg with name already exists\`. ${REPORT}`,
          requestBody: DOCUMENT_BODY,
        },
      },
    )
    .post(
      '/:nest/eggs/import/url',
      async ({ principal, params, body, request }) => {
        const nest = await getNest(ctx.db, params.nest)
        return importFromUrls(ctx, nest.uuid, body.urls, actorOf(principal, request), await allowPrivate())
      },
      {
        permission: [READ, 'admin:eggs.create'],
        params: NestParams,
        body: ImportUrls,
        response: { 200: ImportUrlsAnswer },
        timeout: 120,
        detail: {
          summary: 'Import egg files from URLs',
          description: `Fetches each URL (5 at a time) through the panel's outbound guard: https only and no private, loopback or reserved address unless the setting \`outbound.allow_private_addresses\` is on. ${FORMATS} Each egg is imported in its own transaction; a URL that fails (\`server responded with status <code>\`, \`egg is too large\`, a document that is no egg — collected here, where the reference aborts —, or \`egg with name already exists\`) is listed in \`failures\` and the others are imported. ${REPORT}`,
        },
      },
    )
    .get(
      '/:nest/eggs/:egg/export',
      async ({ params }) => {
        const nest = await getNest(ctx.db, params.nest)
        return exportEggDocument(ctx.db, await getEgg(ctx.db, nest.uuid, params.egg))
      },
      {
        permission: [READ, EGG_READ],
        params: EggParams,
        response: { 200: ExportedEgg },
        detail: {
          summary: 'Export an egg',
          description:
            'The egg document itself (not wrapped), in the Calagopus export format; every import route reads it back to an equal egg.',
        },
      },
    )
    .post(
      '/:nest/eggs/:egg/update/import',
      async ({ principal, params, request }) => {
        const nest = await getNest(ctx.db, params.nest)
        await getEgg(ctx.db, nest.uuid, params.egg)
        const parsed = parseEgg(await readBody(request))
        await updateFrom(ctx, nest.uuid, params.egg, () => parsed, actorOf(principal, request))
        return report(parsed)
      },
      {
        permission: [READ, EGG_READ, 'admin:eggs.update'],
        params: EggParams,
        rawBody: true,
        response: { 200: UpdateImportAnswer },
        detail: {
          summary: 'Update an egg from an egg file',
          description: `Overwrites the egg's fields from the document and upserts its variables by \`env_variable\` (their \`secret\` flag kept); variables the document does not name are kept after the others. ${FORMATS} 409 \`egg with name already exists\`. ${REPORT}`,
          requestBody: DOCUMENT_BODY,
        },
      },
    )
    .post(
      '/:nest/eggs/:egg/update/import/url',
      async ({ principal, params, body, request }) => {
        const nest = await getNest(ctx.db, params.nest)
        await getEgg(ctx.db, nest.uuid, params.egg)
        let parsed
        try {
          parsed = parseEgg(await fetchEggDocument(body.url, await allowPrivate()))
        } catch (e) {
          // The egg limits stay a 400 (as in the reference); a fetch or a document that is no egg is a 417.
          if (e instanceof EggFetchError) throw new LimitExceeded(e.message)
          if (e instanceof BadRequest && !(e instanceof Validation)) throw new LimitExceeded(e.messages.join('; '))
          throw e
        }
        await updateFrom(ctx, nest.uuid, params.egg, () => parsed, actorOf(principal, request), { url: body.url })
        return report(parsed)
      },
      {
        permission: [READ, EGG_READ, 'admin:eggs.update'],
        params: EggParams,
        body: ImportUrl,
        response: { 200: UpdateImportAnswer },
        timeout: 60,
        detail: {
          summary: 'Update an egg from an egg file at a URL',
          description: `As \`update/import\`, with the document fetched through the panel's outbound guard (see \`import/url\`). A fetch or a document that cannot be read is a 417 with the reason; an egg breaking the egg limits (name 1..255 characters, …) a 400. 409 \`egg with name already exists\`. ${REPORT}`,
        },
      },
    )
}
