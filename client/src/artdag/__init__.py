"""artdag: a command-line client (`artdag`) and Python API for an artdag L1 render server."""

__version__ = "0.1.0"

from .client import Client, Uploaded  # noqa: E402
from .errors import ArtdagError, RunFailed, ServerError, Unreachable  # noqa: E402

__all__ = ["ArtdagError", "Client", "RunFailed", "ServerError", "Unreachable", "Uploaded",
           "__version__"]
