from tests.live.fixtures import web_server, web_server_without_redis  # noqa: F401
