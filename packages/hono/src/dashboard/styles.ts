// The dashboard's only stylesheet, inlined (no assets to serve; CSP allows inline styles, no scripts).
export const STYLES = `
:root { color-scheme: light dark; --fg: #1d2430; --muted: #667085; --line: #d9dee7; --bg: #fff; --panel: #f6f8fb; --accent: #2f5fd0;
  --ok: #1f8a4c; --bad: #c2362f; --warn: #b7791f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #98a2b3; --line: #344054; --bg: #111827; --panel: #1a2233; --accent: #7aa2ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header .brand { font-weight: 700; }
header nav a { margin-right: 1rem; color: var(--fg); text-decoration: none; }
header nav a.active { color: var(--accent); font-weight: 600; }
header form.inline { margin-left: auto; }
main { padding: 1rem 1.5rem 3rem; max-width: 1200px; }
h1 { font-size: 1.3rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 28rem; white-space: pre-wrap; word-break: break-word; }
.muted { color: var(--muted); }
.flash { padding: .6rem .8rem; border-radius: 4px; margin-bottom: 1rem; border: 1px solid; }
.flash-ok { border-color: var(--ok); color: var(--ok); }
.flash-error { border-color: var(--bad); color: var(--bad); }
.status { display: inline-block; padding: 0 .45rem; border-radius: 9px; font-size: .8rem; border: 1px solid var(--line); }
.status-successful { color: var(--ok); border-color: var(--ok); }
.status-failed, .status-exception, .status-overdue { color: var(--bad); border-color: var(--bad); }
.status-picked, .status-paused { color: var(--warn); border-color: var(--warn); }
form.inline { display: inline; margin: 0; }
button { font: inherit; padding: .2rem .7rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); cursor: pointer; }
button.danger { color: var(--bad); border-color: var(--bad); }
input, select { font: inherit; padding: .2rem .4rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
.filters { display: flex; gap: .8rem; align-items: end; flex-wrap: wrap; margin-bottom: 1rem; }
.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
.chart { width: 100%; height: auto; max-width: 1000px; display: block; }
.chart text { fill: var(--muted); font-size: 11px; }
.chart .grid { stroke: var(--line); }
.legend span { margin-right: 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
details > summary { cursor: pointer; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; }
.login { max-width: 24rem; margin: 4rem auto; }
.login input { width: 100%; margin: .4rem 0 .8rem; }
`
