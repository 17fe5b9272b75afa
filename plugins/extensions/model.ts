import { t } from 'elysia'

/** The reference's `metadata.toml` of an extension, as the web frontend reads it. */
const MetadataToml = t.Object({
  package_name: t.String(),
  name: t.String(),
  panel_version: t.String({ description: 'Panel versions the extension supports (semver range); Hatchery plugins declare none: `*`' }),
  license_text: t.Nullable(t.String()),
})

const Names = (description: string) => t.Array(t.String(), { description })

/** One installed plugin: the reference's extension fields, then Hatchery's. */
export const Extension = t.Object({
  metadata_toml: MetadataToml,
  package_name: t.String({ description: 'The plugin name' }),
  description: t.String(),
  authors: t.Array(t.String()),
  version: t.String(),
  enabled: t.Boolean({ description: 'Hatchery: whether its routes, jobs and permission listing are on in this process' }),
  external: t.Boolean({ description: 'Hatchery: loaded from PLUGINS_DIR (false: bundled)' }),
  depends_on: Names('Hatchery: plugins it needs (enabling it needs them enabled)'),
  dependants: Names('Hatchery: plugins that need it (disabling it needs them disabled)'),
  routes: Names('Hatchery: `METHOD /path` of the routes it adds'),
  permissions: Names('Hatchery: `catalog:group.permission` of the permissions it adds'),
  jobs: Names('Hatchery: `<plugin>:<job>` of its background jobs'),
})

export const ExtensionList = t.Object({
  extensions: t.Array(Extension),
  disabled: Names('Plugins switched off in this process now'),
  pending_disabled: Names('The stored list (setting `extensions.disabled`); every process follows it within 2 s'),
})

export const ExtensionParam = t.Object({ extension: t.String({ minLength: 1, maxLength: 255, description: 'The plugin name' }) })
