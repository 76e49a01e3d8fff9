// Prometheus' text exposition format (version 0.0.4), written by hand so that it runs on the
// edge: no prom-client, no Node built-ins. Only what gauges read from the database need:
// counters, gauges and untyped families of plain samples.
import { ConfigurationError } from '../errors.js'

/** The Content-Type of the text format, as Prometheus asks for it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export interface MetricSample {
  labels?: Readonly<Record<string, string>>
  value: number
}

export interface MetricFamily {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'untyped'
  samples: readonly MetricSample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** A label value as the format quotes it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

/** HELP text: backslash and line feed escaped (quotes stay as they are). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'))
}

/** A sample value as Go's ParseFloat reads it: NaN, +Inf, -Inf, or the shortest decimal. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

function checkFamily(family: MetricFamily): void {
  if (!METRIC_NAME.test(family.name)) throw new ConfigurationError(`metric name ${JSON.stringify(family.name)} is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`)
  for (const sample of family.samples) {
    for (const label in sample.labels) {
      if (!LABEL_NAME.test(label) || label.startsWith('__')) {
        throw new ConfigurationError(`metric ${family.name}: label name ${JSON.stringify(label)} is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`)
      }
    }
  }
}

/** The families as exposition text: HELP and TYPE lines, then one line per sample; ends with a line feed. */
export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const seen = new Set<string>()
  let text = ''
  for (const family of families) {
    checkFamily(family)
    if (seen.has(family.name)) throw new ConfigurationError(`metric ${family.name} is given twice: each family must appear once`)
    seen.add(family.name)
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`
    for (const { labels, value } of family.samples) {
      const pairs = labels ? Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`) : []
      text += `${family.name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatSampleValue(value)}\n`
    }
  }
  return text
}
