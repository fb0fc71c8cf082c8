from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from .errors import DomainError


class BoundedJSONParser(JSONParser):
    """JSON with a size cap and a depth-safe failure: a deeply nested document
    makes Python's decoder raise RecursionError, which must be a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = int((request.META.get("CONTENT_LENGTH") or 0) if request else 0)
        if length > settings.MAX_JSON_BYTES:
            raise DomainError(f"JSON body is over {settings.MAX_JSON_BYTES} bytes",
                              code="body_too_large", status_code=413)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


class RecipeTextParser(BaseParser):
    """A recipe posted as YAML (or JSON) text: handed to the engine as a
    string, so validation can report YAML errors with their line."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(settings.MAX_JSON_BYTES + 1) if stream else b""
        if len(data) > settings.MAX_JSON_BYTES:
            raise DomainError(f"recipe is over {settings.MAX_JSON_BYTES} bytes",
                              code="body_too_large", status_code=413)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("recipe text must be UTF-8") from None


class YamlTextParser(RecipeTextParser):
    media_type = "text/yaml"


class PlainTextParser(RecipeTextParser):
    media_type = "text/plain"
