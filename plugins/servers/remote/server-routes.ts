import { Empty, type PluginContext } from 'hatchery'
import mail from '../../mail'
import type { ServersApi } from '../api'
import { mailInstalled } from '../service/install-mail'
import { finishInstall } from '../service/remote-servers'
import { installScript, setDockerImage, setStartupCommand, setStartupVariable } from '../service/remote-startup'
import { RemoteServer } from '../wings/document-model'
import { DockerImage, InstallationScript, InstallReport, StartupCommand, StartupVariable } from './model'

const tags = ['remote']
const SCOPED = 'The server must run on the calling node or be transferred to it (else 404 `server not found`; 400 `invalid server id`).'

/** `/api/remote/servers/{server}/…` (spec 04 §3.2), under the `remote:server` scope. */
export function remoteServerRoutes(ctx: PluginContext, api: ServersApi) {
  return ctx
    .scope('remote:server')
    .get('', ({ resource }) => api.document(ctx.db, resource), {
      remote: true,
      response: { 200: RemoteServer },
      detail: {
        tags,
        summary: "A server's configuration document (spec 04 §3.3)",
        description: `Wings reads it on create, sync and transfer. ${SCOPED}`,
      },
    })
    .get('/install', ({ resource }) => installScript(ctx.db, resource), {
      remote: true,
      response: { 200: InstallationScript },
      detail: {
        tags,
        summary: "The egg's install script",
        description: SCOPED,
      },
    })
    .post(
      '/install',
      async ({ resource, body }) => {
        await finishInstall(ctx.db, resource, body.successful)
        await mailInstalled(ctx.db, ctx.api(mail), ctx.settings, resource)
        return {}
      },
      {
        remote: true,
        body: InstallReport,
        response: { 200: Empty },
        detail: {
          tags,
          summary: 'Wings reports an install',
          description: `The status becomes null (success) or \`install_failed\`, whatever it was; the owner gets the \`server_installed\` mail. ${SCOPED}`,
        },
      },
    )
    .put(
      '/startup/variables',
      async ({ resource, body }) => {
        await setStartupVariable(ctx.db, resource, body)
        return {}
      },
      {
        remote: true,
        body: StartupVariable,
        response: { 200: Empty },
        detail: {
          tags,
          summary: 'A schedule sets a startup variable',
          description: `404 \`variable not found\`, 400 \`variable is not editable\` or the broken rule. Logged \`server:startup.variables\`. ${SCOPED}`,
        },
      },
    )
    .put(
      '/startup/command',
      async ({ resource, body }) => {
        await setStartupCommand(ctx.db, resource, body)
        return {}
      },
      {
        remote: true,
        body: StartupCommand,
        response: { 200: Empty },
        detail: {
          tags,
          summary: 'A schedule sets the startup command',
          description: `417 unless it is one of the egg's commands or the egg configuration allows custom ones. Logged \`server:startup.command\`. ${SCOPED}`,
        },
      },
    )
    .put(
      '/startup/docker-image',
      async ({ resource, body }) => {
        await setDockerImage(ctx.db, resource, body, await ctx.settings.get('server.allow_overwriting_custom_docker_image'))
        return {}
      },
      {
        remote: true,
        body: DockerImage,
        response: { 200: Empty },
        detail: {
          tags,
          summary: 'A schedule sets the docker image',
          description: `417 unless the image is the egg's, and (without \`server.allow_overwriting_custom_docker_image\`) the current one is too. Logged \`server:startup.docker-image\`. ${SCOPED}`,
        },
      },
    )
}
