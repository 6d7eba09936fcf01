"""``madoguchi user``: staff accounts (add, list, password, disable, enable). Passwords come from stdin only."""

from __future__ import annotations

import argparse
from typing import Any

from madoguchi.admin.common import (
    Handler,
    actor,
    nested,
    now,
    open_db,
    parse_languages,
    parse_routes,
    print_table,
    read_password,
    resolve_municipality,
    user_errors,
)
from madoguchi.settings import Settings
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.models import ROLES


@user_errors
async def user_add(args: argparse.Namespace, settings: Settings) -> int:
    routes = parse_routes(args.routes)
    languages = parse_languages(args.languages)
    password = read_password(args.password_stdin)
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        user = await Accounts(db).add_user(
            args.username,
            password,
            role=args.role,
            municipality_ids=[municipality_id],
            routes=routes,
            languages=languages,
            display_name=args.display_name,
            latin_name=args.latin_name,
        )
        await AuditLog(db).write(actor(), "user.add", user.audit_added(), now())
    finally:
        await db.close()
    print(f"added {user.role} {user.username} ({user.id}) in {municipality_id}")
    return 0


@user_errors
async def user_list(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        users = await Accounts(db).list()
    finally:
        await db.close()
    rows = [["USERNAME", "ROLE", "NAME", "MUNICIPALITIES", "ROUTES", "LANGUAGES", "STATUS"]]
    for user, disabled in users:
        routes = "all" if "*" in user.routes else ",".join(user.routes)
        rows.append(
            [
                user.username,
                user.role,
                user.display_name,
                ",".join(user.municipality_ids),
                routes,
                ",".join(user.languages),
                "disabled" if disabled else "active",
            ]
        )
    print_table(rows)
    return 0


@user_errors
async def user_password(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password(args.password_stdin)
    db = await open_db(settings)
    try:
        await Accounts(db).set_password(args.username, password)
        await AuditLog(db).write(actor(), "user.password", {"username": args.username}, now())
    finally:
        await db.close()
    print(f"password of {args.username} changed; their open sessions were ended")
    return 0


@user_errors
async def user_set(args: argparse.Namespace, settings: Settings) -> int:
    routes = None if args.routes is None else parse_routes(args.routes)
    languages = None if args.languages is None else parse_languages(args.languages)
    db = await open_db(settings)
    try:
        user = await Accounts(db).update(
            args.username, role=args.role, routes=routes, languages=languages, latin_name=args.latin_name
        )
        await AuditLog(db).write(actor(), "user.update", user.audit_updated(), now())
    finally:
        await db.close()
    print(f"{user.username}: role {user.role}, routes {','.join(user.routes)}, languages {','.join(user.languages)}")
    return 0


def _set_disabled(disabled: bool) -> Handler:
    @user_errors
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        db = await open_db(settings)
        try:
            await Accounts(db).set_disabled(args.username, disabled)
            action = "user.disable" if disabled else "user.enable"
            await AuditLog(db).write(actor(), action, {"username": args.username}, now())
        finally:
            await db.close()
        print(f"{args.username} is now {'disabled' if disabled else 'active'}")
        return 0

    return run


LATIN_HELP = "the name in Latin letters residents on a non-Japanese page read (e.g. 'Futaba Madoguchi')"


def register(subparsers: Any) -> None:
    """Add ``user`` to ``madoguchi``."""
    users = nested(subparsers, "user", "staff accounts")
    add = users.add_parser("add", help="add a staff account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    add.add_argument("--routes", default="all", help="'all' or route ids separated by commas (default: all)")
    add.add_argument("--languages", default="ja", help="language codes separated by commas (default: ja)")
    add.add_argument("--municipality", help="municipality id (default: the only one there is)")
    add.add_argument("--display-name", help="name shown to residents and colleagues (default: the username)")
    add.add_argument("--latin-name", default="", help=LATIN_HELP)
    add.set_defaults(handler=user_add)
    users.add_parser("list", help="list staff accounts (no secrets)").set_defaults(handler=user_list)
    password = users.add_parser("password", help="set a new password (ends the user's sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=user_password)
    for name, disabled in (("disable", True), ("enable", False)):
        toggle = users.add_parser(name, help=f"{name} an account")
        toggle.add_argument("username")
        toggle.set_defaults(handler=_set_disabled(disabled))
    change = users.add_parser(
        "set", help="change a user's role, routes, languages or name in Latin letters (ends their sessions)"
    )
    change.add_argument("username")
    change.add_argument("--role", choices=ROLES)
    change.add_argument("--routes", help="'all' or route ids separated by commas")
    change.add_argument("--languages", help="language codes separated by commas")
    change.add_argument("--latin-name", help=LATIN_HELP + "; '' clears it")
    change.set_defaults(handler=user_set)
