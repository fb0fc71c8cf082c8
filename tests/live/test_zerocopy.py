"""Cache downloads through the production web server (scripts/web.sh) are
sent with sendfile (live.zerocopy): the same bytes, ranges and headers as
the streamed body they replace."""

from __future__ import annotations

import asyncio
import os

import pytest
import requests
import uvicorn

from cache import download
from cache.models import CacheItem
from cache.services import cache_store_bytes
from live.asgi import _file_part
from live.zerocopy import EXTENSION, ZeroCopyHttpToolsProtocol
from tests.helpers import free_port

SIZE = 3 * 1024 * 1024 + 17  # several socket buffers, and not a round number


@pytest.fixture
def big_file(transactional_db):
    data = os.urandom(SIZE)
    item = cache_store_bytes(data, origin=CacheItem.Origin.UPLOADED, name="noise.bin")
    return item.content_hash, data


def test_a_whole_download_through_the_web_server_is_the_file_with_its_headers(
        bare_web_server, big_file):
    content_hash, data = big_file
    got = requests.get(f"{bare_web_server}/cache/{content_hash}", timeout=60)
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["Content-Length"] == str(SIZE)
    assert got.headers["ETag"] == f'"{content_hash}"'
    assert got.headers["Accept-Ranges"] == "bytes"
    assert "immutable" in got.headers["Cache-Control"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_ranges_head_and_revalidation_through_the_web_server_answer_as_the_view_says(
        bare_web_server, big_file):
    content_hash, data = big_file
    url = f"{bare_web_server}/cache/{content_hash}"
    middle = requests.get(url, headers={"Range": "bytes=1000000-2000016"}, timeout=60)
    assert middle.status_code == 206
    assert middle.content == data[1000000:2000017]
    assert middle.headers["Content-Range"] == f"bytes 1000000-2000016/{SIZE}"
    tail = requests.get(url, headers={"Range": "bytes=-5"}, timeout=60)
    assert tail.status_code == 206 and tail.content == data[-5:]
    rest = requests.get(url, headers={"Range": f"bytes={SIZE - 3}-"}, timeout=60)
    assert rest.content == data[-3:]
    outside = requests.get(url, headers={"Range": f"bytes={SIZE}-"}, timeout=60)
    assert outside.status_code == 416 and outside.json()["error"]["code"] == "range_not_satisfiable"
    head = requests.head(url, timeout=60)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(SIZE)
    assert head.content == b""
    again = requests.get(url, headers={"If-None-Match": f'"{content_hash}"'}, timeout=60)
    assert again.status_code == 304 and again.content == b""
    missing = requests.get(f"{bare_web_server}/cache/{'0' * 64}", timeout=60)
    assert missing.status_code == 404 and missing.json()["error"]["code"]
    # The connection is still good for the next request after each of them.
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(url, timeout=60).content == data


def test_the_views_file_answers_are_the_kind_the_server_sends_with_sendfile(big_file):
    content_hash, data = big_file
    item = CacheItem.objects.get(pk=content_hash)
    whole = download.serve(item, range_header="", if_none_match="", head=False)
    file, offset, count, opened = _file_part(whole)
    assert (offset, count, opened) == (0, SIZE, False)
    whole.close()
    part = download.serve(item, range_header="bytes=10-19", if_none_match="", head=False)
    file, offset, count, opened = _file_part(part)
    file.seek(offset)
    assert (offset, count, opened) == (10, 10, True) and file.read(count) == data[10:20]
    file.close()
    part.close()
    assert _file_part(download.serve(item, range_header="", if_none_match="", head=True)) is None


def test_the_protocol_sends_a_files_part_and_keeps_the_connection_for_the_next_request(tmp_path):
    body = os.urandom(1 << 20)
    path = tmp_path / "f.bin"
    path.write_bytes(body)
    seen = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        seen.append(EXTENSION in scope.get("extensions", {}))
        with open(path, "rb") as f:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1000")]})
            await send({"type": EXTENSION, "file": f, "offset": 5000, "count": 1000})

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=ZeroCopyHttpToolsProtocol,
                            lifespan="off", log_level="warning")
    server = uvicorn.Server(config)

    async def scenario():
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        answers = await asyncio.to_thread(_two_requests, port)
        server.should_exit = True
        await task
        return answers

    answers = asyncio.run(scenario())
    assert seen == [True, True]
    assert answers == [body[5000:6000]] * 2


def _two_requests(port: int) -> list[bytes]:
    with requests.Session() as session:
        return [session.get(f"http://127.0.0.1:{port}/", timeout=30).content for _ in range(2)]
