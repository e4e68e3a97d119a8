"""Terraform docs in terraform-docs's "markdown table" format, between the
``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` markers of the README beside the code.

The output follows the settings in ``.terraform-docs.yml`` at the repository root (anchors,
sorted by name, no escaping, no header), so a team can switch to the terraform-docs binary
with that file and see no churn. The configuration is read with python-hcl2; type
expressions are taken as written in the source, as terraform-docs does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops import REPO, OpsError
from ops.terraform.layers import INFRA, parse_hcl

BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
NO_DEFAULT = object()


class DocsDrift(OpsError):
    """A README's generated section differs from the code."""


@dataclass
class Variable:
    name: str
    description: str
    type: str
    default: Any = NO_DEFAULT


@dataclass
class Module:
    path: Path
    required_version: list[str] = field(default_factory=list)
    providers: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (source, constraint)
    resources: list[tuple[str, str, str]] = field(default_factory=list)  # (mode, type, name)
    modules: list[tuple[str, str, str]] = field(default_factory=list)  # (name, source, version)
    variables: list[Variable] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (name, description)


def documented_roots() -> list[Path]:
    """Every layer and module that has a README with the markers."""
    return sorted(
        path.parent
        for path in INFRA.glob("*/README.md")
        if BEGIN in path.read_text() and any(path.parent.glob("*.tf"))
    ) + sorted(
        path.parent for path in INFRA.glob("modules/*/README.md") if BEGIN in path.read_text()
    )  # fmt: skip


def _type_source(text: str, variable: str) -> str:
    """The type expression of a variable as written (terraform fmt guarantees the layout)."""
    block = re.search(rf'^variable\s+"{re.escape(variable)}"\s*\{{\n(.*?)^\}}', text, re.S | re.M)
    if not block:
        return "any"
    lines = block.group(1).splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^  type\s*=\s*(.*)$", line)
        if match:
            expression = [match.group(1)]
            depth = sum(expression[0].count(c) for c in "({[") - sum(expression[0].count(c) for c in ")}]")
            for following in lines[index + 1 :]:
                if depth <= 0:
                    break
                expression.append(following)
                depth += sum(following.count(c) for c in "({[") - sum(following.count(c) for c in ")}]")
            return "\n".join(expression).strip()
    return "any"


def load(path: Path) -> Module:
    module = Module(path)
    for file in sorted(path.glob("*.tf")):
        text = file.read_text()
        parsed = parse_hcl(text)
        for block in parsed.get("terraform", []):
            if "required_version" in block:
                module.required_version.append(block["required_version"])
            for providers in block.get("required_providers", []):
                for name, spec in providers.items():
                    if isinstance(spec, dict):
                        module.providers[name] = (
                            spec.get("source", f"hashicorp/{name}"),
                            spec.get("version", ""),
                        )
        for mode, key in (("managed", "resource"), ("data", "data")):
            for block in parsed.get(key, []):
                for rtype, named in block.items():
                    module.resources += [(mode, rtype, name) for name in named if not name.startswith("__")]
        for block in parsed.get("module", []):
            for name, spec in block.items():
                module.modules.append((name, spec.get("source", ""), spec.get("version", "")))
        for block in parsed.get("variable", []):
            for name, spec in block.items():
                module.variables.append(Variable(name, spec.get("description", ""), _type_source(text, name),
                                                 spec.get("default", NO_DEFAULT)))  # fmt: skip
        for block in parsed.get("output", []):
            for name, spec in block.items():
                module.outputs.append((name, spec.get("description", "")))
    return module


def _anchor(kind: str, name: str) -> str:
    return f'<a name="{kind}_{name}"></a> [{name}](#{kind}_{name})'


def _cell(text: str) -> str:
    """terraform-docs's sanitizeMarkdownTbl with escaping off: pipes escaped, newlines as <br/>."""
    return text.strip().replace("|", "\\|").replace("\n", "<br/>") or "n/a"


def _code(text: str) -> str:
    """One line in backticks, several in <pre> with <br/> (terraform-docs's type and value)."""
    return f"<pre>{_cell(text)}</pre>" if "\n" in text else f"`{text}`"


def _value(value: Any) -> str:
    if value is NO_DEFAULT:
        return "n/a"
    # terraform-docs marshals with Go's json.MarshalIndent: sorted keys, two spaces, no HTML escaping.
    return _code(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def _version(constraint: str) -> str:
    """Registry docs of an exactly pinned provider version, else the latest."""
    match = re.fullmatch(r"=?\s*(\d+\.\d+\.\d+)", constraint.strip())
    return match.group(1) if match else "latest"


def _table(title: str, header: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"## {title}\n\n{empty}"
    separators = [":" + "-" * (len(h) - 2) + ":" if h == "Required" else "-" * len(h) for h in header]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(separators) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return f"## {title}\n\n" + "\n".join(lines)


def markdown(module: Module) -> str:
    """The generated section, in terraform-docs's markdown table layout."""
    requirements = [[_anchor("requirement", "terraform"), v] for v in module.required_version]
    requirements += [[_anchor("requirement", n), c] for n, (_, c) in sorted(module.providers.items()) if c]
    used = sorted({rtype.split("_", 1)[0] for _, rtype, _ in module.resources if "_" in rtype})
    providers = [
        [_anchor("provider", name), module.providers.get(name, ("", ""))[1] or "n/a"]
        for name in used
        if name != "terraform"
    ]
    modules = [[_anchor("module", n), s, v or "n/a"] for n, s, v in sorted(module.modules)]
    resources = []
    for mode, rtype, name in sorted(module.resources, key=lambda r: (r[0] != "managed", r[1], r[2])):
        provider, _, kind = rtype.partition("_")
        source, constraint = module.providers.get(provider, (f"hashicorp/{provider}", ""))
        section = "resources" if mode == "managed" else "data-sources"
        url = f"https://registry.terraform.io/providers/{source}/{_version(constraint)}/docs/{section}/{kind}"
        resources.append([f"[{rtype}.{name}]({url})", "resource" if mode == "managed" else "data source"])
    inputs = [
        [_anchor("input", v.name), _cell(v.description), _code(v.type), _value(v.default),
         "yes" if v.default is NO_DEFAULT else "no"]
        for v in sorted(module.variables, key=lambda v: v.name)
    ]  # fmt: skip
    outputs = [[_anchor("output", n), _cell(d)] for n, d in sorted(module.outputs)]
    sections = [
        _table("Requirements", ["Name", "Version"], requirements, "No requirements."),
        _table("Providers", ["Name", "Version"], providers, "No providers."),
        _table("Modules", ["Name", "Source", "Version"], modules, "No modules."),
        _table("Resources", ["Name", "Type"], resources, "No resources."),
        _table("Inputs", ["Name", "Description", "Type", "Default", "Required"], inputs, "No inputs."),
        _table("Outputs", ["Name", "Description"], outputs, "No outputs."),
    ]
    return "\n\n".join(sections)


def inject(readme: str, generated: str) -> str:
    """The README with the text between the markers replaced; everything else kept."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README needs {BEGIN} and {END}, in that order")
    return readme[: start + len(BEGIN)] + "\n" + generated + "\n" + readme[end:]


def update(roots: list[Path] | None = None, *, check: bool = False) -> list[Path]:
    """Write (or with ``check``, compare) every README; returns the ones that changed or differ."""
    drifted = []
    for root in roots or documented_roots():
        readme = root / "README.md"
        current = readme.read_text()
        wanted = inject(current, markdown(load(root)))
        if wanted != current:
            drifted.append(readme)
            if not check:
                readme.write_text(wanted)
    if check and drifted:
        names = ", ".join(
            str(path.relative_to(REPO) if path.is_relative_to(REPO) else path) for path in drifted
        )
        raise DocsDrift(f"generated docs are out of date in {names}: run `invoke docs`")
    return drifted
