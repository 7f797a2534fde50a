"""Shared infrastructure of the REST API (``/api/v1/``)."""

from dataclasses import dataclass, field

STATUSES = ("created", "updated", "duplicate", "rejected")


@dataclass
class BulkResult:
    """What happened to each item of a write (SPEC §8): ``created``, ``duplicate`` (same
    external_id, nothing changed), ``updated`` (upserts) or ``rejected`` with field errors."""

    size: int
    upsert: bool = False
    results: list[dict] = field(init=False)

    def __post_init__(self):
        self.results = [{"index": i, "status": None} for i in range(self.size)]

    def set(self, index: int, status: str) -> None:
        self.results[index] = {"index": index, "status": status}

    def reject(self, index: int, errors: dict) -> None:
        self.results[index] = {"index": index, "status": "rejected", "errors": errors}

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r["status"] == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    def as_dict(self) -> dict:
        body = {"created": self.created, "duplicates": self.duplicates}
        if self.upsert:
            body["updated"] = self.updated
        body["rejected"] = self.rejected
        body["results"] = self.results
        return body
