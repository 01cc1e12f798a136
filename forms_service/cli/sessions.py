"""Commands on the coordinators' desk sessions: `sessions` and `end-sessions`."""

from __future__ import annotations

import argparse
from typing import TextIO

from ..desk import signin
from ..desk.export import when
from ..forms.addresses import UnsafeAddress, canonical
from ..settings import Settings
from ..storage import store
from .base import Refused, arg, command, connect


def _address(raw: str) -> str:
    """The address in its canonical form, as the desk compares it (see addresses.canonical)."""
    try:
        return canonical(raw)
    except UnsafeAddress:
        raise argparse.ArgumentTypeError(
            f"expected an email address such as name@example.org, got {raw!r}"
        ) from None


@command("sessions", "list the desk sessions the database holds")
def cmd_sessions(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Every desk session the database holds, for an operator who must check; never an
    id or token. This shell's settings judge nothing: it may not have the service's."""
    sessions = signin.stored_sessions(connect(settings))
    if not sessions:
        print("No desk sessions.", file=out)
    for s in sessions:
        note = _not_coordinator(settings, s.address)
        print(
            f"{s.address}  signed in {when(s.created_at)}  last used {when(s.seen_at)}"
            + (f"  ({note})" if note else ""),
            file=out,
        )
    return 0


@command(
    "end-sessions",
    "end the desk sessions of one address, or --all",
    arg("address", nargs="?", type=_address, help="a coordinator's"),
    arg("--all", action="store_true", help="every coordinator's"),
)
def cmd_end_sessions(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """End a coordinator's desk sessions (a lost phone, someone leaving) while the service
    runs, without editing FORMS_COORDINATORS and restarting."""
    if bool(args.address) == args.all:
        raise Refused(
            "name one coordinator's address, or give --all to end every coordinator's"
            " sessions (not both): nothing was ended."
        )
    address = args.address
    ended = signin.end_sessions(connect(settings), store.now(), address)
    whose = "of every coordinator" if address is None else f"of {address}"
    print(
        f"Ended {len(ended)} desk session(s) {whose}; sign-in links sent and not used yet"
        " no longer work.",
        file=out,
    )
    if address and (note := _not_coordinator(settings, address)):
        print(f"{address} is {note}.", file=out)
    return 0


def _not_coordinator(settings: Settings, address: str) -> str:
    """A note when this shell's FORMS_COORDINATORS is set and leaves the address out
    (said as this shell's: the service's may differ); nothing when it is not set."""
    if not settings.coordinators_given or signin.coordinator(settings, address):
        return ""
    return "not in this shell's FORMS_COORDINATORS"
