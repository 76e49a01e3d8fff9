// Checks exposition text two ways: a strict parser of the text format (0.0.4) written here,
// and promtool (Debian's prometheus package) when it is installed; CI installs it, so there
// a missing promtool fails the check instead of passing it unseen.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export interface ParsedSample {
  name: string
  labels: Record<string, string>
  value: number
}
export interface ParsedFamily {
  type: string
  help: string | undefined
  samples: ParsedSample[]
  typed?: boolean
}

const METRIC = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const SAMPLE = new RegExp(`^(${METRIC})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`)
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped']
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count', ''] }

/** Label pairs of `a="x",b="y\"z"`, unescaped; throws on anything the format does not allow. */
function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    const eq = text.indexOf('=', i)
    const name = text.slice(i, eq)
    if (eq < 0 || !LABEL.test(name) || text[eq + 1] !== '"') throw new Error(`line ${line}: bad label at ${JSON.stringify(text.slice(i))}`)
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`)
    let value = ''
    let j = eq + 2
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\n') throw new Error(`line ${line}: raw line feed in a label value`)
      if (text[j] !== '\\') {
        value += text[j]
        continue
      }
      const next = text[++j]
      if (next === 'n') value += '\n'
      else if (next === '\\' || next === '"') value += next
      else throw new Error(`line ${line}: unknown escape \\${next}`)
    }
    if (j >= text.length) throw new Error(`line ${line}: unterminated label value`)
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (i < text.length) throw new Error(`line ${line}: expected , after a label`)
  }
  return labels
}

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return Number.NaN
  if (text === '+Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${text}`)
  return Number(text)
}

/** The families of exposition text, strictly: TYPE before samples, once per family, known sample names. */
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the text must end with a line feed')
  const families = new Map<string, ParsedFamily>()
  const familyOf = (sample: string) => {
    for (const [name, f] of families) if ((SUFFIXES[f.type] ?? ['']).some((s) => sample === name + s)) return f
    return undefined
  }
  text.split('\n').slice(0, -1).forEach((raw, index) => {
    const line = index + 1
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw)
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string]
      if (!new RegExp(`^${METRIC}$`).test(name)) throw new Error(`line ${line}: bad metric name ${name}`)
      const f = families.get(name) ?? { type: 'untyped', help: undefined, samples: [] }
      if (kind === 'TYPE') {
        if (!TYPES.includes(rest) || f.samples.length > 0 || f.typed) throw new Error(`line ${line}: TYPE ${rest} for ${name} out of place`)
        f.type = rest
        f.typed = true
      } else {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`)
        f.help = rest.replace(/\\(.?)/g, (_, c: string) => {
          if (c === 'n') return '\n'
          if (c === '\\') return '\\'
          throw new Error(`line ${line}: bad escape \\${c} in HELP`)
        })
      }
      families.set(name, f)
      return
    }
    if (raw.startsWith('#') || raw === '') return
    const m = SAMPLE.exec(raw)
    if (!m) throw new Error(`line ${line}: not a sample: ${raw}`)
    const f = familyOf(m[1]!)
    if (!f?.typed) throw new Error(`line ${line}: sample ${m[1]} has no TYPE line before it`)
    f.samples.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2], line) : {}, value: parseValue(m[3]!, line) })
  })
  return families
}

/** The one sample of the family with these labels (all of them), or undefined. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}, family = name): number | undefined {
  const f = families.get(family)
  const matches = f?.samples.filter((s) => s.name === name && Object.keys({ ...s.labels, ...labels }).every((k) => s.labels[k] === labels[k]))
  if (matches && matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${matches.length} samples`)
  return matches?.[0]?.value
}

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p))

/**
 * `promtool check metrics` on the text: '' when it passes (parse and lint), else what it
 * said. Where promtool is not installed: '' outside CI (the parser above still checks), a failure in CI.
 */
export function promtoolProblems(text: string): string {
  if (!PROMTOOL) {
    if (process.env.CI) return 'promtool is not installed (Debian package prometheus), and CI must check with it'
    return ''
  }
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' })
  return run.status === 0 ? '' : `promtool exit ${run.status}: ${run.stdout}${run.stderr}`
}

/** Both checks; the parsed families. */
export function checkExposition(text: string): Map<string, ParsedFamily> {
  const families = parsePrometheusText(text)
  const problems = promtoolProblems(text)
  if (problems) throw new Error(problems)
  return families
}
