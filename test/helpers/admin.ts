export { adminCaller, adminEvents, expectGuarded, expectModel, narrowedAdminKey, plainCaller, prepareAdminTests, roleCaller } from '../../src/testing'
export type { AdminCaller } from '../../src/testing'
