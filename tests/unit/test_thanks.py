"""What a thank-you page says of one submission: the acknowledgement's outcome as the
store decides it (on a real SQLite file, at fixed times), and the words it becomes."""

from __future__ import annotations

from forms_service.forms import thanks
from forms_service.forms.definitions import CONTACT, VOLUNTEER
from forms_service.storage import store, submissions

NOON = 1_796_299_200.0  # 2026-12-03 12:00 UTC
DAY = 86_400.0


def send(conn, message: str, at: float, inbox: str | None = "inbox-1", window: float = 0):
    sub = submissions.NewSubmission("contact", {"message": message}, acknowledge_hash=inbox)
    with store.transaction(conn):
        [outcome] = submissions.insert_batch(conn, [sub], at, window)
    return outcome


def test_an_inbox_is_thanked_once_a_day_and_each_outcome_says_so(conn):
    first = send(conn, "one", NOON)
    second = send(conn, "two", NOON + 60)
    other = send(conn, "three", NOON + 120, inbox="inbox-2")
    unasked = send(conn, "four", NOON + 180, inbox=None)
    tomorrow = send(conn, "five", NOON + DAY)
    assert [o.acknowledgement for o in (first, second, other, unasked, tomorrow)] == [
        "sending",
        "sent_today",
        "sending",
        "not_asked",
        "sending",
    ]


def test_a_repeat_is_told_what_its_first_post_was_told(conn):
    first = send(conn, "one", NOON, window=600)
    later_same_inbox = send(conn, "two", NOON + 1, window=600)
    repeat = send(conn, "one", NOON + 2, window=600)
    repeat_of_later = send(conn, "two", NOON + 3, window=600)
    assert repeat.duplicate and repeat.reference == first.reference
    assert repeat.acknowledgement == "sending"
    assert repeat_of_later.acknowledgement == later_same_inbox.acknowledgement == "sent_today"


def test_an_acknowledgement_the_outbox_gave_up_on_is_told_as_failed(conn):
    first = send(conn, "one", NOON)
    conn.execute("UPDATE outbox SET status = 'dead' WHERE kind = 'acknowledgement'")
    assert submissions.acknowledgement_of(conn, first.reference, asked=True) == "failed"
    assert submissions.acknowledgement_of(conn, first.reference, asked=False) == "not_asked"


def test_the_words_name_the_reference_and_escape_what_they_hold():
    page = thanks.outcome_html(CONTACT, "es", "C-ABCDEFGH", "sent_today")
    assert page.startswith(thanks.START) and page.endswith(thanks.END)
    assert "Tu referencia es <strong>C-ABCDEFGH</strong>." in page
    assert "ya recibió uno hoy" in page
    odd = thanks.outcome_html(CONTACT, "en", "<b>", "not_asked")
    assert "<strong>&lt;b&gt;</strong>" in odd
    assert "ticked the box" in thanks.outcome_html(CONTACT, "en")
    assert "<p>" not in thanks.outcome_html(VOLUNTEER, "en")  # no box of its own: nothing
    assert set(thanks.ACKNOWLEDGEMENT) == set(submissions.Acknowledgement.__args__)
