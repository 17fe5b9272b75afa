import { t } from 'elysia'
import { uuidParam, type Db, type Tx } from 'hatchery'
import { getNest } from './service/nests'
import { getEgg } from './service/eggs'

export const NestParams = uuidParam('nest')
export const EggParams = t.Object({ ...uuidParam('nest').properties, ...uuidParam('egg').properties })
export const VariableParams = t.Object({ ...EggParams.properties, ...uuidParam('variable').properties })
export const EggMountParams = t.Object({ ...EggParams.properties, ...uuidParam('mount').properties })

export const NESTS_READ = 'admin:nests.read' as const
export const EGGS_READ = 'admin:eggs.read' as const

/** The egg of `/nests/{nest}/eggs/{egg}`: the nest first (400/404), then the egg within it (400, 404 `egg not found`). */
export async function eggOf(db: Db | Tx, params: { nest: string; egg: string }, lock = false) {
  const nest = await getNest(db, params.nest)
  return getEgg(db, nest.uuid, params.egg, lock)
}
