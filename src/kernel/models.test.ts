import { describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { TransformKind } from '@sinclair/typebox'
import { t } from 'elysia'
import { Empty, PageOf, Uuid, WireInteger } from 'hatchery'
import { model as usersModel } from 'hatchery/plugins/users'
import * as accountModel from '../../plugins/account/model'

describe('shared models', () => {
  test('Uuid takes a uuid only; Empty is the {} answer', () => {
    expect(Value.Check(Uuid, '0b0f6a3e-54d1-4b8e-9c5e-1f2a3b4c5d6e')).toBe(true)
    expect(Value.Check(Uuid, 'not-a-uuid')).toBe(false)
    expect(Value.Check(Empty, {})).toBe(true)
  })

  test("the plugins that defined their own export the kernel's", () => {
    expect(usersModel.Uuid).toBe(Uuid)
    expect(usersModel.Empty).toBe(Empty)
    expect(accountModel.Uuid).toBe(Uuid)
    expect(accountModel.Empty).toBe(Empty)
  })

  test('WireInteger is an integer without a transform, so a page of it has none for Elysia to encode', () => {
    expect(TransformKind in t.Integer()).toBe(true)
    expect(TransformKind in WireInteger()).toBe(false)
    const page = PageOf(t.Object({ n: WireInteger({ minimum: 0 }) }))
    expect(JSON.stringify(page, (_k, v) => (v && typeof v === 'object' && TransformKind in v ? 'TRANSFORM' : v))).not.toContain('TRANSFORM')
    expect(Value.Check(page, { total: 1, per_page: 10, page: 1, data: [{ n: 3 }] })).toBe(true)
    expect(Value.Check(page, { total: '1', per_page: 10, page: 1, data: [{ n: 3 }] })).toBe(false)
    expect(Value.Check(page, { total: 1, per_page: 10, page: 1, data: [{ n: -1 }] })).toBe(false)
  })
})
