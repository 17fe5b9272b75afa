import { Cron } from 'croner'
import { SECRET_MASK, Validation, writeSecret, type Secrets } from 'hatchery'
import type { BackupConfigsIn, BackupConfigsOut } from '../model'

/**
 * Restic environment variables whose values are secrets (RESTIC_PASSWORD, AWS_SECRET_ACCESS_KEY, B2_ACCOUNT_KEY…): answered as
 * the mask. Every environment value is stored encrypted (as the reference does); the others are answered in clear.
 */
export const isSecretEnv = (name: string) => /PASSWORD|SECRET|TOKEN|(^|_)KEY$/i.test(name)

/** The stored form: every key present, secrets as ciphertext. */
export type StoredConfigs = BackupConfigsOut

const FINGERPRINT = /^[0-9a-f]{64}$/
const PBS_TOKEN_ID = /^[^\s:/!@]+@[A-Za-z][A-Za-z0-9._-]*![A-Za-z0-9._-]+$/
const KOPIA_USER = /^[a-z0-9][a-z0-9._-]*@[a-z0-9][a-z0-9._-]*$/

function httpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** A fingerprint with colons and blanks removed and lowercased; blank is none. */
function fingerprint(value: string | null | undefined, field: string, errors: string[]): string | null {
  if (value == null || value.trim() === '') return null
  const normalized = value.replace(/[\s:]/g, '').toLowerCase()
  if (!FINGERPRINT.test(normalized)) errors.push(`${field}: fingerprint must be a SHA-256 hash (64 hex characters, colons optional)`)
  return normalized
}

/** Disks whose Wings side Hatchery cannot serve (no `/api/remote/backups/{b}/pbs` or `/kopia`): refused with a 400. */
export const UNSERVED_DISKS = ['proxmox-backup-server', 'kopia']

/** 400 for a disk Hatchery cannot serve, naming the ones it can. */
export function expectServedDisk(disk: string | undefined): void {
  if (disk && UNSERVED_DISKS.includes(disk))
    throw new Validation(`backup_disk: ${disk} is not supported by Hatchery; use local, s3, ddup-bak, btrfs, zfs or restic`)
}

/** Whatever is stored, with every key present (rows written before a field existed read the same). */
export function normalizeStored(raw: unknown): StoredConfigs {
  const c = (raw ?? {}) as Partial<StoredConfigs>
  return { s3: c.s3 ?? null, restic: c.restic ?? null, pbs: c.pbs ?? null, kopia: c.kopia ?? null }
}

/**
 * Checks what a request sent (400 naming every bad field) and returns what to store: secrets
 * encrypted, or kept from `stored` where the mask came back (the mask with nothing stored is a 400).
 */
export function prepareConfigs(secrets: Secrets, sent: BackupConfigsIn, stored: StoredConfigs | null): StoredConfigs {
  const errors: string[] = []
  const out: StoredConfigs = { s3: null, restic: null, pbs: null, kopia: null }
  const keep = (fn: () => string) => {
    try {
      return fn()
    } catch (error) {
      if (error instanceof Validation) errors.push(...error.messages)
      else throw error
      return ''
    }
  }
  if (sent.s3) {
    const s = sent.s3
    if (!httpUrl(s.endpoint)) errors.push('backup_configs.s3.endpoint: not a valid http(s) URL')
    out.s3 = {
      access_key: s.access_key,
      secret_key: keep(() => writeSecret(secrets, s.secret_key, stored?.s3?.secret_key, 'backup_configs.s3.secret_key')),
      bucket: s.bucket,
      region: s.region,
      endpoint: s.endpoint,
      path_style: s.path_style,
      compression_type: s.compression_type ?? 'gz',
      part_size: s.part_size,
    }
  }
  if (sent.restic) {
    const r = sent.restic
    const environment: Record<string, string> = {}
    for (const [name, value] of Object.entries(r.environment)) {
      if (name === '') errors.push('backup_configs.restic.environment: a variable name is empty')
      environment[name] = isSecretEnv(name)
        ? keep(() => writeSecret(secrets, value, stored?.restic?.environment[name], `backup_configs.restic.environment.${name}`))
        : secrets.encrypt(value)
    }
    const pruneJobs = r.prune_jobs ?? []
    pruneJobs.forEach((job, i) => {
      try {
        new Cron(job.cron, { paused: true })
      } catch {
        errors.push(`backup_configs.restic.prune_jobs[${i}].cron: invalid cron expression`)
      }
    })
    out.restic = {
      repository: r.repository,
      retry_lock_seconds: r.retry_lock_seconds,
      environment,
      prune_jobs: pruneJobs.map((j) => ({ cron: j.cron, nodes: j.nodes.map((n) => n.toLowerCase()) })),
    }
  }
  if (sent.pbs) {
    const p = sent.pbs
    if (!httpUrl(p.url)) errors.push('backup_configs.pbs.url: not a valid http(s) URL')
    if (!PBS_TOKEN_ID.test(p.token_id)) errors.push('backup_configs.pbs.token_id: token id must be in the form user@realm!token-name')
    out.pbs = {
      url: p.url,
      datastore: p.datastore,
      namespace: p.namespace ?? null,
      token_id: p.token_id,
      token_secret: keep(() => writeSecret(secrets, p.token_secret, stored?.pbs?.token_secret, 'backup_configs.pbs.token_secret')),
      fingerprint: fingerprint(p.fingerprint, 'backup_configs.pbs.fingerprint', errors),
      backup_id_prefix: p.backup_id_prefix ?? null,
    }
  }
  if (sent.kopia) {
    const k = sent.kopia
    if (!httpUrl(k.url)) errors.push('backup_configs.kopia.url: not a valid http(s) URL')
    if (!KOPIA_USER.test(k.username)) errors.push('backup_configs.kopia.username: username must be in the form user@host')
    for (const [name, value] of Object.entries(k.tags)) {
      if (name === '' || value === '') errors.push('backup_configs.kopia.tags: tag keys and values must be between 1 and 255 characters')
    }
    out.kopia = {
      url: k.url,
      username: k.username,
      password: keep(() => writeSecret(secrets, k.password, stored?.kopia?.password, 'backup_configs.kopia.password')),
      fingerprint: fingerprint(k.fingerprint, 'backup_configs.kopia.fingerprint', errors),
      tags: k.tags,
    }
  }
  if (errors.length) throw new Validation([...new Set(errors)])
  return out
}

/** The answered form: every secret replaced by the mask. */
export function maskConfigs(secrets: Secrets, stored: StoredConfigs): BackupConfigsOut {
  const { s3, restic, pbs, kopia } = stored
  return {
    s3: s3 && { ...s3, secret_key: SECRET_MASK },
    restic: restic && {
      ...restic,
      environment: Object.fromEntries(
        Object.entries(restic.environment).map(([k, v]) => [k, isSecretEnv(k) ? SECRET_MASK : secrets.decrypt(v)]),
      ),
    },
    pbs: pbs && { ...pbs, token_secret: SECRET_MASK },
    kopia: kopia && { ...kopia, password: SECRET_MASK },
  }
}

/** The configuration in clear, for the code that hands it to Wings (never to an API answer). */
export function revealConfigs(secrets: Secrets, stored: StoredConfigs): StoredConfigs {
  const { s3, restic, pbs, kopia } = stored
  return {
    s3: s3 && { ...s3, secret_key: secrets.decrypt(s3.secret_key) },
    restic: restic && {
      ...restic,
      environment: Object.fromEntries(Object.entries(restic.environment).map(([k, v]) => [k, secrets.decrypt(v)])),
    },
    pbs: pbs && { ...pbs, token_secret: secrets.decrypt(pbs.token_secret) },
    kopia: kopia && { ...kopia, password: secrets.decrypt(kopia.password) },
  }
}
