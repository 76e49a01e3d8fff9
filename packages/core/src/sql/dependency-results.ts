import type { Tables } from './tables.js'
import { type SQL, sql } from './template.js'

/** The jobs a job depends on, in its dependsOn order, each with its stored result (null: none). */
export function dependencyResults(t: Tables, id: number): SQL {
  return sql`
    select u.parent_id as id, l.entrypoint, l.result
    from ${t.jobs} c cross join lateral unnest(c.depends_on) with ordinality as u(parent_id, ord)
    left join lateral (
      select entrypoint, result from ${t.log} where job_id = u.parent_id and status = 'successful' order by id desc limit 1
    ) l on true
    where c.id = ${id}::bigint
    order by u.ord`
}
