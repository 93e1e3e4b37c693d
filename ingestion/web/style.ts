/** The page's style sheet, served as /web/style.css (the Content-Security-Policy allows no inline style). */
export const STYLE_SHEET = `
:root { color-scheme: light dark; --line: #8884; --muted: #888; --accent: #3a6ea5; --warn: #b35c00; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
nav { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
nav a[aria-current] { font-weight: bold; text-decoration: none; }
nav form.signout { margin-left: 1rem; }
main { padding: 0 1.2rem 2rem; max-width: 75rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre, textarea { font: 13px/1.4 ui-monospace, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid var(--line); padding: .6rem; margin: .4rem 0; }
textarea { width: 100%; min-height: 22rem; box-sizing: border-box; }
.muted { color: var(--muted); }
.mark { display: inline-block; font-size: 12px; padding: 0 .4rem; border-radius: .6rem; border: 1px solid var(--accent); color: var(--accent); margin-left: .3rem; }
.notice { border: 1px solid var(--warn); color: var(--warn); padding: .5rem .8rem; margin: .8rem 0; }
.ok { border: 1px solid var(--accent); padding: .5rem .8rem; margin: .8rem 0; }
form.search { display: flex; gap: .5rem; margin: .8rem 0; flex-wrap: wrap; }
form.search input[type=search] { flex: 1; min-width: 16rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.pager { display: flex; gap: 1rem; margin: .8rem 0; }
details { margin: .3rem 0; }
`;
