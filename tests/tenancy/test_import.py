import datetime
import html
import io
import re

import openpyxl
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from cxtracker.tenancy.models import Member, OrgUnit, UnitKind

UNITS_OK = (
    "code,name,kind,parent\n"
    "T-LIL-1,Lille 1,team,BU-LIL\n"  # the parent comes later in the file
    "R-NORD,Nord,region,\n"
    "BU-LIL,Lille,business_unit,R-NORD\n"
)


def _csv(text, name="units.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _xlsx(rows, name="file.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def _upload(client, setup_url, kind, file):
    return client.post(setup_url("tenancy:import"), {"kind": kind, "file": file})


def _confirm(client, setup_url, preview):
    form = preview.context["confirm"]
    return client.post(
        setup_url("tenancy:import-confirm"), {"kind": form["kind"].value(), "payload": form["payload"].value()}
    )


def test_units_file_with_one_bad_row_writes_nothing_and_names_the_row(client_for, admin, org, tree, setup_url):
    before = OrgUnit.objects.count()
    bad = "code,name,kind,parent\nR-NORD,Nord,region,\nBU-LIL,Lille,business_unit,R-NORD\nT-X,X,team,NOPE\n"
    response = _upload(client_for(admin), setup_url, "units", _csv(bad))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Row 4:" in body
    assert "Unknown parent “NOPE”" in body
    assert "nothing will be imported" in body
    assert response.context["confirm"] is None
    assert "Confirm import" not in body
    assert 'name="payload"' not in body
    assert OrgUnit.objects.count() == before


def test_good_units_file_imports_after_confirm_in_any_order(client_for, admin, org, tree, setup_url):
    client = client_for(admin)
    preview = _upload(client, setup_url, "units", _csv(UNITS_OK))
    assert preview.status_code == 200
    assert "Confirm import" in preview.content.decode()
    assert not OrgUnit.objects.for_org(org).filter(code="R-NORD").exists()
    response = _confirm(client, setup_url, preview)
    assert response.status_code == 302
    team = OrgUnit.objects.for_org(org).get(code="T-LIL-1")
    bu = OrgUnit.objects.for_org(org).get(code="BU-LIL")
    region = OrgUnit.objects.for_org(org).get(code="R-NORD")
    assert (team.parent, bu.parent, region.parent) == (bu, region, None)
    assert team.path == f"/{region.pk}/{bu.pk}/{team.pk}/"
    follow = client.get(response.url)
    assert "3 created, 0 updated" in follow.content.decode()


def test_units_import_updates_by_code_and_moves(client_for, admin, org, tree, members, setup_url):
    client = client_for(admin)
    # Move business unit B (with its teams T1, T2) under R2 and rename T1.
    text = "code;name;kind;parent\nB;Lille;business_unit;R2\nT1;Lille Centre;team;B\n"
    preview = _upload(client, setup_url, "units", _csv(text))
    assert preview.context["check"].to_update == 2
    response = _confirm(client, setup_url, preview)
    assert response.status_code == 302
    assert "0 created, 2 updated" in client.get(response.url).content.decode()
    t1, t2 = OrgUnit.objects.get(pk=tree["T1"].pk), OrgUnit.objects.get(pk=tree["T2"].pk)
    assert t1.name == "Lille Centre"
    assert t1.path == f"/{tree['R2'].pk}/{tree['B'].pk}/{t1.pk}/"
    assert t2.path == f"/{tree['R2'].pk}/{tree['B'].pk}/{t2.pk}/"
    assert OrgUnit.objects.for_org(org).count() == 7


def test_units_checks_kinds_parents_and_duplicates(client_for, admin, org, tree, members, setup_url):
    text = (
        "code,name,kind,parent\n"
        "A1,Region A,region,\n"  # 2: fine
        "A1,Again,region,\n"  # 3: duplicate code
        "A2,Bad kind,store,A1\n"  # 4: unknown kind
        "A3,Team on top,team,\n"  # 5: no parent
        "A4,BU under BU,business_unit,B\n"  # 6: business unit under a business unit
        "T1,Lille 1,business_unit,R\n"  # 7: a team with members cannot change kind
        "bad code!,X,region,\n"  # 8: invalid code
        ",,region,\n"  # 9: empty code and name
    )
    response = _upload(client_for(admin), setup_url, "units", _csv(text))
    errors = {row.number: " ".join(row.errors) for row in response.context["check"].rows if row.errors}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "already on row 2" in errors[3]
    assert "Unknown kind “store”" in errors[4]
    assert "Only a region can have no parent" in errors[5]
    assert "cannot sit under" in errors[6]
    assert "members belong to it" in errors[7]
    assert "letters, digits" in errors[8]
    assert "code is empty" in errors[9] and "name is empty" in errors[9]
    assert OrgUnit.objects.for_org(org).count() == 7


def test_members_import_from_xlsx_with_date_cells(client_for, admin, org, tree, members, setup_url):
    client = client_for(admin)
    rows = [
        ["code", "name", "team", "active_from", "active_to"],
        ["E0100", "Nora Blanc", "T1", datetime.datetime(2026, 1, 5), None],
        ["E0001", "Léa Martin", "T2", "2025-01-01", datetime.date(2026, 6, 30)],
        [1042, "Numeric Code", "T3", "2026-02-01", ""],
    ]
    preview = _upload(client, setup_url, "members", _xlsx(rows))
    assert preview.status_code == 200
    check = preview.context["check"]
    assert check.is_valid, [(r.number, r.errors) for r in check.rows]
    assert (check.to_create, check.to_update) == (2, 1)
    response = _confirm(client, setup_url, preview)
    assert response.status_code == 302
    nora = Member.objects.for_org(org).get(code="E0100")
    assert (nora.team, nora.active_from, nora.active_to) == (tree["T1"], datetime.date(2026, 1, 5), None)
    lea = Member.objects.for_org(org).get(code="E0001")
    assert (lea.team, lea.active_to) == (tree["T2"], datetime.date(2026, 6, 30))
    assert Member.objects.for_org(org).filter(code="1042").exists()


def test_units_import_from_xlsx(client_for, admin, org, setup_url):
    client = client_for(admin)
    rows = [["Code", "Name", "Kind", "Parent"], ["R-X", "Région X", "Region", None], ["T-X", "Team X", "team", "R-X"]]
    preview = _upload(client, setup_url, "units", _xlsx(rows, name="UNITS.XLSX"))
    assert _confirm(client, setup_url, preview).status_code == 302
    assert OrgUnit.objects.for_org(org).get(code="T-X").parent.code == "R-X"
    assert OrgUnit.objects.for_org(org).get(code="R-X").kind == UnitKind.REGION


def test_members_checks_team_and_dates(client_for, admin, org, tree, members, setup_url):
    text = (
        "code,name,team,active_from,active_to\n"
        "E0100,A,T9,2026-01-01,\n"  # 2: unknown team
        "E0101,B,B,2026-01-01,\n"  # 3: not a team
        "E0102,C,T1,01/02/2026,\n"  # 4: bad date
        "E0103,D,T1,2026-03-01,2026-02-01\n"  # 5: end before start
        "E0104,E,T1,,\n"  # 6: no start
    )
    response = _upload(client_for(admin), setup_url, "members", _csv(text, name="members.csv"))
    errors = {row.number: " ".join(row.errors) for row in response.context["check"].rows if row.errors}
    assert set(errors) == {2, 3, 4, 5, 6}
    assert "Unknown team “T9”" in errors[2]
    assert "not a team" in errors[3]
    assert "not a date" in errors[4]
    assert "before the start date" in errors[5]
    assert "start date (active_from) is empty" in errors[6]
    assert Member.objects.for_org(org).count() == 4


def test_semicolons_and_windows_encoding_are_read(client_for, admin, org, tree, setup_url):
    text = "code;name;team;active_from;active_to\r\nE0300;Hélène Côté;T1;2026-01-01;\r\n"
    preview = _upload(client_for(admin), setup_url, "members", _csv(text, name="m.csv", encoding="cp1252"))
    assert preview.context["check"].is_valid
    assert preview.context["check"].rows[0].values["name"] == "Hélène Côté"


def test_utf8_bom_is_read(client_for, admin, org, setup_url):
    preview = _upload(
        client_for(admin), setup_url, "units", _csv("\ufeff" + "code,name,kind,parent\nR-É,Été,region,\n")
    )
    assert preview.context["check"].rows[0].values == {"code": "R-É", "name": "Été", "kind": "region", "parent": ""}


def _file_error(response):
    """The file field's error list, as rendered (in the request's language)."""
    assert response.status_code == 400
    match = re.search(r'<ul class="errorlist" id="id_file_errors">(.*?)</ul>', response.content.decode(), re.S)
    assert match, "no error on the file field"
    return html.unescape(match[1])


def test_file_level_errors_are_explained(client_for, admin, org, setup_url):
    client = client_for(admin)
    missing = _upload(client, setup_url, "units", _csv("code,label,parent\nR,Nord,\n"))
    error = _file_error(missing)
    assert "missing columns: name, kind" in error and "unknown columns: label" in error
    assert "empty" in _file_error(_upload(client, setup_url, "units", _csv("")))
    assert "is empty" in _file_error(_upload(client, setup_url, "units", _csv("\n \n", name="blank.csv")))
    assert "no data rows" in _file_error(_upload(client, setup_url, "units", _csv("code,name,kind,parent\n")))
    assert ".csv or .xlsx" in _file_error(_upload(client, setup_url, "units", _csv("a,b", name="units.txt")))
    assert "Excel" in _file_error(_upload(client, setup_url, "units", _csv("not a zip", name="units.xlsx")))
    assert "encoding" in _file_error(
        _upload(client, setup_url, "units", SimpleUploadedFile("u.csv", b"code,name,kind\n\x81\x8d\x8f,x,region\n"))
    )
    assert OrgUnit.objects.for_org(org).count() == 0


def test_too_big_file_is_refused(client_for, admin, org, setup_url):
    big = "code,name,kind,parent\n" + ("R0," + "x" * 100 + ",region,\n") * 60000
    assert len(big) > 5 * 1024 * 1024
    response = _upload(client_for(admin), setup_url, "units", _csv(big))
    assert "too big" in _file_error(response)
    assert OrgUnit.objects.for_org(org).count() == 0


def test_tampered_payload_is_refused(client_for, admin, org, setup_url):
    client = client_for(admin)
    preview = _upload(client, setup_url, "units", _csv(UNITS_OK))
    payload = preview.context["confirm"]["payload"].value()
    response = client.post(setup_url("tenancy:import-confirm"), {"kind": "units", "payload": payload[:-3] + "abc"})
    assert response.status_code == 302
    assert "could not be verified" in client.get(response.url).content.decode()
    assert OrgUnit.objects.for_org(org).count() == 0


def test_payload_signed_for_another_organization_is_refused(client_for, admin, org, other_org, setup_url):
    forged = signing.dumps(
        [[2, {"code": "R-X", "name": "X", "kind": "region", "parent": ""}]],
        salt=f"tenancy.import:{other_org.pk}:units",
        compress=True,
    )
    client = client_for(admin)
    response = client.post(setup_url("tenancy:import-confirm"), {"kind": "units", "payload": forged})
    assert response.status_code == 302
    assert not OrgUnit.objects.filter(code="R-X").exists()


def test_confirm_checks_again_and_writes_nothing_if_the_data_changed(client_for, admin, org, tree, setup_url):
    client = client_for(admin)
    text = "code,name,team,active_from,active_to\nE0400,A,T1,2026-01-01,\nE0401,B,T2,2026-01-01,\n"
    preview = _upload(client, setup_url, "members", _csv(text, name="m.csv"))
    assert preview.context["check"].is_valid
    # Meanwhile T2 becomes a business unit: row 3 is no longer valid.
    OrgUnit.objects.filter(pk=tree["T2"].pk).update(kind=UnitKind.BUSINESS_UNIT)
    response = _confirm(client, setup_url, preview)
    assert response.status_code == 409
    assert "Row 3:" in response.content.decode()
    assert not Member.objects.for_org(org).filter(code__in=["E0400", "E0401"]).exists()


def test_templates_download_as_csv_and_import_as_they_are(client_for, admin, org, setup_url):
    client = client_for(admin)
    units = client.get(setup_url("tenancy:import-template-units"))
    assert units.status_code == 200
    assert units["Content-Type"].startswith("text/csv")
    assert units.content.decode("utf-8-sig").splitlines()[0] == "code,name,kind,parent"
    members = client.get(setup_url("tenancy:import-template-members"))
    assert members.content.decode("utf-8-sig").splitlines()[0] == "code,name,team,active_from,active_to"
    for kind, response in (("units", units), ("members", members)):
        preview = _upload(client, setup_url, kind, SimpleUploadedFile(f"{kind}.csv", response.content))
        assert preview.context["check"].is_valid, kind
        assert _confirm(client, setup_url, preview).status_code == 302
    assert Member.objects.for_org(org).count() == 2


def test_non_admin_members_get_403(client_for, manager, executive, org, setup_url):
    for user in (manager, executive):
        client = client_for(user)
        assert client.get(setup_url("tenancy:import")).status_code == 403
        assert _upload(client, setup_url, "units", _csv(UNITS_OK)).status_code == 403
    assert not OrgUnit.objects.for_org(org).filter(code="R-NORD").exists()


def test_outsider_gets_404_and_cannot_replay_a_preview_into_my_org(client_for, admin, outsider, org, other_org):
    from django.urls import reverse

    client = client_for(outsider)
    preview = client.post(
        reverse("tenancy:import", kwargs={"org": other_org.slug}), {"kind": "units", "file": _csv(UNITS_OK)}
    )
    payload = preview.context["confirm"]["payload"].value()
    assert client.get(reverse("tenancy:import", kwargs={"org": org.slug})).status_code == 404
    confirm = reverse("tenancy:import-confirm", kwargs={"org": org.slug})
    assert client.post(confirm, {"kind": "units", "payload": payload}).status_code == 404
    assert not OrgUnit.objects.for_org(org).exists()
    assert re.search(r"R-NORD", preview.content.decode())


def test_row_numbers_are_those_of_the_file_blank_lines_included(client_for, admin, org, tree, setup_url):
    text = "code,name,team,active_from,active_to\n\nE0500,A,T1,2026-01-01,\n,,,,\nE0501,B,NOPE,2026-01-01,\n"
    response = _upload(client_for(admin), setup_url, "members", _csv(text, name="m.csv"))
    assert [row.number for row in response.context["check"].rows] == [3, 5]
    assert "Row 5:" in response.content.decode()


def test_a_long_file_previews_its_beginning_and_imports_every_row(client_for, admin, org, tree, setup_url):
    text = "code,name,team,active_from,active_to\n" + "".join(f"L{i:04d},N {i},T1,2026-01-01,\n" for i in range(600))
    client = client_for(admin)
    preview = _upload(client, setup_url, "members", _csv(text, name="m.csv"))
    assert len(preview.context["rows"]) == 500
    assert "100 more rows not shown" in preview.content.decode()
    assert _confirm(client, setup_url, preview).status_code == 302
    assert Member.objects.for_org(org).filter(code__startswith="L").count() == 600
