"""Erased means erased, a coordinator's search words included: after an erasure or the
retention purge, no file under the data folder holds a word typed about the person."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ..desk import csrf, sign_in, submit
from ..support import Service, SmtpServer
from .test_delivery import cli
from .test_retention import age

NAME = "Zanzibar Quetzalcoatl"
ADDRESS = "zq-unique@example.com"
WORDS = (b"Zanzibar", b"Quetzalcoatl", b"zq-unique")


@pytest.fixture
def data_service(start_service, smtp: SmtpServer, tmp_path: Path) -> Service:
    """The service with its database, its key and its email files in one data folder."""
    data = tmp_path / "data"
    data.mkdir()
    return start_service(
        smtp.port,
        FORMS_DATABASE=str(data / "forms.sqlite3"),
        FORMS_MAIL_DIR=str(data / "mail"),
        FORMS_ACKNOWLEDGE="true",
    )


def traces(service: Service) -> list[tuple[str, bytes]]:
    """Each file under the service's folder (data folder, log) holding one of the words."""
    files = [path for path in service.workdir.rglob("*") if path.is_file()]
    return [(path.name, word) for path in files for word in WORDS if word in path.read_bytes()]


def searched(service: Service, smtp: SmtpServer) -> tuple[str, httpx.Client, str]:
    """A person's submission, and a coordinator who searched for them by name and address."""
    reference = submit(service, name=NAME, email=ADDRESS)
    client = sign_in(service, smtp)
    token = csrf(client)
    for words in (ADDRESS, "Quetzalcoatl"):
        r = client.post("/desk/filter", data={"csrf": token, "search": words})
        assert r.status_code == 303
    assert reference in client.get("/desk/").text
    assert service.rows("SELECT search FROM desk_sessions") == [("Quetzalcoatl",)]
    return reference, client, token


def test_erasing_a_person_clears_the_searches_for_them(data_service: Service, smtp: SmtpServer):
    reference, client, token = searched(data_service, smtp)
    r = client.post(f"/desk/submissions/{reference}/erase", data={"csrf": token})
    assert r.status_code == 303
    assert traces(data_service) == []
    assert 'value="Quetzalcoatl"' not in client.get("/desk/").text
    client.close()


def test_the_retention_purge_clears_the_searches_for_those_it_deletes(
    data_service: Service, smtp: SmtpServer
):
    reference, client, _ = searched(data_service, smtp)
    age(data_service, reference)
    result = cli(data_service, "purge")
    assert result.returncode == 0 and "Deleted 1 submission(s)" in result.stdout, result.stderr
    assert traces(data_service) == []
    assert 'value="Quetzalcoatl"' not in client.get("/desk/").text
    client.close()


def test_the_desk_says_before_erasing_that_every_saved_search_goes_too(
    data_service: Service, smtp: SmtpServer
):
    """What erasing clears includes every coordinator's search words: the desk says so
    where it offers the erasure and on the page that confirms it."""
    reference, client, _ = searched(data_service, smtp)
    for page in (f"/desk/submissions/{reference}", f"/desk/submissions/{reference}/erase"):
        text = " ".join(client.get(page).text.split())
        assert "every coordinator's saved search words, yours too" in text, page
    client.close()
