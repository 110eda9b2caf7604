# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's style sheet, inlined into the page (no external font or file)."""

from __future__ import annotations

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328; font-size: 14px; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
p { margin: 4px 0; }
.meta { color: #59636e; }
.banner { margin: 16px 0; padding: 14px 18px; border-radius: 8px; font-size: 17px; font-weight: 600;
  border: 1px solid; }
.banner.bad { background: #ffebe9; border-color: #ff8182; color: #82071e; }
.banner.warn { background: #fff8c5; border-color: #d4a72c; color: #6c4a00; }
.banner.good { background: #dafbe1; border-color: #4ac26b; color: #0f5323; }
.banner small { display: block; font-weight: 400; font-size: 14px; margin-top: 2px; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
.tile { flex: 1 1 140px; background: #fff; border: 1px solid #d1d9e0; border-radius: 8px;
  padding: 10px 14px; border-top: 4px solid #8c959f; }
.tile .n { font-size: 28px; font-weight: 700; }
.tile .l { color: #59636e; }
.tile.good { border-top-color: #1a7f37; }
.tile.warn { border-top-color: #d4a72c; }
.tile.bad { border-top-color: #cf222e; }
.tile.bad .n { color: #a40e26; }
.tile.info { border-top-color: #0969da; }
.tile.zero { border-top-color: #d1d9e0; }
.tile.zero .n { color: #818b98; }
.card { background: #fff; border: 1px solid #d1d9e0; border-radius: 8px; padding: 16px 18px;
  margin-bottom: 16px; }
.grid { display: grid; grid-template-columns: minmax(0, 430px) minmax(0, 1fr); gap: 16px;
  margin-bottom: 16px; }
.donut { flex: none; }
.grid .card { margin-bottom: 0; }
.donutbox { display: flex; flex-wrap: wrap; gap: 18px; align-items: center; }
.legend { list-style: none; margin: 0; padding: 0; flex: 1 1 150px; min-width: 0; }
.legend li { margin: 6px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px;
  vertical-align: -1px; }
.hostbar { margin-bottom: 10px; }
.hostbar .name { font-weight: 600; }
svg.bar { display: block; width: 100%; max-width: 520px; height: auto; }
.note { margin-top: 12px; padding: 10px 12px; border-left: 4px solid #54aeff;
  background: #ddf4ff; border-radius: 6px; }
.note p { margin: 2px 0 6px; }
.explain { margin: 6px 0 10px; max-width: 80em; }
.nowrap { white-space: nowrap; }
/* Names and lists from the data may be long words: they break anywhere, not widen the table. */
td.wrap, td code { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .03em;
  color: #59636e; border-bottom: 2px solid #d1d9e0; padding: 6px 8px; }
td { border-bottom: 1px solid #eaeef2; padding: 6px 8px; vertical-align: top;
  overflow-wrap: break-word; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.error td:first-child { box-shadow: inset 4px 0 0 #cf222e; }
tr.warning td:first-child { box-shadow: inset 4px 0 0 #d4a72c; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
.badge.activated, .badge.ok { background: #dafbe1; color: #0f5323; }
.badge.grace, .badge.warning { background: #fff8c5; color: #6c4a00; }
.badge.unlicensed, .badge.error { background: #ffebe9; color: #82071e; }
.badge.not_audited, .badge.none { background: #eaeef2; color: #424a53; }
.badge.standby { background: #ddf4ff; color: #0a3069; }
.hr { margin-top: 4px; padding: 6px 8px; background: #f6f8fa; border-radius: 6px; font-size: 13px; }
.hr .sym { font-weight: 600; }
.muted { color: #59636e; }
.empty { color: #59636e; font-style: italic; }
footer { color: #59636e; font-size: 12px; margin-top: 20px; }
@media (max-width: 900px) {
  .grid { grid-template-columns: minmax(0, 1fr); }
}
/* Too narrow for columns: each row a block, each cell under its column's name. */
@media (max-width: 720px) {
  main { padding: 16px 12px 32px; }
  .card { padding: 12px; }
  table, tbody, tr, td { display: block; width: 100%; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
    white-space: nowrap; }
  tr { border-bottom: 2px solid #d1d9e0; padding: 8px 0 4px 10px; }
  td { display: inline-block; width: auto; max-width: 100%; vertical-align: top; border: 0;
    padding: 0; margin: 0 22px 6px 0; }
  td:first-child { display: block; }
  td.num { text-align: left; }
  td::before { content: attr(data-label); display: block; font-size: 11px; font-weight: 600;
    text-transform: uppercase; letter-spacing: .03em; color: #59636e; }
  tr.error td:first-child, tr.warning td:first-child { box-shadow: none; }
  tr.error { box-shadow: inset 4px 0 0 #cf222e; }
  tr.warning { box-shadow: inset 4px 0 0 #d4a72c; }
}
@media print { body { background: #fff; } .card, .tile { break-inside: avoid; } }
"""
