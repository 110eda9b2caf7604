"""The fleet report in a real headless Chromium: screenshots, and a layout check at a given width
(what overflows its box, which sections and table headers the reader gets).

The page forbids every script (its Content-Security-Policy), and headless Chromium will not make a
window narrower than 500 px. So the check loads the page, unchanged and under its own policy, as
the ``srcdoc`` of an iframe exactly as wide as asked, inside a test-only wrapper page whose one
inline script measures the laid-out page and writes its findings into the wrapper's DOM as JSON;
``--dump-dom`` hands them back. Nothing is loaded from anywhere.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

# The elements whose box a descendant must stay inside.
BOXES = ".card, .tile, .banner, header, footer, main, td, th"
MEASURE = """
const frame = document.getElementById("page");
frame.addEventListener("load", function () {
  const doc = frame.contentDocument, win = frame.contentWindow;
  const out = {width: win.innerWidth, page_width: doc.documentElement.scrollWidth,
               overflows: [], sections: [], tables: [], scripts: doc.scripts.length};
  const name = (el) => {
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    return el.tagName.toLowerCase() + cls + ' "' + (el.textContent || "").trim().slice(0, 50) + '"';
  };
  const hidden = (el) => {
    const head = el.closest("thead");
    return head !== null && head.getBoundingClientRect().width <= 2;
  };
  for (const el of doc.body.querySelectorAll("*")) {
    if (hidden(el)) continue;
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const box = el.parentElement && el.parentElement.closest(BOXES);
    if (box) {
      const b = box.getBoundingClientRect();
      if (r.left < b.left - 1 || r.right > b.right + 1) {
        out.overflows.push(name(el) + " [" + Math.round(r.left) + ", " + Math.round(r.right)
          + "] sticks out of " + name(box) + " [" + Math.round(b.left) + ", "
          + Math.round(b.right) + "]");
      }
    }
    const style = win.getComputedStyle(el);
    if (el.tagName.toLowerCase() !== "svg" && style.display !== "inline"
        && style.overflowX === "visible" && el.scrollWidth > el.clientWidth + 1) {
      out.overflows.push(name(el) + ": content " + el.scrollWidth + " px wide in "
        + el.clientWidth + " px");
    }
  }
  if (doc.documentElement.scrollWidth > win.innerWidth) {
    out.overflows.push("the page scrolls sideways: " + doc.documentElement.scrollWidth
      + " px in a " + win.innerWidth + " px window");
  }
  for (const h of doc.querySelectorAll("h2")) out.sections.push(h.textContent.trim());
  for (const table of doc.querySelectorAll("table")) {
    const head = table.querySelector("thead");
    const cells = [...table.querySelectorAll("tbody tr:first-child td")];
    out.tables.push({
      section: (table.closest("section, .card").querySelector("h2") || {}).textContent || "",
      headers: [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim()),
      columns: cells.length,
      headers_shown: head.getBoundingClientRect().width > 2,
      cell_labels: cells.map((td) => win.getComputedStyle(td, "::before").content),
    });
  }
  const pre = document.createElement("pre");
  pre.id = "volact-layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
"""
WRAPPER = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body {{ margin: 0; }} '
    "iframe {{ border: 0; display: block; }}</style></head><body>"
    '<iframe id="page" style="width: {width}px; height: {height}px" srcdoc="{page}"></iframe>'
    "<script>const BOXES = {boxes};{measure}</script></body></html>"
)
FOUND = re.compile(r'<pre id="volact-layout">(.*?)</pre>', re.S)


def chromium(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium")
    assert binary, "chromium is missing: run scripts/setup (bindep.txt, profile test)"
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _wrapped(page: Path, width: int, height: int, scratch: Path) -> Path:
    """The test-only wrapper page holding ``page`` in an iframe ``width`` x ``height``."""
    wrapper = scratch / f"wrapper-{width}.html"
    wrapper.write_text(
        WRAPPER.format(
            width=width,
            height=height,
            page=html.escape(page.read_text(), quote=True),
            boxes=json.dumps(BOXES),
            measure=MEASURE,
        )
    )
    return wrapper


def screenshot(page: Path, png: Path, width: int, height: int, scratch: Path) -> bytes:
    """A PNG of the page's top ``height`` pixels laid out ``width`` wide (a window narrower than
    500 px shows the page at the left of a 500 px shot)."""
    wrapper = _wrapped(page, width, height, scratch)
    shot = chromium(
        f"--user-data-dir={scratch / f'shot-{width}'}",
        f"--screenshot={png}",
        f"--window-size={max(width, 500)},{height}",
        "--virtual-time-budget=5000",
        wrapper.as_uri(),
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    return png.read_bytes()


def layout(page: Path, width: int, scratch: Path, height: int = 900) -> dict[str, Any]:
    """The layout check of ``page`` laid out ``width`` pixels wide: ``width`` (the inner width it
    got), ``page_width``, ``overflows`` (every element sticking out of its box, every box whose
    content is wider than it, a page that scrolls sideways), ``sections`` (the h2 texts),
    ``tables`` (per table its ``headers``, ``columns``, whether the header row is shown and the
    label each cell of the first row shows in its place) and ``scripts`` (script elements the
    page itself holds)."""
    wrapper = _wrapped(page, width, height, scratch)
    dom = chromium(
        f"--user-data-dir={scratch / f'layout-{width}'}",
        f"--window-size={max(width, 500)},{height}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        wrapper.as_uri(),
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = FOUND.search(dom.stdout)
    assert found, f"the layout check wrote nothing:\n{dom.stdout[-2000:]}\n{dom.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))
