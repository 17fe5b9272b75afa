export { dropTemplates, freshDatabase, RUN_ID } from '../../src/testing/db'
export type { TestDatabase } from '../../src/testing/db'
