"""What the public intake's handlers share, made once by the app factory (app.py) and
kept on `app.state.services`.

A module of its own so that the handlers (intake.py, refusals.py) can name it without
importing the app that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..mail.outbox import Worker
from ..settings import Settings
from ..storage.committer import Committer
from . import guard
from .pages import Pages


@dataclass
class Services:
    settings: Settings
    committer: Committer
    limiter: guard.RateLimiter
    pages: Pages
    worker: Worker | None  # None when a separate `worker` process delivers
