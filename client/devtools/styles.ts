/** The panel's styles, inside its shadow root so they neither leak into the app nor take its styles. */
export const STYLES = `
:host { all: initial; }
.panel { position: fixed; right: 0; bottom: 0; width: min(720px, 100vw); height: min(60vh, 560px); z-index: 2147483000;
  display: flex; flex-direction: column; background: #fff; color: #1f2430; border: 1px solid #c9ced8; border-radius: 8px 0 0 0;
  box-shadow: 0 -4px 24px rgba(0,0,0,.18); font: 12px/1.45 ui-sans-serif, system-ui, sans-serif; }
header { display: flex; gap: 6px; align-items: center; padding: 6px 8px; border-bottom: 1px solid #e3e6ec; background: #f5f6f9; flex-wrap: wrap; }
header .title { font-weight: 700; margin-right: 6px; }
header .spacer { flex: 1; }
button, select, input { font: inherit; }
button { border: 1px solid #c9ced8; background: #fff; border-radius: 4px; padding: 2px 8px; cursor: pointer; }
button[aria-selected="true"] { background: #1f2430; color: #fff; border-color: #1f2430; }
main { flex: 1; overflow: auto; padding: 8px; }
.controls { display: flex; gap: 6px; align-items: center; margin-bottom: 6px; flex-wrap: wrap; }
.list { list-style: none; margin: 0; padding: 0; }
.list > li { border-bottom: 1px solid #eef0f4; padding: 3px 0; }
.summary { display: flex; gap: 8px; align-items: center; width: 100%; text-align: left; border: 0; background: none; padding: 2px 0; }
.muted { color: #7a8191; }
.badge { display: inline-block; min-width: 64px; text-align: center; border-radius: 9px; padding: 0 6px; font-size: 11px; background: #e3e6ec; }
.badge.pending { background: #fff3c4; } .badge.confirmed, .badge.clean { background: #d6f5dd; }
.badge.rebased { background: #d9e8ff; } .badge.diverged { background: #ffe1c2; } .badge.rejected { background: #ffd6d6; }
.details { padding: 4px 0 6px 18px; }
.timeline { margin: 0; padding-left: 18px; }
.timeline li { display: flex; gap: 12px; } .timeline .stage { min-width: 250px; }
.timeline .final.rejected { color: #b3261e; font-weight: 600; } .timeline .final.confirmed { color: #1e7b34; font-weight: 600; }
.intervened { margin: 2px 0; padding-left: 18px; }
code { background: #f1f2f6; border-radius: 3px; padding: 0 3px; }
.grid { border-collapse: collapse; width: 100%; } .grid th, .grid td { text-align: left; border-bottom: 1px solid #eef0f4; padding: 2px 6px; }
dl { display: grid; grid-template-columns: 140px 1fr; margin: 0; } dt { color: #7a8191; } dd { margin: 0; }
h4 { margin: 10px 0 4px; } pre { background: #f5f6f9; padding: 6px; margin: 2px 0; overflow: auto; }
.error { color: #b3261e; }
`;
