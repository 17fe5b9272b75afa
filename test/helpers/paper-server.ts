/** Where a test server goes and who holds it (uuids). */
export interface PaperServerRefs {
  node_uuid: string
  owner_uuid: string
  egg_uuid: string
  allocation_uuid: string | null
}

/**
 * The body of `POST /api/admin/servers` for a small Paper server from `test/fixtures/eggs/plcn3-paper.yaml`
 * (the end-to-end tests' server), one allocation, no databases or backups.
 * @example await api('POST', '/api/admin/servers', paperServerBody(refs, 'e2e-survival', { skip_installer: true }))
 */
export const paperServerBody = (refs: PaperServerRefs, name: string, o: { skip_installer?: boolean } = {}) => ({
  ...refs,
  allocation_uuids: [],
  start_on_completion: false,
  skip_installer: o.skip_installer ?? false,
  name,
  limits: { cpu: 100, memory: 1024, memory_overhead: 0, swap: 0, disk: 4096, io_weight: null },
  pinned_cpus: [],
  startup: 'java -Xms128M -jar {{SERVER_JARFILE}}',
  image: 'ghcr.io/pelican-eggs/yolks:java_21',
  hugepages_passthrough_enabled: false,
  kvm_passthrough_enabled: false,
  feature_limits: { allocations: 1, databases: 0, backups: 0, schedules: 0 },
  variables: [],
})
