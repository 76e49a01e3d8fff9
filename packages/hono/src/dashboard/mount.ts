import { ConfigurationError } from '@pgq/core/edge'
import { checkOptionNames } from '../option-names.js'
import { DASHBOARD_SETTINGS, type DashboardSettings } from './options.js'

/** createQueueApi's `dashboard` option: true for the default path, or where and how. */
export type DashboardMount = true | ({ path?: string } & DashboardSettings)

export const DEFAULT_DASHBOARD_PATH = '/dashboard'
const SEGMENTS = /^(\/[A-Za-z0-9._~-]+)+$/
/** The API's own first path segments: a dashboard there would hide its routes. */
const API_SEGMENTS = new Set(['jobs', 'flows', 'drain', 'stats', 'metrics', 'healthz'])
const MOUNT_OPTIONS = ['path', ...DASHBOARD_SETTINGS]

/** The `dashboard` option checked: where to mount it, and the settings for createDashboard. */
export function dashboardMount(mount: DashboardMount): { path: string; settings: DashboardSettings } {
  // From plain JavaScript: a string or null would otherwise be spread into createDashboard's options.
  if (mount !== true && (typeof mount !== 'object' || mount === null || Array.isArray(mount))) {
    throw new ConfigurationError(`createQueueApi dashboard must be true, false or { ${MOUNT_OPTIONS.join(', ')} }`)
  }
  if (mount !== true) checkOptionNames(mount, MOUNT_OPTIONS, 'dashboard')
  const { path: _path, ...settings } = mount === true ? {} : mount
  return { path: dashboardPath(mount), settings }
}

function dashboardPath(mount: DashboardMount): string {
  const path = (mount === true ? undefined : mount.path) ?? DEFAULT_DASHBOARD_PATH
  if (!SEGMENTS.test(path)) throw new ConfigurationError(`dashboard path must look like /dashboard (segments of A-Z a-z 0-9 . _ ~ -, no trailing slash), got ${JSON.stringify(path)}`)
  if (API_SEGMENTS.has(path.split('/')[1]!)) throw new ConfigurationError(`dashboard path ${path} would hide the API's /${path.split('/')[1]} routes: choose another`)
  return path
}
