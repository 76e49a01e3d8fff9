/**
 * pgq's statements as tagged templates: text chunks with one parameter between each pair.
 * Every interpolated value is ONE parameter (an array binds as a Postgres array, never as
 * a list); an interpolated SQL is spliced in. Only sql.raw() puts text in unparameterised,
 * and only pgq's own identifiers go through it.
 */
export class SQL {
  /** strings.length === values.length + 1, as in a template literal. */
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** The text with $1..$n placeholders, and its values. */
  render(): { text: string; values: unknown[] } {
    let text = this.strings[0]!
    for (let i = 0; i < this.values.length; i++) text += `$${i + 1}${this.strings[i + 1]}`
    return { text, values: [...this.values] }
  }
}

function build(strings: readonly string[], parts: readonly unknown[]): SQL {
  const out: string[] = [strings[0]!]
  const values: unknown[] = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    if (part instanceof SQL) {
      out[out.length - 1] += part.strings[0]!
      for (let k = 0; k < part.values.length; k++) {
        values.push(part.values[k])
        out.push(part.strings[k + 1]!)
      }
      out[out.length - 1] += strings[i + 1]!
    } else {
      values.push(part)
      out.push(strings[i + 1]!)
    }
  }
  return new SQL(out, values)
}

/** A statement: sql`select * from ${t.jobs} where id = ${id}::bigint`. */
export function sql(strings: TemplateStringsArray, ...parts: unknown[]): SQL {
  return build(strings, parts)
}

/** Text put in as is: pgq's own identifiers and keywords, never a value. */
sql.raw = (text: string): SQL => new SQL([text], [])

/** The parts one after another, `separator` between each. */
sql.join = (parts: readonly SQL[], separator: SQL): SQL => {
  if (parts.length === 0) return sql.raw('')
  const strings = ['']
  const between: unknown[] = []
  parts.forEach((part, i) => {
    if (i > 0) {
      between.push(separator)
      strings.push('')
    }
    between.push(part)
    strings.push('')
  })
  return build(strings, between)
}
