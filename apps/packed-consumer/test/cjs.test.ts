// 2. A CommonJS consumer require()s the ESM-only packages (Node 20.19+ loads ESM synchronously).
import { expect, it } from 'vitest'
import { expectSuccess, freshDatabase, inProject, lastJsonLine, pgqInstall, projectDir } from './support.ts'

it('app.cjs requires @pgq/core, @pgq/core/edge and @pgq/hono and drains a few jobs', async () => {
  const db = await freshDatabase('cjs')
  await pgqInstall(db)
  const run = expectSuccess(await inProject('node', ['app.cjs', db.url]))
  const out = lastJsonLine(run.stdout)
  expect(out).toMatchObject({
    resolved: `${projectDir}/node_modules/@pgq/core/dist/index.js`,
    exports: { createQueue: 'function', nodePostgresDriver: 'function', migrate: 'function', createQueueApi: 'function' },
    sameCreateQueue: true,
    sameErrorClass: true,
    missingDependencyCode: 'PGQ_MISSING_DEPENDENCY',
    summary: { claimed: 5, succeeded: 5, failed: 0, remaining: 0 },
  })
})
