"""The CLI (``madoguchi user add/update``) and /admin wrote the audit details of ``user.add`` and ``user.update``
each with its own copy of the same dict (tidy16: ``duplicates``); both now take them from the account."""

from __future__ import annotations

from madoguchi.storage.accounts import StaffRecord

USER = StaffRecord(
    id="u_1",
    username="tanaka",
    display_name="田中",
    role="agent",
    municipality_ids=("shiomi",),
    routes=("tax", "welfare"),
    languages=("ja", "en"),
    latin_name="Tanaka",
)


def test_an_added_account_is_audited_by_id_name_role_and_routes() -> None:
    added = USER.audit_added()
    assert added == {"staff_id": "u_1", "username": "tanaka", "role": "agent", "routes": ["tax", "welfare"]}


def test_a_changed_account_is_audited_with_what_may_change() -> None:
    assert USER.audit_updated() == {
        "username": "tanaka",
        "role": "agent",
        "routes": ["tax", "welfare"],
        "languages": ["ja", "en"],
        "latin_name": "Tanaka",
    }
