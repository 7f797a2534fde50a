"""Reading and checking CSV / XLSX files of org units and members, before anything is written.

``read_table`` turns an uploaded file (read by ``cxtracker.tabular``) into rows keyed by column
name, ``units_check`` and ``members_check`` validate every row against the file itself and the
organization's data and return an ``ImportCheck``: the rows, normalized to plain strings (so
that they can be signed and carried from the preview to the confirmation), and the errors of each
row. The writes are in ``services.import_apply``. Row numbers are those of the file, the header
being row 1.
"""

import dataclasses
import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cxtracker.tabular import TableError, table_read

from .models import KIND_RANK, Member, OrgUnit, UnitKind, code_validator, member_start_error

MAX_FILE_SIZE = 5 * 1024 * 1024

UNIT_COLUMNS = ("code", "name", "kind", "parent")
UNIT_REQUIRED = ("code", "name", "kind")
MEMBER_COLUMNS = ("code", "name", "team", "active_from", "active_to")
MEMBER_REQUIRED = ("code", "name", "team", "active_from")

UNIT_TEMPLATE = [
    ("R-NORD", "Nord", "region", ""),
    ("BU-LILLE", "Lille", "business_unit", "R-NORD"),
    ("T-LILLE-1", "Lille 1", "team", "BU-LILLE"),
]
MEMBER_TEMPLATE = [
    ("E0042", "Léa Martin", "T-LILLE-1", "2026-01-01", ""),
    ("E0043", "Hugo Bernard", "T-LILLE-1", "2025-09-15", "2026-06-30"),
]


@dataclasses.dataclass
class ImportRow:
    number: int
    values: dict[str, str]
    errors: list[str] = dataclasses.field(default_factory=list)
    exists: bool = False

    @property
    def cells(self) -> list[str]:
        return list(self.values.values())


@dataclasses.dataclass
class ImportCheck:
    kind: str
    columns: tuple[str, ...]
    rows: list[ImportRow]

    @property
    def errors(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.errors

    @property
    def to_create(self) -> int:
        return sum(1 for row in self.rows if not row.exists)

    @property
    def to_update(self) -> int:
        return sum(1 for row in self.rows if row.exists)

    def payload(self) -> list:
        """What is carried, signed, from the preview to the confirmation."""
        return [[row.number, row.values] for row in self.rows]


# --- reading ---------------------------------------------------------------------------------


def read_table(uploaded, *, columns: tuple[str, ...], required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of an uploaded CSV or XLSX file as (row number, {column: text}).

    Raises TableError when the file cannot be read or its header is not the expected one.
    """
    table = table_read(uploaded, max_bytes=MAX_FILE_SIZE)
    header = [name.lower() for name in table.header]
    unknown = [name or _("(empty)") for name in header if name not in columns]
    missing = [name for name in required if name not in header]
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
    if duplicated:
        problems.append(_("columns given twice: %(names)s") % {"names": ", ".join(duplicated)})
    if problems:
        raise TableError(
            _("The first row must name the columns %(columns)s; %(problems)s.")
            % {"columns": ", ".join(columns), "problems": "; ".join(problems)}
        )
    rows = []
    for number, cells in table.rows:
        values = {name: _cell_text(cell).strip() for name, cell in zip(header, cells, strict=True)}
        rows.append((number, {name: values.get(name, "") for name in columns}))
    if not rows:
        raise TableError(_("The file has a header but no data rows."))
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # A code typed as a number in Excel (1042) comes back as 1042.0.
        return str(int(value))
    return str(value)


# --- checking --------------------------------------------------------------------------------


def _kind(text: str) -> str | None:
    normalized = text.strip().lower().replace(" ", "_").replace("-", "_")
    return normalized if normalized in UnitKind.values else None


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _check_code(row: ImportRow, seen: dict[str, int]) -> None:
    code = row.values["code"]
    if not code:
        row.errors.append(_("The code is empty."))
        return
    try:
        code_validator(code)
    except ValidationError as error:
        row.errors.append(_("Code “%(code)s”: %(error)s") % {"code": code, "error": " ".join(error.messages)})
    if len(code) > 64:
        row.errors.append(_("The code is longer than 64 characters."))
    if code in seen:
        row.errors.append(_("The code “%(code)s” is already on row %(row)s.") % {"code": code, "row": seen[code]})
    else:
        seen[code] = row.number


def _check_name(row: ImportRow) -> None:
    if not row.values["name"]:
        row.errors.append(_("The name is empty."))
    elif len(row.values["name"]) > 200:
        row.errors.append(_("The name is longer than 200 characters."))


def units_check(org, records) -> ImportCheck:
    """Every row checked: code, kind, parent (a unit of the file or of the organization, of a
    higher level) and, for existing units whose kind changes, what already hangs under them."""
    rows = [ImportRow(number, dict(values)) for number, values in records]
    existing = {u.code: u for u in OrgUnit.objects.for_org(org).only("id", "code", "kind", "parent_id")}
    in_file = {}
    seen: dict[str, int] = {}
    for row in rows:
        _check_code(row, seen)
        _check_name(row)
        kind = _kind(row.values["kind"])
        if kind is None:
            row.errors.append(
                _("Unknown kind “%(kind)s”: use region, business_unit or team.") % {"kind": row.values["kind"]}
            )
        else:
            row.values["kind"] = kind
        row.exists = row.values["code"] in existing
        in_file.setdefault(row.values["code"], row)

    def kind_of(code):
        if code in in_file:
            return _kind(in_file[code].values["kind"])
        return existing[code].kind if code in existing else None

    for row in rows:
        kind, parent = _kind(row.values["kind"]), row.values["parent"]
        if kind is None:
            continue
        if not parent:
            if kind != UnitKind.REGION:
                row.errors.append(_("Only a region can have no parent."))
            continue
        if parent == row.values["code"]:
            row.errors.append(_("A unit cannot be its own parent."))
            continue
        if parent not in in_file and parent not in existing:
            row.errors.append(_("Unknown parent “%(code)s”.") % {"code": parent})
            continue
        parent_kind = kind_of(parent)
        if parent_kind and KIND_RANK[parent_kind] >= KIND_RANK[kind]:
            row.errors.append(
                _("A %(kind)s cannot sit under a %(parent_kind)s (“%(code)s”).")
                % {
                    "kind": UnitKind(kind).label.lower(),
                    "parent_kind": UnitKind(parent_kind).label.lower(),
                    "code": parent,
                }
            )
    _check_kind_changes(org, rows, existing, in_file)
    return ImportCheck("units", UNIT_COLUMNS, rows)


def _check_kind_changes(org, rows, existing, in_file) -> None:
    """A unit of the organization that changes kind must still fit what stays under it."""
    changed = {
        row.values["code"]: row
        for row in rows
        if row.exists and _kind(row.values["kind"]) and _kind(row.values["kind"]) != existing[row.values["code"]].kind
    }
    if not changed:
        return
    changed_ids = {existing[code].pk: code for code in changed}
    for child in existing.values():
        if child.parent_id in changed_ids and child.code not in in_file:
            row = changed[changed_ids[child.parent_id]]
            if KIND_RANK[child.kind] <= KIND_RANK[_kind(row.values["kind"])]:
                row.errors.append(
                    _("Cannot become a %(kind)s: the %(child_kind)s “%(child)s” sits under it.")
                    % {
                        "kind": UnitKind(row.values["kind"]).label.lower(),
                        "child_kind": UnitKind(child.kind).label.lower(),
                        "child": child.code,
                    }
                )
    with_members = set(
        Member.objects.for_org(org).filter(team_id__in=changed_ids).values_list("team_id", flat=True).distinct()
    )
    for unit_id in with_members:
        row = changed[changed_ids[unit_id]]
        if row.values["kind"] != UnitKind.TEAM:
            row.errors.append(_("Cannot stop being a team: members belong to it."))


def members_check(org, records) -> ImportCheck:
    """Every row checked: code, name, team (a team of the organization), dates."""
    rows = [ImportRow(number, dict(values)) for number, values in records]
    units = dict(OrgUnit.objects.for_org(org).values_list("code", "kind"))
    # code -> stored start date: a start date already stored stays valid, a new one is checked.
    existing = dict(Member.objects.for_org(org).values_list("code", "active_from"))
    seen: dict[str, int] = {}
    for row in rows:
        _check_code(row, seen)
        _check_name(row)
        team = row.values["team"]
        if not team:
            row.errors.append(_("The team is empty."))
        elif team not in units:
            row.errors.append(_("Unknown team “%(code)s”.") % {"code": team})
        elif units[team] != UnitKind.TEAM:
            row.errors.append(
                _("“%(code)s” is a %(kind)s, not a team.") % {"code": team, "kind": UnitKind(units[team]).label.lower()}
            )
        start = _date(row.values["active_from"])
        if not row.values["active_from"]:
            row.errors.append(_("The start date (active_from) is empty."))
        elif start is None:
            row.errors.append(
                _("Start date “%(value)s” is not a date like 2026-01-31.") % {"value": row.values["active_from"]}
            )
        end = _date(row.values["active_to"]) if row.values["active_to"] else None
        if row.values["active_to"] and end is None:
            row.errors.append(
                _("End date “%(value)s” is not a date like 2026-01-31.") % {"value": row.values["active_to"]}
            )
        if start and end and end < start:
            row.errors.append(_("The end date is before the start date."))
        if start and start != existing.get(row.values["code"]) and (error := member_start_error(org, start)):
            row.errors.append(error)
        if start:
            row.values["active_from"] = start.isoformat()
        if end:
            row.values["active_to"] = end.isoformat()
        row.exists = row.values["code"] in existing
    return ImportCheck("members", MEMBER_COLUMNS, rows)


KINDS = {
    "units": (UNIT_COLUMNS, UNIT_REQUIRED, units_check, UNIT_TEMPLATE),
    "members": (MEMBER_COLUMNS, MEMBER_REQUIRED, members_check, MEMBER_TEMPLATE),
}


def check_upload(org, kind: str, uploaded) -> ImportCheck:
    columns, required, check, _template = KINDS[kind]
    return check(org, read_table(uploaded, columns=columns, required=required))


def check_payload(org, kind: str, payload: list) -> ImportCheck:
    """Check again rows carried from the preview (the data may have changed since)."""
    columns, _required, check, _template = KINDS[kind]
    return check(org, [(int(number), {c: str(values.get(c, "")) for c in columns}) for number, values in payload])


def template_rows(kind: str) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The columns of a kind and example rows: the template an admin downloads and fills in."""
    columns, _required, _check, example = KINDS[kind]
    return columns, example
