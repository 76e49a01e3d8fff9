// Run in a project that installed @pgq/core alone: each driver names the package it misses
// on first use, and importing pgq never fails. Prints one JSON line.
import { createQueue, MissingDependencyError, nodePostgresDriver } from '@pgq/core'
import { neonServerlessDriver } from '@pgq/core/neon-serverless'

async function failure(driver) {
  try {
    await createQueue({ driver, checkSchema: false }).enqueue('e', {})
    return { error: null }
  } catch (error) {
    return {
      missing: error instanceof MissingDependencyError,
      code: error.code,
      packageName: error.packageName,
      message: error.message,
    }
  }
}

const url = 'postgresql://nobody@127.0.0.1:1/none'
console.log(JSON.stringify({
  pg: await failure(nodePostgresDriver({ connectionString: url })),
  neon: await failure(neonServerlessDriver({ connectionString: url })),
}))
