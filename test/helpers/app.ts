export { bundledPlugins, decode, SETUP_TIMEOUT, TEST_KEY, testApp, useTestApp } from '../../src/testing'
export type { Encoding, RequestOptions, TestApp, TestAppOptions, TestResponse } from '../../src/testing'
