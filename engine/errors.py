"""Errors the engine raises. Each carries a message fit to show a user."""


class EngineError(Exception):
    """Base class: something about the request or the media is wrong."""

    code = "engine_error"


class InvalidParams(EngineError):
    code = "invalid_params"


class RecipeError(EngineError):
    code = "invalid_recipe"


class DecodeError(EngineError):
    """The bytes are not an image we can decode (unknown, truncated, corrupt)."""

    code = "undecodable_input"


class TooLarge(EngineError):
    """The media is over a limit (engine.limits.Limits: pixels per frame,
    seconds, an animation's pixels), as its header tells before decoding."""

    code = "input_too_large"

    def __init__(self, message: str, info=None):
        super().__init__(message)
        self.info = info  # the header's MediaInfo, when the header was readable
