import { t } from 'elysia'
import { Empty, type PluginContext } from 'hatchery'
import type { ServersApi } from '../api'
import { ServerVariable, UpdateServerVariables } from '../model'
import { getServer } from '../service/admin-servers'
import { setDockerImage, setStartupCommand, type StartupLog } from '../service/remote-startup'
import { listServerVariables, storeServerVariables } from '../service/server-variables'
import { pushConfiguration } from '../service/update'
import { serverActivity } from './activity'

const TAG = { tags: ['client servers'] }

/**
 * `GET`/`PUT /api/client/servers/{server}/startup/variables`, `PUT …/startup/command` and
 * `PUT …/startup/docker-image` (spec 03 §3.3). Every change is logged in the server's activity
 * in its transaction and the configuration is pushed to Wings after the commit.
 */
export function clientStartupRoutes(ctx: PluginContext, api: ServersApi) {
  type At = Parameters<typeof serverActivity>[2]
  const logTo =
    (at: At): StartupLog =>
    (tx, event, data) =>
      serverActivity(ctx, tx, at, event, data)
  const push = async (uuid: string) => void pushConfiguration(ctx, api, await getServer(ctx.db, uuid))
  return ctx
    .scope('client:server')
    .get('/startup/variables', async ({ resource: server }) => ({ variables: await listServerVariables(ctx.db, server.uuid, true) }), {
      permission: 'server:startup.read',
      response: { 200: t.Object({ variables: t.Array(ServerVariable) }) },
      detail: {
        ...TAG,
        summary: "The server's startup variables",
        description:
          "The egg's variables users may see, in the egg's order, with the server's value (else the default, else `\"\"`). Secret values are not masked.",
      },
    })
    .put(
      '/startup/variables',
      async ({ principal, request, resource, access, body }) => {
        const at = { principal, request, server: resource, access }
        await storeServerVariables(ctx.db, resource.uuid, body.variables, {
          editableOnly: true,
          duplicatePrefix: 'variables: ',
          log: (tx) => serverActivity(ctx, tx, at, 'server:startup.variables', { variables: body.variables }),
        })
        await push(resource.uuid)
        return {}
      },
      {
        permission: 'server:startup.update',
        body: UpdateServerVariables,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: "Set the server's startup variables",
          description:
            "An env var named twice: 400 `variables: duplicate environment variable: <ENV>`. Supplied values of variables users may not edit (or the egg lacks) are ignored; every egg variable is then checked with its new or current value against the egg's rules (400 `<ENV>: <why>`). The configuration is pushed to Wings.",
        },
      },
    )
    .put(
      '/startup/command',
      async ({ principal, request, resource, access, body }) => {
        await setStartupCommand(ctx.db, resource, { command: body.command }, logTo({ principal, request, server: resource, access }))
        await push(resource.uuid)
        return {}
      },
      {
        permission: 'server:startup.command',
        body: t.Object({ command: t.String({ minLength: 1, maxLength: 8192 }) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: "Set the server's startup command",
          description:
            "One of the egg's startup commands, or any when the egg configuration allows custom commands; else 417 `custom startup commands are not enabled for this server`. The configuration is pushed to Wings.",
        },
      },
    )
    .put(
      '/startup/docker-image',
      async ({ principal, request, resource, access, body }) => {
        const overwrite = await ctx.settings.get('server.allow_overwriting_custom_docker_image')
        await setDockerImage(ctx.db, resource, { image: body.image }, overwrite, logTo({ principal, request, server: resource, access }))
        await push(resource.uuid)
        return {}
      },
      {
        permission: 'server:startup.docker-image',
        body: t.Object({ image: t.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: "Set the server's docker image",
          description:
            "One of the egg's images (else 417 `the specified docker image is not available`); over a custom image only while `server.allow_overwriting_custom_docker_image` is on (else 417 `overwriting custom docker images is not allowed`). The configuration is pushed to Wings.",
        },
      },
    )
}
