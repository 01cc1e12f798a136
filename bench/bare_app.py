"""The baseline for bench/service.py: a bare Starlette endpoint that reads the same body and
answers 200, served by the same uvicorn, so the ratio shows what our own work costs."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def endpoint(request: Request) -> PlainTextResponse:
    await request.form()
    return PlainTextResponse("ok")


async def ping(request: Request) -> PlainTextResponse:
    """For bench/headers.py: a GET that costs nothing but the HTTP protocol itself."""
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/api/forms/volunteer", endpoint, methods=["POST"]),
        Route("/ping", ping),
    ]
)
