/* The reference permission catalogs (user, admin, server), in serialization order. */
import type { PermissionGroups } from './permissions'

export const USER_PERMISSIONS: PermissionGroups = {
  account: {
    description: 'Permissions that control the ability to change account settings.',
    permissions: {
      infos: "Allows changing the account's basic account information.",
      email: "Allows changing the account's email address.",
      password: "Allows changing the account's password.",
      'two-factor': 'Allows adding and removing two-factor authentication.',
      avatar: "Allows updating and removing the account's avatar.",
    },
  },
  servers: {
    description: 'Permissions that control the ability to list servers and manage server groups.',
    permissions: {
      create: 'Allows creating new server groups.',
      read: 'Allows viewing servers and server groups.',
      update: 'Allows modifying server groups.',
      delete: 'Allows deleting server groups.',
    },
  },
  'api-keys': {
    description:
      'Permissions that control the ability to manage API keys on an account. API keys can never edit themselves or assign permissions they do not have.',
    permissions: {
      create: 'Allows creating new API keys.',
      read: 'Allows viewing API keys and their permissions.',
      update: 'Allows modifying other API keys.',
      delete: 'Allows deleting API keys.',
      recreate: 'Allows recreating API keys.',
    },
  },
  'security-keys': {
    description: 'Permissions that control the ability to manage security keys on an account.',
    permissions: {
      create: 'Allows creating new security keys.',
      read: 'Allows viewing security keys.',
      update: 'Allows modifying security keys.',
      delete: 'Allows deleting security keys.',
    },
  },
  'ssh-keys': {
    description: 'Permissions that control the ability to manage SSH keys on an account.',
    permissions: {
      create: 'Allows creating or importing new SSH keys.',
      read: 'Allows viewing SSH keys.',
      update: 'Allows modifying other SSH keys.',
      delete: 'Allows deleting SSH keys.',
    },
  },
  'oauth-links': {
    description: 'Permissions that control the ability to manage OAuth links on an account.',
    permissions: {
      create: 'Allows creating new OAuth links.',
      read: 'Allows viewing OAuth links.',
      delete: 'Allows deleting OAuth links.',
    },
  },
  'command-snippets': {
    description: 'Permissions that control the ability to manage command snippets on an account.',
    permissions: {
      create: 'Allows creating new command snippets.',
      read: 'Allows viewing command snippets.',
      update: 'Allows modifying command snippets.',
      delete: 'Allows deleting command snippets.',
    },
  },
  sessions: {
    description: 'Permissions that control the ability to manage sessions on an account.',
    permissions: {
      read: 'Allows viewing sessions and their IP addresses.',
      delete: 'Allows deleting sessions.',
    },
  },
  activity: {
    description: 'Permissions that control the ability to view the activity log on an account.',
    permissions: {
      read: "Allows viewing the account's activity logs.",
    },
  },
}

export const ADMIN_PERMISSIONS: PermissionGroups = {
  stats: {
    description: 'Permissions that control the ability to view stats for the panel.',
    permissions: {
      read: 'Allows viewing panel statistics.',
    },
  },
  settings: {
    description: 'Permissions that control the ability to manage settings for the panel.',
    permissions: {
      read: 'Allows viewing panel settings and secrets.',
      update: 'Allows modifying panel settings and secrets.',
    },
  },
  'email-templates': {
    description: 'Permissions that control the ability to manage email templates for the panel.',
    permissions: {
      read: 'Allows viewing email templates.',
      update: 'Allows modifying email templates.',
    },
  },
  extensions: {
    description: 'Permissions that control the ability to manage extensions for the panel.',
    permissions: {
      read: 'Allows viewing panel extensions.',
      manage: 'Allows installing, updating, and removing panel extensions, usually also used to manage extension settings.',
    },
  },
  announcements: {
    description: 'Permissions that control the ability to manage announcements for the panel.',
    permissions: {
      create: 'Allows creating new announcements.',
      read: 'Allows viewing announcements.',
      update: 'Allows modifying announcements.',
      delete: 'Allows deleting announcements.',
    },
  },
  assets: {
    description: 'Permissions that control the ability to manage assets for the panel.',
    permissions: {
      read: 'Allows viewing panel assets.',
      upload: 'Allows creating and modifying assets.',
      delete: 'Allows deleting panel assets.',
    },
  },
  users: {
    description: 'Permissions that control the ability to manage users for the panel.',
    permissions: {
      create: 'Allows creating new users.',
      read: 'Allows viewing users.',
      update: 'Allows modifying users.',
      'disable-two-factor': 'Allows removing two-factor authentication from users.',
      delete: 'Allows deleting users.',
      email: 'Allows sending email actions to users, such as password resets.',
      activity: "Allows viewing a user's activity log.",
      'oauth-links': "Allows viewing and managing a user's OAuth links.",
      impersonate: 'Allows impersonating other users.',
    },
  },
  roles: {
    description: 'Permissions that control the ability to manage roles for the panel.',
    permissions: {
      create: 'Allows creating new roles.',
      read: 'Allows viewing roles.',
      update: 'Allows modifying roles.',
      delete: 'Allows deleting roles.',
    },
  },
  locations: {
    description: 'Permissions that control the ability to manage locations for the panel.',
    permissions: {
      create: 'Allows creating new locations.',
      read: 'Allows viewing locations.',
      update: 'Allows modifying locations.',
      delete: 'Allows deleting locations.',
      'database-hosts': "Allows viewing and managing a location's database hosts.",
      'database-agent-hosts': "Allows viewing and managing a location's database agent hosts.",
    },
  },
  'backup-configurations': {
    description: 'Permissions that control the ability to manage backup configurations for the panel.',
    permissions: {
      create: 'Allows creating new backup configurations.',
      read: 'Allows viewing backup configurations and their passwords.',
      update: 'Allows modifying backup configurations and their passwords.',
      delete: 'Allows deleting backup configurations.',
      backups: 'Allows viewing backups associated with a backup configuration.',
    },
  },
  'system-backup-policies': {
    description: 'Permissions that control the ability to manage system backup policies for the panel.',
    permissions: {
      create: 'Allows creating new system backup policies.',
      read: 'Allows viewing system backup policies.',
      update: 'Allows modifying system backup policies and their attached nodes, locations and servers.',
      delete: 'Allows deleting system backup policies.',
      backups: 'Allows viewing backups associated with a system backup policy.',
    },
  },
  nodes: {
    description: 'Permissions that control the ability to manage nodes for the panel.',
    permissions: {
      create: 'Allows creating new nodes.',
      read: 'Allows viewing nodes.',
      update: 'Allows modifying nodes.',
      delete: 'Allows deleting nodes.',
      'read-token': "Allows viewing a node's token.",
      'reset-token': "Allows resetting a node's token.",
      allocations: "Allows viewing and managing a node's allocations.",
      mounts: "Allows viewing and managing a node's mounts.",
      'database-hosts': "Allows viewing and managing a node's database hosts.",
      'database-agent-hosts': "Allows viewing and managing a node's database agent hosts.",
      backups: "Allows viewing and managing a node's backups.",
      power: 'Allows executing mass-power actions on nodes.',
      transfers: 'Allows viewing and managing mass-server transfers between nodes.',
    },
  },
  servers: {
    description: 'Permissions that control the ability to manage servers for the panel.',
    permissions: {
      create: 'Allows creating new servers.',
      read: 'Allows viewing servers.',
      update: 'Allows modifying servers.',
      delete: 'Allows deleting servers.',
      transfer: 'Allows transferring servers to other nodes or canceling ongoing transfers.',
      allocations: "Allows viewing and managing a server's allocations.",
      variables: "Allows viewing and managing a server's variables.",
      mounts: "Allows viewing and managing a server's mounts.",
    },
  },
  nests: {
    description: 'Permissions that control the ability to manage nests for the panel.',
    permissions: {
      create: 'Allows creating new nests.',
      read: 'Allows viewing nests.',
      update: 'Allows modifying nests.',
      delete: 'Allows deleting nests.',
    },
  },
  eggs: {
    description: 'Permissions that control the ability to manage eggs for the panel.',
    permissions: {
      create: 'Allows creating and importing new eggs.',
      read: 'Allows viewing eggs.',
      update: 'Allows modifying eggs.',
      delete: 'Allows deleting eggs.',
      mounts: "Allows viewing and managing an egg's mounts.",
    },
  },
  'egg-configurations': {
    description: 'Permissions that control the ability to manage egg configurations for the panel.',
    permissions: {
      create: 'Allows creating new egg configurations.',
      read: 'Allows viewing egg configurations.',
      update: 'Allows modifying egg configurations.',
      delete: 'Allows deleting egg configurations.',
    },
  },
  'egg-repositories': {
    description: 'Permissions that control the ability to manage egg repositories for the panel.',
    permissions: {
      create: 'Allows creating new egg repositories.',
      read: 'Allows viewing egg repositories.',
      update: 'Allows modifying egg repositories.',
      delete: 'Allows deleting egg repositories.',
      sync: 'Allows synchronizing egg repositories with their remote sources.',
    },
  },
  'database-hosts': {
    description: 'Permissions that control the ability to manage database hosts for the panel.',
    permissions: {
      create: 'Allows creating new database hosts.',
      read: 'Allows viewing database hosts.',
      update: 'Allows modifying database hosts.',
      delete: 'Allows deleting database hosts.',
      test: 'Allows testing database host connections.',
    },
  },
  'database-agent-hosts': {
    description: 'Permissions that control the ability to manage database agent hosts for the panel.',
    permissions: {
      create: 'Allows creating new database agent hosts.',
      read: 'Allows viewing database agent hosts.',
      update: 'Allows modifying database agent hosts.',
      delete: 'Allows deleting database agent hosts.',
      'read-token': "Allows viewing a database agent host's token.",
      'reset-token': 'Allows resetting database agent host tokens.',
      test: 'Allows testing database agent host connections.',
    },
  },
  'database-agent-templates': {
    description: 'Permissions that control the ability to manage database agent templates for the panel.',
    permissions: {
      create: 'Allows creating new database agent templates.',
      read: 'Allows viewing database agent templates.',
      update: 'Allows modifying database agent templates.',
      delete: 'Allows deleting database agent templates.',
    },
  },
  'oauth-providers': {
    description: 'Permissions that control the ability to manage OAuth providers for the panel.',
    permissions: {
      create: 'Allows creating new OAuth providers.',
      read: 'Allows viewing OAuth providers.',
      update: 'Allows modifying OAuth providers.',
      delete: 'Allows deleting OAuth providers.',
    },
  },
  mounts: {
    description: 'Permissions that control the ability to manage mounts for the panel.',
    permissions: {
      create: 'Allows creating new mounts.',
      read: 'Allows viewing mounts.',
      update: 'Allows modifying mounts.',
      delete: 'Allows deleting mounts.',
    },
  },
  activity: {
    description: 'Permissions that control the ability to view the activity log for all admin operations.',
    permissions: {
      read: 'Allows viewing the activity logs for all admin operations.',
    },
  },
}

export const SERVER_PERMISSIONS: PermissionGroups = {
  control: {
    description: 'Permissions that control the ability to control the power state of a server, read the console, or send commands.',
    permissions: {
      'read-console': 'Allows reading the server console logs.',
      console: 'Allows sending commands to the server instance via the console.',
      start: 'Allows starting the server if it is stopped.',
      stop: 'Allows stopping the server if it is running.',
      restart:
        'Allows restarting the server. This permits starting the server if it is offline, but not placing it in a completely stopped state.',
    },
  },
  subusers: {
    description:
      'Permissions that control the ability to manage subusers of a server. Users can never edit their own account or assign permissions they do not have.',
    permissions: {
      create: 'Allows creating new subusers for the server.',
      read: 'Allows viewing subusers and their permissions.',
      update: 'Allows modifying other subusers.',
      delete: 'Allows deleting subusers from the server.',
    },
  },
  files: {
    description: 'Permissions that control the ability to modify the filesystem for this server.',
    permissions: {
      create: 'Allows creating additional files and folders via the panel or direct upload.',
      read: 'Allows viewing the contents of a directory, but not reading or downloading individual files.',
      'read-content': 'Allows viewing the contents of a specific file. This also permits downloading files.',
      update: 'Allows updating the contents of an existing file or directory.',
      delete: 'Allows deleting files or directories.',
      archive: 'Allows archiving the contents of a directory and decompressing files.',
      sftp: 'Allows connecting via SFTP to manage files.',
      'query-raw':
        "Allows running arbitrary SQL against a SQLite database file on this server. This grants full read and write access to that file's contents, equivalent to reading and updating it directly.",
    },
  },
  backups: {
    description: 'Permissions that control the ability to manage server backups.',
    permissions: {
      create: 'Allows creating new backups for the server.',
      read: 'Allows viewing existing backups.',
      download: 'Allows downloading backups.',
      restore: 'Allows restoring backups.',
      update: 'Allows updating existing backups.',
      delete: 'Allows deleting backups.',
    },
  },
  'backup-groups': {
    description: 'Permissions that control the ability to manage server backup groups (retention policies).',
    permissions: {
      create: 'Allows creating new backup groups.',
      read: 'Allows viewing existing backup groups.',
      update: 'Allows updating existing backup groups.',
      delete: 'Allows deleting backup groups.',
    },
  },
  schedules: {
    description: 'Permissions that control the ability to manage server schedules.',
    permissions: {
      create: 'Allows creating new schedules.',
      read: 'Allows viewing existing schedules.',
      update: 'Allows updating existing schedules.',
      delete: 'Allows deleting schedules.',
    },
  },
  allocations: {
    description: 'Permissions that control the ability to modify the port allocations for this server.',
    permissions: {
      read: 'Allows viewing all allocations currently assigned to this server. Users with any level of access can always view the primary allocation.',
      create: 'Allows assigning additional allocations to the server.',
      update: 'Allows changing the primary server allocation and attaching notes to allocations.',
      delete: 'Allows deleting allocations from the server.',
    },
  },
  startup: {
    description: "Permissions that control the ability to view and modify this server's startup parameters.",
    permissions: {
      read: 'Allows viewing the startup variables for the server.',
      update: 'Allows modifying the startup variables.',
      command: 'Allows modifying the command used to start the server.',
      'docker-image': 'Allows modifying the Docker image used when running the server.',
    },
  },
  databases: {
    description: 'Permissions that control the ability to manage databases on this server.',
    permissions: {
      create: 'Allows creating new databases.',
      read: 'Allows viewing databases associated with this server.',
      'read-password': 'Allows viewing the password associated with a database instance.',
      update:
        'Allows rotating the password on a database instance. Users without the read-password permission will not see the updated password.',
      recreate: 'Allows deleting and recreating a database, in the process wiping all data.',
      delete: 'Allows removing database instances from this server.',
      query: "Allows browsing a database's tables and reading their rows through the panel.",
      'query-raw':
        "Allows running arbitrary SQL against a database. This grants full read and write access to its contents and structure, equivalent to the database's own credentials.",
      'edit-rows':
        "Allows inserting, updating and deleting individual table rows through the panel. Statements are built by the panel, so this cannot alter a database's structure.",
      'edit-structure':
        'Allows creating and renaming tables and columns through the panel. Statements are built by the panel from validated names and types, so this cannot read or destroy stored data.',
      'delete-structure': 'Allows deleting tables and columns through the panel, permanently destroying any data they contain.',
    },
  },
  'database-instances': {
    description: 'Permissions that control the ability to manage agent-managed database instances on this server.',
    permissions: {
      create: 'Allows creating new database instances.',
      read: 'Allows viewing database instances associated with this server.',
      update: 'Allows updating database instances, such as locking them.',
      'apply-update': 'Allows applying database agent template updates to database instances.',
      delete: 'Allows removing database instances from this server.',
      power: 'Allows starting, stopping and restarting database instances.',
      logs: 'Allows viewing the logs of database instances.',
      databases: 'Allows managing the databases inside database instances.',
      recreate: 'Allows deleting and recreating databases inside database instances, in the process wiping all data.',
      users: 'Allows managing the users inside database instances, including viewing their credentials.',
      import: 'Allows importing data into database instances.',
      export: 'Allows exporting data from database instances.',
      query: "Allows browsing an instance database's tables and reading their rows through the panel.",
      'query-raw':
        'Allows running arbitrary SQL against an instance database. The agent connects as the instance administrator, so this grants full access to every database of the instance.',
      'edit-rows':
        "Allows inserting, updating and deleting individual table rows through the panel. Statements are built by the panel, so this cannot alter a database's structure.",
      'edit-structure':
        'Allows creating and renaming tables and columns through the panel. Statements are built by the panel from validated names and types, so this cannot read or destroy stored data.',
      'delete-structure': 'Allows deleting tables and columns through the panel, permanently destroying any data they contain.',
    },
  },
  mounts: {
    description: 'Permissions that control the ability to manage server mounts.',
    permissions: {
      attach: 'Allows attaching new mounts to the server.',
      read: 'Allows viewing existing mounts.',
      detach: 'Allows detaching mounts from the server.',
    },
  },
  settings: {
    description: 'Permissions that control the ability to manage settings on this server.',
    permissions: {
      rename: 'Allows renaming the server and changing its description.',
      timezone: "Allows changing the server's timezone.",
      'auto-kill': "Allows changing the server's auto-kill settings.",
      'auto-start': "Allows changing the server's auto-start settings.",
      install: 'Allows triggering a reinstall of the server.',
      'cancel-install': "Allows canceling the server's installation process.",
    },
  },
  activity: {
    description: 'Permissions that control the ability to view the activity log on this server.',
    permissions: {
      read: "Allows viewing the server's activity logs.",
      'read-ip': 'Allows viewing IP addresses associated with activity logs.',
    },
  },
}
