import { Elysia, t } from 'elysia'
import { actorOf, type PluginContext } from 'hatchery'
import type { Mailer } from './service/mailer'
import { sendConnectionTest } from './service/connection-test'
import { getTemplate, listTemplates, updateTemplate } from './service/store'

const Identifier = t.Object({ identifier: t.String({ minLength: 1, maxLength: 255 }) })

const TemplateSummary = t.Object({ identifier: t.String(), available_variables: t.Array(t.String()) })

const TemplateDetail = t.Object({
  available_variables: t.Array(t.String()),
  default_enabled: t.Boolean(),
  enabled: t.Boolean(),
  default_subject: t.String(),
  subject: t.Union([t.String(), t.Null()]),
  default_content: t.String(),
  content: t.Union([t.String(), t.Null()]),
})

const TemplateEditBody = t.Object({
  content: t.Optional(
    t.Union([t.String({ minLength: 1, maxLength: 262_144 }), t.Null()], { description: 'HTML body; null resets to the default' }),
  ),
  subject: t.Optional(t.Union([t.String({ minLength: 1, maxLength: 255 }), t.Null()], { description: 'null resets to the default' })),
  enabled: t.Optional(t.Boolean()),
})

/**
 * `/api/admin/system/email`: the connection test and the administrator's template edits. The edits
 * are the mail plugin's override source (the table `email_templates`), consulted at every send.
 */
export function mailAdminRoutes(ctx: PluginContext, mailer: Mailer) {
  return new Elysia({ prefix: '/system/email', tags: ['admin system'] })
    .use(ctx.guard)
    .post(
      '/test',
      async ({ principal, request, body }) => {
        await sendConnectionTest(mailer, ctx.db, ctx.activity, actorOf(principal, request), body.email)
        return {}
      },
      {
        permission: 'admin:settings.read',
        body: t.Object({ email: t.String({ format: 'email', maxLength: 255 }) }),
        response: { 200: t.Object({}) },
        detail: {
          summary: 'Send the connection_test mail through the configured transport',
          description:
            'Waits for the transport (15 s at most). 400 when mail is off; 502 with the reason when the server refuses, is down or stays silent.',
        },
      },
    )
    .get('/templates', () => ({ email_templates: listTemplates(mailer.templates) }), {
      permission: 'admin:email-templates.read',
      response: { 200: t.Object({ email_templates: t.Array(TemplateSummary) }) },
      detail: { summary: 'Mail templates and the variables each can use' },
    })
    .get(
      '/templates/:identifier',
      async ({ params }) => ({ email_template: await getTemplate(ctx.db, mailer.templates, params.identifier) }),
      {
        permission: 'admin:email-templates.read',
        params: Identifier,
        response: { 200: t.Object({ email_template: TemplateDetail }) },
        detail: { summary: 'One mail template: defaults and the stored edits (null = not edited)' },
      },
    )
    .put(
      '/templates/:identifier',
      async ({ principal, request, params, body }) => {
        await updateTemplate(ctx.db, ctx.activity, actorOf(principal, request), mailer.templates, params.identifier, body)
        return {}
      },
      {
        permission: ['admin:settings.read', 'admin:email-templates.update'],
        params: Identifier,
        body: TemplateEditBody,
        response: { 200: t.Object({}) },
        detail: {
          summary: 'Edit a mail template',
          description:
            'Absent fields stay; `subject: null` or `content: null` goes back to the default. `content` is the HTML body; the text part is derived from it.',
        },
      },
    )
}
