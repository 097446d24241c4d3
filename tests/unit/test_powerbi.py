"""The Power BI project: generated, not hand-edited; valid by Microsoft's schemas; every field the
report uses exists in the model, and every model column comes from the warehouse's definitions.

The checks read the committed files as text (TMDL parsed by lines, PBIR as JSON), so they test
what Power BI Desktop would open, not only the generator's objects.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re

import pytest

from seatlib.core import contracts
from seatlib.history import ledger
from seatlib.systems import warehouse
from seatlib.powerbi import model as pbi_model
from seatlib.powerbi import project, schemas

ROOT = project.POWERBI_DIR
DEFINITION = ROOT / project.MODEL_DIR / "definition"


# ---------------------------------------------------------------------------------------------
# Reading the committed files.
# ---------------------------------------------------------------------------------------------


def _unquote(name: str) -> str:
    name = name.strip()
    return name[1:-1].replace("''", "'") if name.startswith("'") else name


def tmdl_tables() -> dict[str, dict]:
    """Each TMDL table file: its columns, measures and the warehouse relation its query reads."""
    out = {}
    for path in sorted((DEFINITION / "tables").glob("*.tmdl")):
        text = path.read_text(encoding="utf-8")
        name = _unquote(re.search(r"^table (.+)$", text, re.M).group(1))
        relation = re.search(r'Warehouse\{\[Name = "([^"]+)"\]\}', text)
        selected = re.search(r"Table\.SelectColumns\(Source, \{([^}]*)\}\)", text)
        out[name] = {
            "columns": [_unquote(c) for c in re.findall(r"^\tcolumn (.+)$", text, re.M)],
            "measures": [_unquote(m) for m in re.findall(r"^\tmeasure ('[^']*(?:''[^']*)*'|\S+)",
                                                         text, re.M)],
            "relation": relation.group(1) if relation else None,
            "selected": re.findall(r'"([^"]+)"', selected.group(1)) if selected else None,
            "calculated": " = calculated" in text,
        }
    return out


def report_fields() -> set[tuple[str, str, str]]:
    """(kind, table, name) of every field referenced anywhere in the report's JSON files."""
    found: set[tuple[str, str, str]] = set()

    def walk(node):
        if isinstance(node, dict):
            for kind in ("Column", "Measure"):
                ref = node.get(kind)
                if isinstance(ref, dict) and "Entity" in ref.get("Expression", {}).get(
                        "SourceRef", {}):
                    found.add((kind, ref["Expression"]["SourceRef"]["Entity"], ref["Property"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (ROOT / project.REPORT_DIR).rglob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return found


# ---------------------------------------------------------------------------------------------
# Generated, not hand-edited.
# ---------------------------------------------------------------------------------------------


def test_committed_project_is_what_the_generator_writes():
    problems = project.drift(ROOT)
    assert problems == [], ("powerbi/ differs from the generator: run `python -m seatlib.powerbi`"
                            f" and commit: {problems}")


def test_drift_names_changed_missing_and_stale_files(tmp_path):
    project.write(tmp_path)
    assert project.drift(tmp_path) == []
    (tmp_path / project.MODEL_DIR / "definition" / "model.tmdl").write_text("edited by hand\n")
    (tmp_path / f"{project.PROJECT}.pbip").unlink()
    stale = tmp_path / project.REPORT_DIR / "definition" / "pages" / "old" / "page.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    assert project.drift(tmp_path) == [
        f"missing: {project.PROJECT}.pbip",
        f"differs: {project.MODEL_DIR}/definition/model.tmdl",
        f"not generated (stale): {project.REPORT_DIR}/definition/pages/old/page.json",
    ]
    project.write(tmp_path)
    assert project.drift(tmp_path) == [] and not stale.parent.exists()


def test_a_new_contract_column_reaches_the_model_and_fails_the_drift_check(monkeypatch):
    wider = dataclasses.replace(contracts.GOLD_STATUS,
                                columns={**contracts.GOLD_STATUS.columns, "region": "str"})
    monkeypatch.setattr(pbi_model, "GOLD_STATUS", wider)
    files = project.project_files()
    for table in ("Latest Status", "Status History"):
        text = files[f"{project.MODEL_DIR}/definition/tables/{table}.tmdl"].decode()
        assert "\tcolumn region\n" in text and '"region", type text' in text
    assert any("Latest Status.tmdl" in line for line in project.drift(ROOT))


def test_generation_is_byte_stable():
    assert project.project_files() == project.project_files()


# ---------------------------------------------------------------------------------------------
# Valid by Microsoft's schemas; the files a PBIP needs; encoding.
# ---------------------------------------------------------------------------------------------

_ROOTS = schemas.schema_roots()


@pytest.mark.parametrize("root", _ROOTS or [None], ids=[str(r) for r in _ROOTS] or ["none"])
def test_every_json_file_validates_against_microsofts_schema(root):
    if root is None:
        pytest.skip("no copy of Microsoft's JSON schemas: set POWERBI_JSON_SCHEMAS, or restore "
                    "powerbi/schemas/")
    docs = {p.relative_to(ROOT).as_posix(): json.loads(p.read_text(encoding="utf-8"))
            for p in ROOT.rglob("*") if p.is_file() and p.suffix in (".json", ".pbir", ".pbism",
                                                                    ".pbip")
            and "schemas" not in p.relative_to(ROOT).parts}
    assert len(docs) >= 8
    assert schemas.validate(docs, root) == []


def test_schema_validation_catches_a_broken_file():
    docs = project.json_documents()
    name = next(n for n in docs if n.endswith("reclaim_list/visual.json"))
    broken = copy.deepcopy(docs[name])
    broken["position"].pop("width")
    broken["visual"]["query"]["queryState"]["Values"]["projections"][0]["oops"] = 1
    problems = schemas.validate({name: broken}, schemas.VENDORED)
    assert len(problems) == 2 and all(p.startswith(name) for p in problems)
    assert schemas.validate({"x.json": {"$schema": schemas.SCHEMA_BASE + "nope/schema.json"}},
                            schemas.VENDORED)[0].startswith("x.json: schema ")


def test_vendored_schemas_are_microsofts_unchanged():
    if not (schemas.SHARED / "fabric").is_dir():
        pytest.skip(f"no full copy at {schemas.SHARED} to compare powerbi/schemas/ with")
    vendored = [p for p in schemas.VENDORED.rglob("*") if p.is_file() and p.name != "README.md"]
    assert vendored
    for path in vendored:
        rel = path.relative_to(schemas.VENDORED)
        assert path.read_bytes() == (schemas.SHARED / rel).read_bytes(), rel
    wanted = {p.relative_to(schemas.SHARED.resolve()) for p in
              schemas.closure(schemas.SHARED, project.schema_urls())}
    assert wanted == {p.relative_to(schemas.VENDORED) for p in vendored if p.name != "LICENSE"}


def test_the_files_a_pbip_report_and_semantic_model_need_are_there():
    report, model = ROOT / project.REPORT_DIR, ROOT / project.MODEL_DIR
    required = [ROOT / f"{project.PROJECT}.pbip", report / "definition.pbir",
                report / "definition" / "report.json", report / "definition" / "version.json",
                report / "definition" / "pages" / "pages.json", model / "definition.pbism",
                DEFINITION / "database.tmdl", DEFINITION / "model.tmdl",
                DEFINITION / "expressions.tmdl", DEFINITION / "relationships.tmdl"]
    assert [p for p in required if not p.is_file()] == []
    pages = json.loads((report / "definition" / "pages" / "pages.json").read_text())
    for page in pages["pageOrder"]:
        folder = report / "definition" / "pages" / page
        assert (folder / "page.json").is_file()
        assert len(list(folder.glob("visuals/*/visual.json"))) >= 5
    pbir = json.loads((report / "definition.pbir").read_text())
    assert (report / pbir["datasetReference"]["byPath"]["path"]).resolve() == model.resolve()
    model_tmdl = (DEFINITION / "model.tmdl").read_text()
    refs = {_unquote(r) for r in re.findall(r"^ref table (.+)$", model_tmdl, re.M)}
    assert refs == set(tmdl_tables())


def test_files_are_utf8_without_bom_with_lf_line_ends():
    for path in ROOT.rglob("*"):
        if path.is_file() and "schemas" not in path.relative_to(ROOT).parts:
            data = path.read_bytes()
            assert not data.startswith(b"\xef\xbb\xbf"), path
            assert b"\r" not in data, path
            data.decode("utf-8")


# ---------------------------------------------------------------------------------------------
# Field references: report -> model -> warehouse.
# ---------------------------------------------------------------------------------------------


def test_every_report_field_exists_in_the_model():
    tables = tmdl_tables()
    used = report_fields()
    assert {kind for kind, _, _ in used} == {"Column", "Measure"}
    missing = [(kind, table, name) for kind, table, name in used
               if name not in tables.get(table, {}).get("columns" if kind == "Column"
                                                        else "measures", [])]
    assert missing == []


def _view_columns(relation: str) -> dict[str, str]:
    """Columns of a warehouse relation from seatlib.systems.warehouse's own definitions."""
    if relation in (warehouse.STATUS_TABLE, warehouse.STATUS_LATEST_VIEW):
        return dict(contracts.GOLD_STATUS.columns)
    if relation == ledger.TABLE:
        return dict(ledger.PIPELINE_RUNS.columns)
    if relation == warehouse.LEDGER_LATEST_VIEW:
        return dict(contracts.GOLD_LEDGER.columns)
    assert relation == warehouse.CAPACITY_VIEW, f"{relation} is not a Power BI relation"
    return {**contracts.GOLD_CAPACITY.columns, **pbi_model.CAPACITY_VIEW_EXTRAS}


def test_every_model_table_traces_to_a_warehouse_relation_or_is_generated():
    tables = tmdl_tables()
    relations = {name: t["relation"] for name, t in tables.items() if t["relation"]}
    assert relations == {"Capacity": warehouse.CAPACITY_VIEW,
                         "Latest Status": warehouse.STATUS_LATEST_VIEW,
                         "Status History": warehouse.STATUS_TABLE,
                         "Seat Ledger": warehouse.LEDGER_LATEST_VIEW,
                         "Pipeline Runs": ledger.TABLE}
    for name, t in tables.items():
        if t["relation"]:
            assert t["columns"] == list(_view_columns(t["relation"])), name
            assert t["selected"] == t["columns"], name
    others = {n for n, t in tables.items() if not t["relation"]}
    assert others == {"Date", "Settings"} and tables["Date"]["calculated"]


def test_the_view_extras_are_columns_the_view_really_computes():
    select = warehouse.view_definitions("s")[warehouse.CAPACITY_VIEW]
    for column in pbi_model.CAPACITY_VIEW_EXTRAS:
        assert f" AS {column}" in select, column


def test_every_logical_type_has_a_power_bi_type():
    assert set(pbi_model.MODEL_TYPES) == set(contracts.TYPES)


def test_dax_references_name_existing_columns_and_measures():
    m = pbi_model.build_model()
    columns = {(t.name, c.name) for t in m.tables for c in t.columns}
    measures = set(m.measure_names())
    for table in m.tables:
        for measure in table.measures:
            for texts in (measure.dax, measure.format_dax or ""):
                qualified = re.findall(r"(?:'([^']+)'|\b([A-Za-z_]\w*))\[([^\]]+)\]", texts)
                for quoted, bare, col in qualified:
                    assert (quoted or bare, col) in columns, (measure.name, quoted or bare, col)
                bare_refs = re.findall(r"(?<![\w'\]])\[([^\]]+)\]", texts)
                assert set(bare_refs) <= measures, (measure.name, set(bare_refs) - measures)


def test_the_date_table_is_generated_from_the_snapshot_range_and_related():
    text = (DEFINITION / "tables" / "Date.tmdl").read_text()
    assert "dataCategory: Time" in text and "\t\tisKey\n" in text
    assert "CALENDAR ( COALESCE ( first, TODAY () ), COALESCE ( last, TODAY () ) )" in text
    assert "MIN ( Capacity[snapshot_date] )" in text
    rel = (DEFINITION / "relationships.tmdl").read_text()
    assert "fromColumn: Capacity.snapshot_date\n\ttoColumn: Date.Date" in rel
    assert "fromColumn: 'Status History'.snapshot_date\n\ttoColumn: Date.Date" in rel


def test_the_connection_is_a_parameter_choosing_the_connector():
    text = (DEFINITION / "expressions.tmdl").read_text()
    assert re.search(r'^expression Connector = "Redshift" meta \[IsParameterQuery=true, '
                     r'List=\{"Redshift", "PostgreSQL"\}', text, re.M)
    for name in ("Server", "Database", "Schema", "PricePerSeat", "PricePerModule", "Currency"):
        assert re.search(rf"^expression {name} = .* meta \[IsParameterQuery=true", text, re.M)
    assert "AmazonRedshift.Database(Server, Database)" in text
    assert "PostgreSQL.Database(Server, Database, [HierarchicalNavigation = true])" in text
    assert f'expression Schema = "{pbi_model.cfg.Settings.warehouse_schema}"' in text


def test_tmdl_indents_with_tabs():
    """TMDL nests by tabs; spaces may only follow them, inside an expression's own layout."""
    for path in DEFINITION.rglob("*.tmdl"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            assert not line.startswith(" "), f"{path.name}:{n}"


# ---------------------------------------------------------------------------------------------
# The runner's --serve options.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--serve"], ["--stop-serving"], ["--serve-port", "5999"],
                                  ["--serve-host", "0.0.0.0"],
                                  ["--demo", "--stop-serving", "--serve"],
                                  ["--demo", "--stop-serving", "--date", "2026-01-01"]])
def test_serve_options_need_the_demo_and_stop_serving_runs_nothing_else(argv, capsys):
    from seatlib.run import runner

    with pytest.raises(SystemExit) as exc:
        runner.parse_args(argv)
    assert exc.value.code == 2
    assert "--serve" in capsys.readouterr().err


def test_serve_options_parse_with_the_demo():
    from seatlib.run import runner

    args = runner.parse_args(["--demo", "--serve", "--serve-host", "0.0.0.0",
                              "--serve-port", "6000"])
    assert (args.serve, args.serve_host, args.serve_port) == (True, "0.0.0.0", 6000)
