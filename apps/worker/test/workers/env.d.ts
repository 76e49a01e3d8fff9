// What `env` and `exports` from cloudflare:workers hold in these tests (see vitest.config.ts).
import type { Env as WorkerEnv } from '../../src/worker.js'

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import('../../src/worker.js')
    }
  }
}
