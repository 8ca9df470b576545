"""The analytics dashboards, downloads and open-data API over the hand-made data set of tests/analytics_parts.py
(k = 3, so train-b's two learners are withheld): who may see which dashboard, figures equal to the released tables,
withheld cells never a number, downloads that parse back, the API's JSON, its cache and limit, and Polish."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.model.trust import LegalIdentity
from cairn.services.analytics.engine import Query, Table
from cairn.settings import Settings
from cairn.web.analytics.api import PER_MINUTE
from cairn.web.app import create_app
from tests.analytics_parts import build_dataset
from tests.factories import PASSWORD, FixedClock
from tests.helpers import csrf_of, sign_in

K = 3
ADMIN, MEMBER, OTHER, OPERATOR = "admin@example.org", "member@example.org", "other@example.org", "op@example.org"


def _container(url: str, tmp_path: Path) -> Container:
    settings = Settings(database_url=url, analytics_k=K, analytics_cache=str(tmp_path / "cache"), secret_key="a" * 48)
    container = build(settings, clock=FixedClock())
    container.accounts.create_account(email=ADMIN, password=PASSWORD, is_admin=True)
    return container


@pytest.fixture
def site(migrated_sqlite_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Container]]:
    container = _container(migrated_sqlite_url, tmp_path)
    build_dataset(container.database)
    container.analytics.refresh()
    # the first member of an organisation is its owner
    for organisation, email, role in (("uni-a", "boss@example.org", "owner"), ("uni-a", MEMBER, "viewer"),
                                      ("train-b", OTHER, "owner"), ("train-b", OPERATOR, "operator")):  # fmt: skip
        container.accounts.add_member(organisation=organisation, email=email, role=role, notify=False)
        container.accounts.set_password(email=email, password=PASSWORD)
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client, container


def _released(container: Container, query: Query) -> Table:
    table = container.analytics.table(query)
    assert table is not None
    return table


def _cells(page: str, caption: str) -> dict[str, str]:
    """The data table captioned ``caption``: row head -> the row's first figure."""
    start = page.index(f">{caption}</caption>")
    body = page[start : page.index("</table>", start)]
    rows = re.findall(r'<th scope="row">(.*?)</th><td[^>]*>(.*?)</td>', body)
    return {html.unescape(head): html.unescape(value) for head, value in rows}


# -- who may see what ---------------------------------------------------------------------------------------------


def test_each_dashboard_is_for_its_audience_only(site: tuple[TestClient, Container]) -> None:
    client, _ = site
    assert client.get("/open-data").status_code == 200  # anyone
    assert client.get("/analytics", follow_redirects=False).status_code == 303  # sign in first
    sign_in(client, OTHER)
    assert client.get("/orgs/uni-a/analytics").status_code == 404  # not a member
    assert client.get("/orgs/uni-a/analytics/table.csv?indicator=awards").status_code == 404
    assert client.get("/analytics").status_code == 403  # not an administrator
    assert client.get("/analytics/table.csv?indicator=awards").status_code == 403
    assert client.get("/orgs/train-b/analytics").status_code == 200
    sign_in(client, MEMBER)
    assert client.get("/orgs/uni-a/analytics").status_code == 200
    assert client.get("/orgs/uni-a/registry/analytics").status_code == 403  # a viewer runs no registry
    sign_in(client, ADMIN)
    assert client.get("/analytics").status_code == 200


def test_an_issuer_sees_only_its_own_figures(site: tuple[TestClient, Container]) -> None:
    client, container = site
    sign_in(client, MEMBER)
    page = client.get("/orgs/uni-a/analytics?indicator=awards&by=issuer").text
    assert _cells(page, "Awards by issuer") == {"uni-a": "17", "Total": "17"}
    own = _released(container, Query("awards", ("month",), scope=(1,)))
    overview = client.get("/orgs/uni-a/analytics").text
    assert _cells(overview, "Awards by month") == {
        **{c.keys[0]: str(int(c.value or 0)) for c in own.cells}, "Total": "17"
    }  # fmt: skip


def test_a_registry_sees_the_organisations_it_accredits(site: tuple[TestClient, Container]) -> None:
    client, container = site
    sign_in(client, OPERATOR)
    page = client.get("/orgs/train-b/registry/analytics?indicator=awards&by=issuer").text
    assert "No figures for this choice." in page  # it accredits nobody yet: nobody's figures
    assert container.registry.accredited_organisations("train-b") == ()
    stored = container.registry.accredit("train-b", actor="test", kind="issuer", subjects=[container.keys.did("uni-a")],
                                         identity=LegalIdentity("Uni A", "PL"))  # fmt: skip
    assert container.registry.accredited_organisations("train-b") == (1,)
    page = client.get("/orgs/train-b/registry/analytics?indicator=awards&by=issuer").text
    assert _cells(page, "Awards by issuer") == {"uni-a": "17", "Total": "17"}
    container.registry.change_status("train-b", stored.accreditation.id, status="suspended", reason="r", actor="test")
    assert container.registry.accredited_organisations("train-b") == ()  # not in force today


# -- figures as released ------------------------------------------------------------------------------------------


def test_the_open_data_page_shows_the_released_tables_and_never_a_withheld_number(
    site: tuple[TestClient, Container],
) -> None:
    client, container = site
    page = client.get("/open-data?indicator=awards&by=issuer").text
    table = _released(container, Query("awards", ("issuer",)))
    assert {c.keys[0]: c.suppressed for c in table.cells} == {"train-b": True, "uni-a": True}
    cells = _cells(page, "Awards by issuer")
    assert cells == {"train-b": "withheld: about fewer than 3 people", "uni-a": "withheld: would reveal a small group",
                     "Total": "19"}  # fmt: skip
    assert "17" not in page.split("<main", 1)[1]  # uni-a's count appears nowhere, not in the chart either
    assert "<svg" not in page  # every value withheld: no chart at all, the table says why
    page = client.get("/open-data?indicator=awards&by=eqf").text
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert chart.count("<rect") == 1  # EQF 6 (12); EQF 4 and 5 withheld: gaps, not bars
    assert chart.count(">withheld</text>") == 2
    assert "snapshot of" in page
    assert "fewer than 3 people is withheld" in page


def test_ratios_are_percentages_and_medians_days(site: tuple[TestClient, Container]) -> None:
    client, _ = site
    assert _cells(client.get("/open-data?indicator=claim_rate").text, "Claim rate") == {"Percentage": "31.6%"}
    assert _cells(client.get("/open-data?indicator=days_to_claim").text, "Median days to claim") == {
        "Days (median)": "3.5"
    }


def test_a_two_way_table_has_its_margins(site: tuple[TestClient, Container]) -> None:
    client, _ = site
    page = client.get("/open-data?indicator=awards&by=month&by=mode").text
    assert "Awards by month and mode of delivery" in page
    assert '<th scope="col">Total</th>' in page
    assert re.search(r'<th scope="row">Total</th>(<td[^>]*>[^<]*</td>)*<td>19</td></tr>', page)


def test_a_bad_query_says_why(site: tuple[TestClient, Container]) -> None:
    client, _ = site
    answer = client.get("/open-data?indicator=shares&filter.field=06")
    assert answer.status_code == 422
    assert "cannot be broken down by field" in html.unescape(answer.text)
    assert client.get("/open-data?indicator=awards&from=2026-13").status_code == 422
    assert client.get("/open-data?indicator=awards&by=month&by=mode&by=eqf").status_code == 422


def test_filters_offer_the_values_of_the_definitions_awarded(site: tuple[TestClient, Container]) -> None:
    client, container = site
    # public facts about courses (the catalogue), not about people: train-b's in-person course is offered although
    # its two learners are too few for a figure (which stays withheld)
    assert container.analytics.values("mode") == ["blended", "in-person", "online"]
    assert container.analytics.values("mode", scope=(2,)) == ["in-person"]
    page = client.get("/open-data").text
    select = page[page.index('name="filter.mode"') : page.index("</select>", page.index('name="filter.mode"'))]
    assert 'value="online"' in select
    assert 'value="in-person"' in select
    filtered = client.get("/open-data?indicator=awards&filter.mode=in-person").text
    assert ">2<" not in filtered  # the two awards are not told


# -- downloads ----------------------------------------------------------------------------------------------------


def test_downloads_parse_back_to_the_table_shown(site: tuple[TestClient, Container], tmp_path: Path) -> None:
    client, container = site
    table = _released(container, Query("awards", ("month",)))
    expected = {c.keys[0]: c.value for c in table.cells}
    answer = client.get("/open-data/table.csv?indicator=awards&by=month")
    assert answer.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["month"]: float(r["value"]) for r in lines if r["part"] == "cell"} == expected
    assert {r["indicator"] for r in lines} == {"awards"}
    assert {r["k"] for r in lines} == {str(K)}
    assert lines[0]["formula"].startswith("number of micro-credentials awarded")
    answer = client.get("/open-data/table.parquet?indicator=awards&by=issuer")
    path = tmp_path / "t.parquet"
    path.write_bytes(answer.content)
    with duckdb.connect() as connection:
        sql = f"SELECT part, issuer, value, withheld, k FROM '{path}' ORDER BY part, issuer"
        read = connection.execute(sql).fetchall()
    assert read == [("cell", "train-b", None, "small", K), ("cell", "uni-a", None, "complementary", K),
                    ("total", "", 19.0, "", K)]  # fmt: skip


# -- the API ------------------------------------------------------------------------------------------------------


def test_the_api_lists_indicators_and_answers_a_table(site: tuple[TestClient, Container]) -> None:
    client, _ = site
    listed = client.get("/api/v1/analytics/indicators")
    assert listed.status_code == 200
    assert listed.headers["cache-control"].startswith("public, max-age=")
    awards = next(i for i in listed.json()["indicators"] if i["id"] == "awards")
    assert "field" in awards["dimensions"]
    assert awards["formula"]
    answer = client.get("/api/v1/analytics/awards?by=field&from=2026-01&to=2026-02")
    body: dict[str, Any] = answer.json()
    assert answer.headers["cache-control"].startswith("public")
    assert body["k"] == K
    assert body["snapshot"]["id"] >= 1
    assert body["cells"] == [{"keys": {"field": "04"}, "value": 5.0}, {"keys": {"field": "06"}, "value": 14.0}]
    assert body["total"]["value"] == 19
    assert client.get("/api/v1/analytics/awards?by=issuer").json()["cells"][0] == {
        "keys": {"issuer": "train-b"}, "value": None, "withheld": "small",
    }  # fmt: skip
    assert client.get("/api/v1/analytics/nothing").status_code == 400
    assert client.get("/api/v1/analytics/awards?by=skill").status_code == 400


def test_the_api_is_limited_per_client(site: tuple[TestClient, Container]) -> None:
    client, _ = site
    for _ in range(PER_MINUTE):
        assert client.get("/api/v1/analytics/indicators").status_code == 200
    refused = client.get("/api/v1/analytics/indicators")
    assert refused.status_code == 429
    assert "retry-after" in refused.headers


# -- before the first snapshot ------------------------------------------------------------------------------------


def test_before_the_first_snapshot_an_administrator_can_ask_for_one(migrated_sqlite_url: str, tmp_path: Path) -> None:
    container = _container(migrated_sqlite_url, tmp_path)
    with TestClient(create_app(container), follow_redirects=False) as client:
        assert "No figures yet" in client.get("/open-data").text
        assert "Make a snapshot now" not in client.get("/open-data").text
        assert client.get("/api/v1/analytics/awards").status_code == 404
        token = sign_in(client, ADMIN)
        page = client.get("/analytics").text
        assert "No figures yet" in page
        assert "Make a snapshot now" in page
        assert client.post("/analytics/refresh", data={"csrf_token": "wrong"}).status_code == 403
        answer = client.post("/analytics/refresh", data={"csrf_token": csrf_of(page) or token},
                             follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303
        assert "A refresh is queued" in client.get(answer.headers["location"]).text


def test_the_dashboard_reads_in_polish(site: tuple[TestClient, Container]) -> None:
    client, _ = site
    page = client.get("/open-data?lang=pl&indicator=awards&by=issuer").text
    assert "Otwarte dane o mikropoświadczeniach" in page
    assert "Nadania w podziale na: wystawca" in page
    assert "ukryte: dotyczy mniej niż 3 osób" in page
    assert "withheld" not in page.split("<main", 1)[1].replace('class="withheld"', "")


def test_the_api_serves_the_differentially_private_release_when_there_is_one(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    plain = _container(migrated_sqlite_url, tmp_path)
    build_dataset(plain.database)
    plain.analytics.refresh()
    with TestClient(create_app(plain), follow_redirects=False) as client:
        assert client.get("/api/v1/analytics/release").status_code == 404  # no budget set: no release
    settings = Settings(database_url=migrated_sqlite_url, analytics_k=K, analytics_cache=str(tmp_path / "dp"),
                        analytics_epsilon=1.0, secret_key="a" * 48)  # fmt: skip
    noisy = build(settings, clock=FixedClock())
    noisy.analytics.refresh()
    with TestClient(create_app(noisy), follow_redirects=False) as client:
        answer = client.get("/api/v1/analytics/release")
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=600"
        body = answer.json()
        assert (body["epsilon"], body["format"]) == (1.0, "cairn-analytics-release/1")
        assert body == client.get("/api/v1/analytics/release").json()  # the same noise every time
        assert client.get("/api/v1/analytics/awards").status_code == 200  # not taken for an indicator's name
