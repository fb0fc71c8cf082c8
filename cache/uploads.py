"""Uploads stream straight into the cache's temp dir, hashed as they arrive:
no copy in memory, no second pass over the file."""

from __future__ import annotations

import errno

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from l1site.errors import DomainError

from .store import HashingWriter


class UploadTooLarge(DomainError):
    status_code = 413
    code = "upload_too_large"


class DiskFull(DomainError):
    status_code = 507
    code = "disk_full"


def disk_full() -> DiskFull:
    return DiskFull("the server's cache disk is full; nothing was stored")


def too_large() -> UploadTooLarge:
    return UploadTooLarge(f"upload is over the limit of {settings.MAX_UPLOAD_BYTES} bytes")


class CacheUploadedFile(UploadedFile):
    def __init__(self, writer: HashingWriter, name: str, content_type: str | None):
        super().__init__(file=writer.file, name=name, content_type=content_type,
                         size=writer.size)
        self.writer = writer

    def close(self):
        # Django closes request files when the response is done; anything not
        # committed into the cache by then is discarded.
        self.writer.abort()


class CacheUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024  # fewer, larger writes than Django's 64 KiB default

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.writer = HashingWriter()

    def receive_data_chunk(self, raw_data, start):
        try:
            self.writer.write(raw_data)
        except OSError as exc:
            self.writer.abort()
            if exc.errno == errno.ENOSPC:
                raise disk_full() from None
            raise
        if self.writer.size > settings.MAX_UPLOAD_BYTES:
            self.writer.abort()
            raise too_large()
        return None

    def file_complete(self, file_size):
        return CacheUploadedFile(self.writer, self.file_name, self.content_type)

    def upload_interrupted(self):
        if hasattr(self, "writer"):
            self.writer.abort()
