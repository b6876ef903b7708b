"""Stage by stage: parse (YAML 1.2, positions), dotenv, merge rules, profiles, graph API."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.config import LoadOptions, load_project
from richcompose.config.dotenv import parse_dotenv
from richcompose.config.merge import merge_documents
from richcompose.config.parse import parse_yaml
from richcompose.config.unsupported import SERVICE_RULES
from richcompose.errors import ConfigError, GraphError
from richcompose.graph import build_graph, select, start_order, stop_order, to_mermaid

REPO = Path(__file__).resolve().parents[2]


def project(tmp_path: Path, text: str, **options):  # type: ignore[no-untyped-def]
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    return load_project(LoadOptions(files=(path,), environ={}, working_dir=tmp_path, **options))


# parse
def test_yaml_1_2_keeps_no_on_and_sexagesimal_as_strings() -> None:
    data, _ = parse_yaml("a: no\nb: on\nc: 22:22\nd: yes\n", "f")
    assert data == {"a": "no", "b": "on", "c": "22:22", "d": "yes"}


def test_explicit_str_tag_keeps_a_number_a_string() -> None:
    assert parse_yaml("a: !!str 5\n", "f")[0] == {"a": "5"}


def test_positions_point_at_keys_and_values() -> None:
    _, smap = parse_yaml("services:\n  web:\n    image: a\n", "f.yaml")
    assert str(smap.locate(("services", "web", "image"), key=True)) == "f.yaml:3:5"
    assert str(smap.locate(("services", "web", "image"))) == "f.yaml:3:12"


def test_merge_key_values_written_in_the_mapping_win() -> None:
    data, _ = parse_yaml("x: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\n", "f")
    assert data["y"] == {"a": 1, "b": 3}


def test_each_alias_is_its_own_copy() -> None:
    data, _ = parse_yaml("x: &e {A: '1'}\na: *e\nb: *e\n", "f")
    data["a"]["A"] = "changed"
    assert data["b"] == {"A": "1"}


def test_aliased_values_are_located_where_the_anchor_wrote_them() -> None:
    _, smap = parse_yaml("x: &e\n  image: a\nservices:\n  web: *e\n", "f.yaml")
    assert str(smap.locate(("services", "web", "image"), key=True)) == "f.yaml:2:3"


@pytest.mark.parametrize(("text", "message"), [
    ("a: *nope\n", "unknown alias"),
    ("a: 1\n---\nb: 2\n", "one YAML document"),
    ("a: [1\n", "invalid YAML"),
    ("? [a]\n: 1\n", "plain value"),
    ("<<: [1]\n", "merge key"),
])
def test_malformed_yaml_is_a_located_config_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_yaml(text, "f.yaml")
    assert caught.value.location is not None and caught.value.location.file == "f.yaml"


# dotenv
def test_dotenv_quotes_comments_and_expansion() -> None:
    text = 'A=1 # note\nexport B="x\\ny"\nC=\'$A literal\'\nD=${A}-${OUTER}\n# c\n\nE\n'
    assert parse_dotenv(text, ".env", {"OUTER": "o", "E": "from env"}) == {
        "A": "1", "B": "x\ny", "C": "$A literal", "D": "1-o", "E": "from env"}


def test_dotenv_line_that_is_not_an_assignment_is_an_error_with_its_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_dotenv("A=1\n!!!\n", ".env")
    assert caught.value.location.line == 2


# merge
def merged(base: str, over: str) -> dict:  # type: ignore[type-arg]
    b, bm = parse_yaml(base, "a")
    o, om = parse_yaml(over, "b")
    return merge_documents(b, bm, o, om)[0]


def test_ports_merge_by_published_port_and_keep_order() -> None:
    out = merged("s: {services: 1}\nservices: {w: {ports: ['80:80', '90:90']}}",
                 "services: {w: {ports: ['90:90', '70:70']}}")
    assert out["services"]["w"]["ports"] == ["80:80", "90:90", "70:70"]


def test_volumes_merge_by_target() -> None:
    out = merged("services: {w: {volumes: ['./a:/data', 'v:/logs']}}",
                 "services: {w: {volumes: ['./b:/data']}}")
    assert out["services"]["w"]["volumes"] == ["./b:/data", "v:/logs"]


def test_environment_list_and_mapping_merge_as_mappings() -> None:
    out = merged("services: {w: {environment: [A=1, B=2]}}",
                 "services: {w: {environment: {B: '3'}}}")
    assert out["services"]["w"]["environment"] == {"A": "1", "B": "3"}


def test_command_is_replaced_not_appended() -> None:
    out = merged("services: {w: {command: [a, b]}}", "services: {w: {command: [c]}}")
    assert out["services"]["w"]["command"] == ["c"]


def test_merged_values_keep_the_position_of_the_file_they_came_from() -> None:
    b, bm = parse_yaml("services:\n  w:\n    ports: ['80:80']\n", "a.yaml")
    o, om = parse_yaml("services:\n  w:\n    ports:\n      - '90:90'\n", "b.yaml")
    _, smap = merge_documents(b, bm, o, om)
    assert str(smap.locate(("services", "w", "ports", 0))) == "a.yaml:3:13"
    assert str(smap.locate(("services", "w", "ports", 1))) == "b.yaml:4:9"


# profiles and warnings
def test_service_without_profiles_always_exists(tmp_path: Path) -> None:
    loaded = project(tmp_path, "services:\n  a: {image: x}\n  b: {image: x, profiles: [p]}\n")
    assert list(loaded.services) == ["a"]
    assert loaded.all_profiles == ["p"]


def test_star_enables_every_profile(tmp_path: Path) -> None:
    loaded = project(tmp_path, "services:\n  b: {image: x, profiles: [p]}\n", profiles=("*",))
    assert list(loaded.services) == ["b"]


def test_warnings_carry_file_and_line(tmp_path: Path) -> None:
    loaded = project(tmp_path, "services:\n  a:\n    image: x\n    isolation: hyperv\n")
    assert [(w.location.line, w.message.split()[0]) for w in loaded.warnings] == [(4, "isolation")]


def test_docs_table_lists_every_unsupported_key() -> None:
    reference = (REPO / "docs" / "reference.md").read_text()
    for rule in SERVICE_RULES:
        assert f"`{rule.key}`" in reference, rule.key


# graph
def test_start_and_stop_order_follow_dependencies(tmp_path: Path) -> None:
    graph = build_graph(project(tmp_path, "services:\n  web: {image: x, depends_on: [db]}\n"
                                          "  db: {image: x}\n  log: {image: x}\n"))
    assert start_order(graph) == ["db", "log", "web"]
    assert stop_order(graph) == ["web", "log", "db"]
    assert select(graph, ["web"]) == {"web", "db"}
    assert select(graph, ["web"], with_dependencies=False) == {"web"}


def test_implicit_dependency_cycle_points_at_the_line_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(GraphError) as caught:
        build_graph(project(tmp_path, "services:\n  a: {image: x, network_mode: 'service:b'}\n"
                                      "  b:\n    image: x\n    volumes_from: [a]\n"))
    assert "dependency cycle" in caught.value.message
    assert caught.value.location.line in (2, 5)


def test_mermaid_ids_are_safe_for_dotted_service_names(tmp_path: Path) -> None:
    graph = build_graph(project(tmp_path, "services:\n  a.b: {image: x, depends_on: [c-d]}\n"
                                          "  c-d: {image: x}\n"))
    assert to_mermaid(graph).splitlines() == [
        "graph LR", '  s0["c-d"]', '  s1["a.b"]', "  s1 -->|started| s0"]


def test_unknown_service_in_select_lists_the_known_ones(tmp_path: Path) -> None:
    graph = build_graph(project(tmp_path, "services:\n  a: {image: x}\n"))
    with pytest.raises(GraphError, match="no such service"):
        select(graph, ["b"])


def test_empty_file_is_an_error_as_in_compose(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="empty compose file"):
        project(tmp_path, "")


def test_file_with_only_a_services_key_is_a_project_without_services(tmp_path: Path) -> None:
    assert project(tmp_path, "services: {}\n").services == {}


def test_example_hello_loads_without_warnings() -> None:
    loaded = load_project(LoadOptions(environ={}, working_dir=REPO / "examples" / "hello"))
    assert loaded.warnings == [] and list(loaded.services) == ["db", "app"]



# CLI
def test_cli_prints_errors_without_traceback_unless_debug(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from richcompose.cli import main
    (tmp_path / "compose.yaml").write_text("services:\n  a: {image: x, depends_on: [b]}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert main(["--debug", "config"]) == 1
    assert "Traceback" in capsys.readouterr().err
