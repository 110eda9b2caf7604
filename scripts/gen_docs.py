#!/usr/bin/env python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate docs/troubleshooting.md and docs/reference/*.md from the collection's own sources.

Usage: .venv/bin/python scripts/gen_docs.py [--output-dir DIR] [--check]

- docs/troubleshooting.md: one section per code of the HRESULT catalog
  (plugins/module_utils/windows/hresult.py), imported through the collection path.
- docs/reference/<module>.md, docs/reference/filters.md and docs/reference/README.md: rendered from
  ``ansible-doc --json`` of the modules and filters, with ANSIBLE_COLLECTIONS_PATH pointing at
  <repo>/.venv/collections (the link scripts/setup makes), so the pages say exactly what the
  plugins' DOCUMENTATION, EXAMPLES and RETURN say.

The output is a pure function of those sources (no dates, no absolute paths), so a unit test can
regenerate it and compare. --check writes nothing and exits 1 when a committed file differs, is
missing or is no longer generated. Standard library only; ansible-core is run as a subprocess.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
COLLECTION = "volact.kms"
REFERENCE_DIR = Path("docs") / "reference"
TROUBLESHOOTING = Path("docs") / "troubleshooting.md"
REGENERATE = ".venv/bin/python scripts/gen_docs.py"


class GenError(RuntimeError):
    """The sources cannot be read or rendered."""


# -- where the collection and ansible-core are ---------------------------------------------------


def collections_path() -> Path:
    """The directory that holds ``ansible_collections/volact/kms`` for this checkout."""
    if REPO_ROOT.parent.parent.name == "ansible_collections":  # ansible-test's layout
        return REPO_ROOT.parents[2]
    venv = Path(os.environ.get("VOLACT_VENV", REPO_ROOT / ".venv"))
    path = venv / "collections"
    if not (path / "ansible_collections" / "volact" / "kms").exists():
        raise GenError(f"{path}/ansible_collections/volact/kms is missing: run scripts/setup first")
    return path


def python_with_ansible() -> str:
    """An interpreter that can run ``python -m ansible doc``: this one, or the checkout's venv."""
    if importlib.util.find_spec("ansible") is not None:
        return sys.executable
    venv_python = Path(os.environ.get("VOLACT_VENV", REPO_ROOT / ".venv")) / "bin" / "python"
    if venv_python.exists():
        return str(venv_python)
    raise GenError("ansible-core is not importable: run scripts/setup, then use .venv/bin/python")


def ansible_doc(*args: str) -> Any:
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections_path()),
        # Only the checkout: a volact.kms installed elsewhere must not be documented instead.
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
    )
    command = [python_with_ansible(), "-m", "ansible", "doc", "--json", *args]
    proc = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=False
    )
    if proc.returncode != 0:
        raise GenError(f"ansible-doc {' '.join(args)} failed: {proc.stderr.strip()}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise GenError(f"ansible-doc {' '.join(args)} printed no JSON: {exc}") from None


def hresult_module() -> Any:
    path = str(collections_path())
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(
        "ansible_collections.volact.kms.plugins.module_utils.windows.hresult"
    )


# -- Ansible markup -> Markdown ------------------------------------------------------------------

# Ansible's documentation markup: I() B() M() U() L() C() E() V() O() RV() P() and HORIZONTALLINE.
# E() V() O() RV() P() take backslash escapes; the others end at the first ")".
_MARKUP = re.compile(r"\b(RV|[IBMULCEVOP])\(|\bHORIZONTALLINE\b")
_ESCAPING = frozenset({"E", "V", "O", "RV", "P"})
# Plain-text words that Markdown would read as emphasis or HTML are shown as code instead.
_CODE_WORD = re.compile(r"(?<!\S)(\S*[_<*\\]\S*)")
_LEAD = "(\"'"
_TRAIL = ")\"'.,;:!?"


def parse_markup(text: str) -> list[tuple[str, str]]:
    """``"C(a) and O(b=1)"`` -> ``[("C", "a"), ("text", " and "), ("O", "b=1")]``."""
    parts: list[tuple[str, str]] = []
    pos = 0
    while (match := _MARKUP.search(text, pos)) is not None:
        if match.start() > pos:
            parts.append(("text", text[pos : match.start()]))
        if match.group(0) == "HORIZONTALLINE":
            parts.append(("rule", ""))
            pos = match.end()
            continue
        command, index = match.group(1), match.end()
        chars: list[str] = []
        while index < len(text) and text[index] != ")":
            if command in _ESCAPING and text[index] == "\\" and index + 1 < len(text):
                index += 1
            chars.append(text[index])
            index += 1
        if index >= len(text):  # unterminated: not markup after all
            parts.append(("text", text[match.start() :]))
            return parts
        parts.append((command, "".join(chars)))
        pos = index + 1
    if pos < len(text):
        parts.append(("text", text[pos:]))
    return parts


def code(text: str) -> str:
    if not text:
        return ""
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


@dataclass(frozen=True)
class Links:
    """What inline text may link to: module pages, and HRESULTs on the troubleshooting page."""

    modules: frozenset[str] = frozenset()
    hresults: frozenset[str] = frozenset()
    troubleshooting: str = ""


NO_LINKS = Links()


def _escape_plain(text: str, links: Links) -> str:
    text = re.sub(r"([\[\]`])", r"\\\1", text)
    if not links.troubleshooting:
        return text

    def link(match: re.Match[str]) -> str:
        hex_code = "0x" + match.group(1).upper()
        if hex_code not in links.hresults:
            return match.group(0)
        return f"[{hex_code}]({links.troubleshooting}#{hex_code.lower()})"

    return re.sub(r"\b0[xX]([0-9A-Fa-f]{8})\b", link, text)


def plain(text: str, links: Links = NO_LINKS) -> str:
    """Plain text for Markdown: words with ``_ < * \\`` become code, brackets are escaped."""
    out: list[str] = []
    pos = 0
    for match in _CODE_WORD.finditer(text):
        word = match.group(1)
        lead = len(word) - len(word.lstrip(_LEAD))
        core = word[lead:].rstrip(_TRAIL)
        trail = word[lead + len(core) :]
        while trail.startswith(")") and core.count("(") > core.count(")"):
            core, trail = core + ")", trail[1:]
        if not core:
            continue
        out.append(_escape_plain(text[pos : match.start()] + word[:lead], links))
        out.append(code(core) + _escape_plain(trail, links))
        pos = match.end()
    out.append(_escape_plain(text[pos:], links))
    return "".join(out)


def _module_page(fqcn: str, links: Links) -> str:
    short = fqcn.removeprefix(COLLECTION + ".")
    if fqcn.startswith(COLLECTION + ".") and short in links.modules:
        return f"[{code(fqcn)}]({short}.md)"
    return code(fqcn)


def _option_name(argument: str) -> str:
    # O(fqcn#type:name=value) and RV(ignore:name): the name (and value) is what a reader needs.
    argument = argument.removeprefix("ignore:")
    if "#" in argument:
        argument = argument.split("#", 1)[1].split(":", 1)[-1]
    return argument


def markdown(text: str, links: Links = NO_LINKS) -> str:
    """One paragraph of Ansible markup as inline Markdown, linking what ``links`` knows."""
    out: list[str] = []
    for kind, value in parse_markup(text):
        if kind == "text":
            out.append(plain(value, links))
        elif kind in ("C", "V", "E"):
            out.append(code(value))
        elif kind in ("O", "RV"):
            out.append(code(_option_name(value)))
        elif kind == "P":
            out.append(code(value.split("#", 1)[0]))
        elif kind == "M":
            out.append(_module_page(value, links))
        elif kind == "I":
            out.append(f"*{plain(value)}*")
        elif kind == "B":
            out.append(f"**{plain(value)}**")
        elif kind == "U":
            out.append(f"<{value.strip()}>")
        elif kind == "L":
            label, url = value.split(",", 1) if "," in value else (value, value)
            out.append(f"[{plain(label.strip())}]({url.strip()})")
    return "".join(out).strip()


def paragraphs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def literal(value: Any) -> str:
    if isinstance(value, str):
        return code(value) if value else code('""')
    return code(json.dumps(value, ensure_ascii=False))


# -- reference pages -----------------------------------------------------------------------------

GENERATED = (
    "<!-- GENERATED by scripts/gen_docs.py from {source}. Do not edit: change the plugin's "
    f"documentation and run `{REGENERATE}`. -->"
)


def _type_of(spec: Mapping[str, Any]) -> str:
    kind = str(spec.get("type", "str"))
    if "elements" in spec:
        kind += f" / elements={spec['elements']}"
    return kind


def _option_rows(options: Mapping[str, Any], links: Links, depth: int = 0) -> Iterator[str]:
    for name, spec in options.items():
        indent = "&nbsp;" * 4 * depth + ("↳ " if depth else "")
        kind = _type_of(spec) + (", **required**" if spec.get("required") else "")
        default = literal(spec["default"]) if spec.get("default") is not None else ""
        choices = ", ".join(literal(choice) for choice in spec.get("choices", []))
        text = "<br>".join(markdown(p, links) for p in paragraphs(spec.get("description")))
        row = [indent + code(name), kind, default, choices, text]
        yield "| " + " | ".join(cell(part) for part in row) + " |"
        if spec.get("suboptions"):
            yield from _option_rows(spec["suboptions"], links, depth + 1)


def options_table(options: Mapping[str, Any], links: Links) -> list[str]:
    return [
        "| option | type | default | choices | description |",
        "|---|---|---|---|---|",
        *_option_rows(options, links),
    ]


def _sample(value: Any) -> str:
    return code(json.dumps(value, ensure_ascii=False, sort_keys=False))


def _return_rows(returns: Mapping[str, Any], links: Links, depth: int = 0) -> Iterator[str]:
    for name, spec in returns.items():
        indent = "&nbsp;" * 4 * depth + ("↳ " if depth else "")
        text = "<br>".join(markdown(p, links) for p in paragraphs(spec.get("description")))
        if "sample" in spec:
            text += ("<br>" if text else "") + "Sample: " + _sample(spec["sample"])
        returned = markdown(str(spec.get("returned", "")), links)
        row = [indent + code(name), _type_of(spec), returned, text]
        yield "| " + " | ".join(cell(part) for part in row) + " |"
        if spec.get("contains"):
            yield from _return_rows(spec["contains"], links, depth + 1)


def returns_table(returns: Mapping[str, Any], links: Links) -> list[str]:
    return [
        "| key | type | returned | description |",
        "|---|---|---|---|",
        *_return_rows(returns, links),
    ]


def attributes_table(attributes: Mapping[str, Any], links: Links) -> list[str]:
    rows = ["| attribute | support | what it means | details |", "|---|---|---|---|"]
    for name, spec in attributes.items():
        meaning = "<br>".join(markdown(p, links) for p in paragraphs(spec.get("description")))
        details = [markdown(p, links) for p in paragraphs(spec.get("details"))]
        if spec.get("platforms"):
            details.append("Platforms: " + ", ".join(map(code, paragraphs(spec["platforms"]))))
        if spec.get("membership"):
            details.append("Groups: " + ", ".join(map(code, paragraphs(spec["membership"]))))
        row = [code(name), str(spec.get("support", "")), meaning, "<br>".join(details)]
        rows.append("| " + " | ".join(cell(part) for part in row) + " |")
    return rows


def _seealso(entry: Mapping[str, Any], links: Links) -> str:
    about = markdown(str(entry.get("description", "")), links)
    if "module" in entry:
        head = _module_page(str(entry["module"]), links)
    elif "plugin" in entry:
        head = code(f"{entry['plugin']} ({entry.get('plugin_type', 'plugin')})")
    elif "link" in entry:
        head = f"[{plain(str(entry.get('name', entry['link'])))}]({entry['link']})"
    else:
        head = plain(str(entry.get("name", entry.get("ref", ""))))
    return f"- {head}" + (f": {about}" if about else "")


def _yaml_block(examples: str) -> list[str]:
    return ["```yaml", examples.strip("\n"), "```"]


def module_page(fqcn: str, entry: Mapping[str, Any], links: Links) -> str:
    doc = entry["doc"]
    name = fqcn.removeprefix(COLLECTION + ".")
    lines = [
        GENERATED.format(source=f"plugins/modules/{name}.py"),
        "",
        f"# {fqcn}",
        "",
        markdown(str(doc.get("short_description", "")), links),
        "",
    ]
    facts = [f"Added in {COLLECTION} {doc['version_added']}."] if doc.get("version_added") else []
    if doc.get("has_action"):
        facts.append("Runs on the controller as an action plugin.")
    if facts:
        lines += [" ".join(facts), ""]
    lines += ["## Synopsis", ""]
    lines += [f"- {markdown(p, links)}" for p in paragraphs(doc.get("description"))]
    if doc.get("requirements"):
        lines += ["", "## Requirements", "", "Where the module runs:", ""]
        lines += [f"- {markdown(p, links)}" for p in paragraphs(doc["requirements"])]
    if doc.get("options"):
        lines += ["", "## Options", "", *options_table(doc["options"], links)]
    if doc.get("attributes"):
        lines += ["", "## Attributes", "", *attributes_table(doc["attributes"], links)]
    if doc.get("notes"):
        lines += ["", "## Notes", ""]
        lines += [f"- {markdown(p, links)}" for p in paragraphs(doc["notes"])]
    if doc.get("seealso"):
        lines += ["", "## See also", ""]
        lines += [_seealso(item, links) for item in doc["seealso"]]
    if entry.get("examples"):
        lines += ["", "## Examples", "", *_yaml_block(entry["examples"])]
    if entry.get("return"):
        lines += ["", "## Return values", "", *returns_table(entry["return"], links)]
    lines += ["", "Authors: " + ", ".join(plain(a) for a in paragraphs(doc.get("author")))]
    return "\n".join(lines) + "\n"


def filters_page(filters: Mapping[str, Any], links: Links) -> str:
    lines = [
        GENERATED.format(source="plugins/filter/*.yml"),
        "",
        f"# {COLLECTION} filters",
        "",
        "Use them as `value | volact.kms.<filter>`. `_input` is the value left of the `|`.",
    ]
    for fqcn in sorted(filters):
        entry = filters[fqcn]
        doc = entry["doc"]
        lines += ["", f"## {fqcn}", "", markdown(str(doc.get("short_description", "")), links)]
        lines += [""] + [f"- {markdown(p, links)}" for p in paragraphs(doc.get("description"))]
        if doc.get("options"):
            lines += ["", "### Input and options", "", *options_table(doc["options"], links)]
        if doc.get("notes"):
            lines += ["", "### Notes", ""]
            lines += [f"- {markdown(p, links)}" for p in paragraphs(doc["notes"])]
        if entry.get("examples"):
            lines += ["", "### Examples", "", *_yaml_block(entry["examples"])]
        if entry.get("return"):
            lines += ["", "### Return value", "", *returns_table(entry["return"], links)]
    return "\n".join(lines) + "\n"


def reference_index(modules: Mapping[str, str], filters: Mapping[str, str], links: Links) -> str:
    lines = [
        GENERATED.format(source="ansible-doc -l"),
        "",
        f"# {COLLECTION} reference",
        "",
        "Rendered from the plugins' own documentation; `ansible-doc volact.kms.<module>` shows the "
        "same. Error codes link to [troubleshooting.md](../troubleshooting.md).",
        "",
        "| module | what it does |",
        "|---|---|",
    ]
    for fqcn, short in sorted(modules.items()):
        lines.append(f"| {_module_page(fqcn, links)} | {cell(markdown(short, links))} |")
    lines += ["", "[Filters](filters.md):", ""]
    lines += [
        f"- {code(fqcn)}: {markdown(short, links)}" for fqcn, short in sorted(filters.items())
    ]
    return "\n".join(lines) + "\n"


def _listed(plugin_type: str) -> dict[str, str]:
    listing = ansible_doc("-t", plugin_type, "-l", COLLECTION)
    found = {k: v for k, v in listing.items() if k.startswith(COLLECTION + ".")}
    if not found:
        raise GenError(f"ansible-doc lists no {COLLECTION} {plugin_type} plugins")
    return found


def _both(call: Any, modules: Any, filters: Any) -> tuple[Any, Any]:
    # Each ansible-doc run spends most of its time starting up: run the two side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(call, modules), pool.submit(call, filters)
        return first.result(), second.result()


def reference_pages(hresults: frozenset[str]) -> dict[Path, str]:
    module_list, filter_list = _both(_listed, "module", "filter")
    links = Links(
        modules=frozenset(fqcn.removeprefix(COLLECTION + ".") for fqcn in module_list),
        hresults=hresults,
        troubleshooting="../troubleshooting.md",
    )
    module_docs, filter_docs = _both(
        lambda args: ansible_doc(*args),
        ("-t", "module", *sorted(module_list)),
        ("-t", "filter", *sorted(filter_list)),
    )
    pages = {
        REFERENCE_DIR / f"{fqcn.removeprefix(COLLECTION + '.')}.md": module_page(
            fqcn, module_docs[fqcn], links
        )
        for fqcn in sorted(module_list)
    }
    pages[REFERENCE_DIR / "filters.md"] = filters_page(filter_docs, links)
    pages[REFERENCE_DIR / "README.md"] = reference_index(module_list, filter_list, links)
    return pages


# -- troubleshooting -----------------------------------------------------------------------------

TROUBLESHOOTING_INTRO = """\
<!-- GENERATED by scripts/gen_docs.py from plugins/module_utils/windows/hresult.py. Do not edit: \
change the catalog (or the intro in the script) and run `{regenerate}`. -->

# Troubleshooting: the error codes volact.kms explains

When Windows refuses an operation, the Windows modules fail with the code in `hresult` (hex, for
example `0xC004F074`) and a message that says what it means and what to do.
`kms_activation_info` reports the reason a product is not licensed the same way
(`license_status_reason`, `license_status_reason_explained`). `slmgr.vbs` exits with the same code
as a signed decimal number, so `-1073418124` in a log is `0xC004F074`. Every code below is listed
with both numbers.

The `volact.kms.hresult` filter looks a code up on the controller, no Windows host needed. It
also decodes codes this page does not list (Win32, WMI, WinRM and Software Licensing ranges):

```sh
scripts/ansible ansible localhost -m ansible.builtin.debug \\
    -a "msg={{{{ -1073418124 | volact.kms.hresult }}}}"
```

(That is from a checkout; where the collection is installed, drop `scripts/ansible`.)

A small number (up to 65535) is a Win32 error code, not an HRESULT: WinRM faults carry such codes
(`Code="87"` with `w:InvalidParameter` is `ERROR_INVALID_PARAMETER`). The modules and the filter
read one as its HRESULT `0x8007xxxx` (87 is `0x80070057`, `E_INVALIDARG`), never as a success.

Errors that are not HRESULTs:

- the connection (`transport_error`: `unreachable`, `auth`, `tls`, `timeout`, `http`, `config`):
  [transport.md](transport.md#replies-and-errors);
- DNS updates by `kms_srv_record` (`dns_error`: `REFUSED`, `NOTAUTH`, `BADKEY`, ...):
  [kms_srv_record.md](kms_srv_record.md#errors);
- bad input: the task fails before anything is sent, naming the option as you wrote it, what is
  wrong and how to fix it.

`0xC004F038` is not a fault: it is the normal state of a rollout, until the KMS host has counted 25
client machines (5 for servers and Office): see [roles.md](roles.md#below-the-threshold).
"""

# Where the fix lies, in the order a KMS rollout meets them; every catalog category must be here.
CATEGORY_SECTIONS = (
    ("activation", "Activation", "A KMS client's activation attempt failed."),
    ("kms_host", "The KMS host", "The KMS host itself: its host key, its activation, its OS."),
    ("product_key", "Product keys", "Installing or choosing a key."),
    ("mak", "MAK activation", "Microsoft's activation servers answering for a MAK."),
    (
        "permission",
        "Permissions",
        "The account lacks rights: see [getting-started.md](getting-started.md#the-account).",
    ),
    ("dns", "DNS", "KMS hosts publish, and clients find, `_vlmcs._tcp` SRV records."),
    ("network", "Network", "The client reached DNS but not the KMS host."),
    ("wmi", "WMI", "The WMI service or a provider on the host."),
    ("wsman", "WinRM / WS-Management", "The WinRM service on the host."),
    ("win32", "Generic Windows errors", "Codes many components return."),
    ("success", "Success", "Not an error."),
)


def _anchor(hex_code: str) -> str:
    return "#" + hex_code.lower()


def troubleshooting_page() -> str:
    hresult = hresult_module()
    entries = list(hresult.CATALOG.values())
    known = {section[0] for section in CATEGORY_SECTIONS}
    unknown = sorted({entry.category for entry in entries} - known)
    if unknown:
        raise GenError(f"categories without a section in gen_docs.py: {', '.join(unknown)}")
    lines = [TROUBLESHOOTING_INTRO.format(regenerate=REGENERATE).rstrip("\n"), ""]
    lines += [
        f"## All {len(entries)} codes",
        "",
        "| code | signed decimal (slmgr exit code) | symbol |",
        "|---|---|---|",
    ]
    for key, _title, _about in CATEGORY_SECTIONS:
        for entry in (e for e in entries if e.category == key):
            symbol = code(entry.symbol) if entry.symbol else "(none published)"
            lines.append(f"| [{entry.hex}]({_anchor(entry.hex)}) | {entry.signed} | {symbol} |")
    for key, title, about in CATEGORY_SECTIONS:
        members = [e for e in entries if e.category == key]
        if not members:
            continue
        lines += ["", f"## {title}", "", about]
        for entry in members:
            unsigned = f", unsigned `{entry.code}`" if entry.signed != entry.code else ""
            lines += [
                "",
                f"### {entry.hex}",
                "",
                f"- Symbol: {code(entry.symbol) if entry.symbol else '(none published)'}",
                f"- Decimal: `{entry.signed}` signed, what `slmgr.vbs` exits with{unsigned}",
                f"- Meaning: {plain(entry.meaning)}",
                f"- What to do: {plain(entry.action)}",
            ]
    return "\n".join(lines) + "\n"


# -- output --------------------------------------------------------------------------------------


def generate() -> dict[Path, str]:
    """Every generated file, by path relative to the repository root."""
    catalog = hresult_module().CATALOG
    pages = {TROUBLESHOOTING: troubleshooting_page()}
    pages.update(reference_pages(frozenset(entry.hex for entry in catalog.values())))
    return pages


def differences(pages: Mapping[Path, str], root: Path) -> list[str]:
    """What under ``root`` differs from ``pages``: changed, missing and stale generated files."""
    problems = []
    for relative, text in sorted(pages.items()):
        target = root / relative
        if not target.exists():
            problems.append(f"{relative}: missing")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"{relative}: differs")
    reference = root / REFERENCE_DIR
    if reference.is_dir():
        for path in sorted(reference.glob("*.md")):
            if path.relative_to(root) not in pages:
                problems.append(f"{path.relative_to(root)}: no longer generated")
    return problems


def write(pages: Mapping[Path, str], root: Path) -> None:
    for relative, text in pages.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    reference = root / REFERENCE_DIR
    for path in reference.glob("*.md"):
        if path.relative_to(root) not in pages:
            path.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--output-dir", type=Path, default=REPO_ROOT, help="write under DIR/docs (default: repo)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the docs are out of date"
    )
    args = parser.parse_args(argv)
    try:
        pages = generate()
    except (OSError, GenError) as exc:
        print(f"gen_docs: {exc}", file=sys.stderr)
        return 2
    if args.check:
        problems = differences(pages, args.output_dir)
        for problem in problems:
            print(f"gen_docs: {problem}", file=sys.stderr)
        if problems:
            print(f"gen_docs: run {REGENERATE}", file=sys.stderr)
        return 1 if problems else 0
    write(pages, args.output_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
