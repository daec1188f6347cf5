"""`api-key create|list|revoke`: manage the client keys of the API.

`create` prints the new key exactly once (only its SHA-256 is stored) on stdout, and
the rest of the message on stderr, so `KEY=$(python -m app.cli api-key create ...)`
captures just the key. `list` shows prefixes, never keys.
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session

from app.cli import command
from app.commands.tables import format_table
from app.core.config import Settings
from app.models.api_key import ApiKey
from app.security.keys import Scope
from app.security.store import create_api_key, list_api_keys, revoke_api_key


def _arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="who the key is for (1-100 characters)")
    # Plain strings, so argparse's "invalid choice" lists the values, not the enum's reprs.
    scopes = [scope.value for scope in Scope]
    create.add_argument(
        "--scope", choices=scopes, default=Scope.user.value, metavar="{" + ",".join(scopes) + "}",
        help=f"one of {', '.join(scopes)} (default {Scope.user.value})",
    )
    actions.add_parser("list", help="list keys (prefix, scope, created, revoked)")
    revoke = actions.add_parser("revoke", help="revoke a key by id (takes effect at once)")
    revoke.add_argument("id", type=int, help="the key's id, from `api-key list`")


def _create(args: argparse.Namespace, session: Session) -> int:
    try:
        issued = create_api_key(session, args.name, args.scope)
    except ValueError as error:
        print(f"cannot create key: {error}", file=sys.stderr)
        return 2
    record = issued.record
    print(f"created key {record.id} ({record.scope}) for {record.name!r}; "
          "it is shown only now, store it safely:", file=sys.stderr)
    print(issued.key)
    return 0


@command("api-key", "Create, list or revoke client API keys.", _arguments)
def api_key(args: argparse.Namespace, settings: Settings) -> int:
    """Manage keys in the configured database (migrated first)."""
    from app.db import init_db, session_scope

    init_db(settings.DATABASE_URL)
    with session_scope(settings.DATABASE_URL) as session:
        if args.action == "create":
            return _create(args, session)
        if args.action == "revoke":
            already = session.get(ApiKey, args.id)
            if already is not None and already.revoked_at is not None:  # a second revoke is a mistake
                print(f"key {already.id} ({already.prefix}…, {already.name!r}) was already revoked at "
                      f"{already.revoked_at:%Y-%m-%d %H:%M:%S} UTC", file=sys.stderr)
                return 1
            record = revoke_api_key(session, args.id)
            if record is None:
                print(f"no key with id {args.id}", file=sys.stderr)
                return 1
            print(f"key {record.id} ({record.prefix}…, {record.name!r}) revoked at "
                  f"{record.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
            return 0
        rows = [(k.id, k.name, k.scope, k.prefix + "…", f"{k.created_at:%Y-%m-%d %H:%M}",
                 f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "") for k in list_api_keys(session)]
        print(format_table(("id", "name", "scope", "prefix", "created", "revoked"), rows))
        return 0
