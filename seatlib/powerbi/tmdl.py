"""The semantic model as TMDL files, laid out as Power BI Desktop writes a PBIP's model.

TMDL is indentation-based (tabs): an object line, its properties one tab deeper, a multi-line
expression two tabs deeper than the line that opens it. Names that are not plain identifiers are
single-quoted (a quote doubled). ``///`` lines before an object are its description.
See Microsoft Learn, "Tabular Model Definition Language (TMDL)".
"""

from __future__ import annotations

import re

from .model import Column, Measure, Model, Parameter, Table, lineage_tag

#: Needs compatibility level 1601 for the measures' dynamic format strings.
COMPATIBILITY_LEVEL = 1601

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def quote(name: str) -> str:
    """A TMDL object name: bare when a plain identifier, else in single quotes."""
    return name if _PLAIN.fullmatch(name) else "'" + name.replace("'", "''") + "'"


def _lines(depth: int, text: str) -> list[str]:
    return ["\t" * depth + line for line in text.splitlines()]


def _description(depth: int, text: str) -> list[str]:
    return ["\t" * depth + "/// " + line for line in text.splitlines()] if text else []


def _expression(depth: int, head: str, expr: str) -> list[str]:
    """``head = expr`` on one line, or ``head =`` and the expression two tabs deeper."""
    if "\n" not in expr:
        return ["\t" * depth + f"{head} = {expr}"]
    return ["\t" * depth + f"{head} ="] + _lines(depth + 2, expr)


def _annotation(depth: int, name: str, value: str) -> list[str]:
    return ["", "\t" * depth + f"annotation {name} = {value}"]


def render_database() -> str:
    return f"database\n\tcompatibilityLevel: {COMPATIBILITY_LEVEL}\n"


def render_model(model: Model) -> str:
    query_order = [p.name for p in model.parameters] + ["Warehouse"] + [
        t.name for t in model.tables if t.dax is None]
    out = ["model Model", "\tculture: en-US", "\tdefaultPowerBIDataSourceVersion: powerBI_V3",
           "\tdiscourageImplicitMeasures", "\tsourceQueryCulture: en-US",
           "\tdataAccessOptions", "\t\tlegacyRedirects", "\t\treturnErrorValuesAsNull"]
    out += _annotation(0, "__PBI_TimeIntelligenceEnabled", "0")
    out += _annotation(0, "PBI_QueryOrder",
                       "[" + ",".join(f'"{n}"' for n in query_order) + "]")
    out += [""] + [f"ref table {quote(t.name)}" for t in model.tables]
    return "\n".join(out) + "\n"


def _m_literal(value: str | float) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return '"' + value.replace('"', '""') + '"'


def _parameter(p: Parameter) -> list[str]:
    meta = ["IsParameterQuery=true"]
    if p.choices:
        meta.append("List={" + ", ".join(_m_literal(c) for c in p.choices) + "}")
        meta.append(f"DefaultValue={_m_literal(p.value)}")
    meta += [f'Type="{p.m_type}"', "IsParameterQueryRequired=true"]
    out = _description(0, p.description)
    out.append(f"expression {quote(p.name)} = {_m_literal(p.value)} meta [{', '.join(meta)}]")
    out.append(f"\tlineageTag: {lineage_tag('expression', p.name)}")
    out += _annotation(1, "PBI_ResultType", p.m_type)
    return out


def render_expressions(model: Model) -> str:
    out: list[str] = []
    for p in model.parameters:
        out += _parameter(p) + [""]
    out += _description(0, "The warehouse schema's tables and views, through the chosen connector "
                           "(not loaded; every table reads it)")
    out += _expression(0, "expression Warehouse", model.warehouse_expression)
    out.append(f"\tlineageTag: {lineage_tag('expression', 'Warehouse')}")
    out += _annotation(1, "PBI_ResultType", "Table")
    return "\n".join(out) + "\n"


def _measure(table: Table, m: Measure) -> list[str]:
    out = _description(1, m.description)
    out += _expression(1, f"measure {quote(m.name)}", m.dax)
    if m.format_string and not m.format_dax:  # a dynamic format string replaces it
        out.append(f"\t\tformatString: {m.format_string}")
    out.append(f"\t\tlineageTag: {lineage_tag(table.name, 'measure', m.name)}")
    if m.format_dax:
        out += [""] + _expression(2, "formatStringDefinition", m.format_dax)
    return out + [""]


def _column(table: Table, c: Column) -> list[str]:
    kind = c.type
    out = [f"\tcolumn {quote(c.name)}", f"\t\tdataType: {kind.data_type}"]
    if table.is_date_table and c.name == "Date":
        out.append("\t\tisKey")
    if table.dax is not None:
        out.append("\t\tisNameInferred")
    if kind.format_string:
        out.append(f"\t\tformatString: {kind.format_string}")
    out += [f"\t\tlineageTag: {lineage_tag(table.name, 'column', c.name)}",
            "\t\tsummarizeBy: none",
            f"\t\tsourceColumn: {'[' + c.name + ']' if table.dax is not None else c.name}"]
    out += _annotation(2, "SummarizationSetBy", "Automatic")
    if kind.date_only:
        out += _annotation(2, "UnderlyingDateTimeDataType", "Date")
    return out + [""]


def partition_m(table: Table) -> str:
    """The Power Query of a warehouse table: navigate, keep the model's columns, type them."""
    cols = ", ".join(f'"{c.name}"' for c in table.columns)
    types = ", ".join(f'{{"{c.name}", {c.type.m_type}}}' for c in table.columns)
    return ("let\n"
            f"    Source = Warehouse{{[Name = \"{table.relation}\"]}}[Data],\n"
            f"    Columns = Table.SelectColumns(Source, {{{cols}}}),\n"
            f"    Typed = Table.TransformColumnTypes(Columns, {{{types}}})\n"
            "in\n"
            "    Typed")


def _partition(table: Table) -> list[str]:
    if table.dax is not None:
        kind, source = "calculated", table.dax
    else:
        kind = "m"
        source = partition_m(table) if table.relation else table.m_source or ""
    out = [f"\tpartition {quote(table.name)} = {kind}", "\t\tmode: import"]
    return out + _expression(2, "source", source)


def render_table(table: Table) -> str:
    out = _description(0, table.description) + [f"table {quote(table.name)}"]
    if table.hidden:
        out.append("\tisHidden")
    if table.is_date_table:
        out.append("\tdataCategory: Time")
    out += [f"\tlineageTag: {lineage_tag(table.name)}", ""]
    for m in table.measures:
        out += _measure(table, m)
    for c in table.columns:
        out += _column(table, c)
    out += _partition(table)
    if table.dax is None:
        out += _annotation(1, "PBI_ResultType", "Table")
    return "\n".join(out) + "\n"


def render_relationships(model: Model) -> str:
    out: list[str] = []
    for r in model.relationships:
        out += [f"relationship {r.name}",
                f"\tfromColumn: {quote(r.from_table)}.{quote(r.from_column)}",
                f"\ttoColumn: {quote(r.to_table)}.{quote(r.to_column)}", ""]
    return "\n".join(out)


def render_files(model: Model) -> dict[str, str]:
    """Every file of ``<Name>.SemanticModel/definition/``, by path relative to that folder."""
    files = {"database.tmdl": render_database(), "model.tmdl": render_model(model),
             "expressions.tmdl": render_expressions(model),
             "relationships.tmdl": render_relationships(model)}
    for table in model.tables:
        files[f"tables/{table.name}.tmdl"] = render_table(table)
    return files
