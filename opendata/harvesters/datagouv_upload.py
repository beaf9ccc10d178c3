"""Uploading files to udata: one multipart call for small files, udata's chunked upload
(parts retried one by one, then one assembling call) above the target's threshold, and
the sha1 that udata computes compared with ours after every upload.

A mixin of :class:`opendata.harvesters.datagouv.DatagouvPortal`: it relies on the
portal's ``_call``, ``_error``, ``http`` and ``target``; kept apart because file transfer
is its own job (timeouts, parts, integrity), independent of the dataset mapping.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

import requests

from opendata.catalog.manifests import Catalog
from opendata.errors import IntegrityError, PortalError
from opendata.harvesters.base import (
    Desired,
    DesiredResource,
)
from opendata.harvesters.http import HttpClient, TransientError

#: (connect, read) timeouts of one upload call: a large part may take minutes to arrive.
UPLOAD_TIMEOUT = (10.0, 600.0)


class UploadMixin:
    """File transfer half of the udata adapter (see the module docstring)."""

    # Provided by DatagouvPortal; declared here so the mixin type-checks on its own.
    http: HttpClient
    catalog: Catalog
    dry_run: bool
    chunk_threshold: int
    chunk_size: int

    if TYPE_CHECKING:
        def _call(self, method: str, path: str, *, action: str, what: str, write: bool = False,
                  **kwargs: Any) -> requests.Response: ...

        def _error(self, resp: requests.Response, what: str, resource: str | None
                   ) -> PortalError: ...

        def _find_resource(self, ds_id: str, match: Any) -> dict[str, Any] | None: ...

    def _upload(self, ds_id: str, res: DesiredResource, current: dict[str, Any] | None,
                desired: Desired) -> dict[str, Any]:
        """Upload ``res.file`` as a new resource, or in place of ``current``'s file; check
        the sha1 and size udata computed against ours.  Returns the resource as udata has it."""
        assert res.file is not None
        path = (f"/api/1/datasets/{ds_id}/upload/" if current is None else
                f"/api/1/datasets/{ds_id}/resources/{current.get('id')}/upload/")
        action = "upload_file" if current is None else "replace_file"
        what = (f"{'upload' if current is None else 'replace'} file of resource {res.name} of "
                f"dataset {desired.dataset}")
        sha1 = res.extra.get("sha1")
        size = res.size or 0
        stand_in = {"id": (current or {}).get("id") or "(dry-run)", "filetype": "file",
                    "checksum": {"type": "sha1", "value": sha1}, "filesize": size}
        try:
            if size > self.chunk_threshold:
                info = self._upload_chunked(path, action, what, res, stand_in)
            else:
                with res.file.open("rb") as fh:
                    info = self._call("POST", path, action=action, what=what, resource=res.name,
                                      write=True, idempotent=False, timeout=UPLOAD_TIMEOUT,
                                      files={"file": (res.file.name, fh)},
                                      show={"file": self.catalog.rel(res.file), "size": size,
                                            "sha256": res.sha256},
                                      dry_result=stand_in)
        except TransientError:
            # the upload may have landed although its answer was lost: look before retrying
            found = self._find_resource(ds_id, lambda r: (r.get("checksum") or {}).get(
                "value") == sha1 and (current is None or r.get("id") == current.get("id")))
            if found is None:
                raise
            info = found
        got = (info or {}).get("checksum") or {}
        if not self.dry_run and (got.get("value") != sha1 or info.get("filesize") != size):
            raise IntegrityError(
                f"{what}: udata stored a file with sha1 {got.get('value')} and "
                f"{info.get('filesize')} bytes, the local file has sha1 {sha1} and {size} bytes",
                "The upload was damaged on its way; publish again (it will be re-uploaded).")
        return dict(info)

    def _upload_chunked(self, path: str, action: str, what: str, res: DesiredResource,
                        stand_in: dict[str, Any]) -> dict[str, Any]:
        """udata's chunked upload: every part with the same ``uuid``, then an assembling
        call without a file.  A failed part is sent again on its own (parts already stored
        are never re-sent), see :meth:`_send_part`."""
        assert res.file is not None
        size = res.size or 0
        parts = max(2, math.ceil(size / self.chunk_size))  # udata chunks only above 1 part
        chunk = math.ceil(size / parts)
        upload_id = str(uuid.uuid4())
        filename = res.file.name
        with res.file.open("rb") as fh:
            for index in range(parts):
                offset = index * chunk
                fh.seek(offset)
                data = fh.read(chunk)
                form = {"uuid": upload_id, "filename": filename, "partindex": index,
                        "partbyteoffset": offset, "totalparts": parts, "chunksize": len(data)}
                self._send_part(path, f"{action}_chunk", f"{what} (part {index + 1}/{parts})",
                                res, form, data)
        form = {"uuid": upload_id, "filename": filename, "totalparts": parts}
        return dict(self._call("POST", path, action=f"{action}_assemble", what=f"{what} "
                               "(assembling the parts)", resource=res.name, write=True,
                               idempotent=False, timeout=UPLOAD_TIMEOUT, data=form, show=form,
                               dry_result=stand_in) or {})

    def _send_part(self, path: str, action: str, what: str, res: DesiredResource,
                   form: dict[str, Any], data: bytes) -> None:
        """Send one part, retrying *this part* after a transient failure.

        Not left to the HTTP client's blind retries: udata refuses to store a part twice
        (it answers 500, "FileExists"), so when an attempt went unanswered and the next one
        gets that 500, the first attempt did store the part and the upload goes on.  The
        sha1 udata computes over the assembled file, checked by :meth:`_upload`, catches
        any part that was in fact lost."""
        assert res.file is not None
        attempts = self.http.retries + 1
        for attempt in range(attempts):
            try:
                resp = self.http.request(
                    "POST", path, action=action, write=True, idempotent=False,
                    timeout=UPLOAD_TIMEOUT, data=form,
                    files={"file": (form["filename"], data, "application/octet-stream")},
                    show={**form, "file": self.catalog.rel(res.file)},
                    dry_result={"success": True})
            except TransientError:
                if attempt + 1 >= attempts:
                    raise
                self.http.sleep(min(self.http.max_wait, self.http.backoff * 2 ** attempt))
                continue
            if resp.status_code == 200:
                try:
                    reply = resp.json()
                except ValueError:
                    reply = None
                if isinstance(reply, dict) and reply.get("success") is False:
                    raise PortalError(self.http.mask(f"{what}: udata refused the part: "
                                                     f"{reply.get('error')}"))
                return
            if resp.status_code == 500 and attempt > 0:
                return  # stored by the unanswered attempt (see above)
            raise self._error(resp, what, res.name)
