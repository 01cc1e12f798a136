"""The desk's addresses: which handler answers each.

The handlers live by concern: account.py (sign-in, the emailed link, sign out, your
sessions), listing.py (the list, its filters, the export) and submission.py (one
submission: its page, status, notes, erase); shared.py holds the Desk object and the
signed_in gate they all use.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from .account import link, sessions, sign_in, sign_out, sign_out_everywhere
from .listing import export, home, set_filters
from .shared import desk_of
from .submission import add_note, change_status, detail, erase


async def no_slash(request: Request) -> Response:
    return RedirectResponse(desk_of(request).path, 308)


def routes() -> list[BaseRoute]:
    return [
        Route("/desk", no_slash),
        Mount(
            "/desk",
            routes=[
                Route("/", home),
                Route("/sign-in", sign_in, methods=["GET", "POST"]),
                Route("/link/{token}", link, methods=["GET", "POST"]),
                Route("/sign-out", sign_out, methods=["POST"]),
                Route("/sign-out-everywhere", sign_out_everywhere, methods=["POST"]),
                Route("/sessions", sessions),
                Route("/filter", set_filters, methods=["POST"]),
                Route("/export", export, methods=["POST"]),
                Route("/submissions/{reference}", detail),
                Route("/submissions/{reference}/status", change_status, methods=["POST"]),
                Route("/submissions/{reference}/notes", add_note, methods=["POST"]),
                Route("/submissions/{reference}/erase", erase, methods=["GET", "POST"]),
            ],
        ),
    ]
