import { ConfigurationError } from '@pgq/core/edge'
import type { DashboardSettings } from './options.js'

/** createQueueApi's `dashboard` option: true for the default path, or where and how. */
export type DashboardMount = true | ({ path?: string } & DashboardSettings)

export const DEFAULT_DASHBOARD_PATH = '/dashboard'
const SEGMENTS = /^(\/[A-Za-z0-9._~-]+)+$/
/** The API's own first path segments: a dashboard there would hide its routes. */
const API_SEGMENTS = new Set(['jobs', 'flows', 'drain', 'stats', 'metrics', 'healthz'])

export function dashboardPath(mount: DashboardMount): string {
  const path = (mount === true ? undefined : mount.path) ?? DEFAULT_DASHBOARD_PATH
  if (!SEGMENTS.test(path)) throw new ConfigurationError(`dashboard path must look like /dashboard (segments of A-Z a-z 0-9 . _ ~ -, no trailing slash), got ${JSON.stringify(path)}`)
  if (API_SEGMENTS.has(path.split('/')[1]!)) throw new ConfigurationError(`dashboard path ${path} would hide the API's /${path.split('/')[1]} routes: choose another`)
  return path
}
