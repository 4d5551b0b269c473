"""Stop storing an upload as soon as it passes the size cap.

Without it a 50 MB photo is received and written to a temporary file in full, and only
then refused by ``uploads.upload_clean``. This handler sits first in the chain for the
worker's upload view: past the cap it stops the upload (the rest of the body is read and
dropped, so the connection stays usable and the worker gets our page, not a reset), and
marks the request so the view can say why. ``upload_clean`` still checks the size too.
"""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

TOO_LARGE_ATTR = "qiuxue_upload_too_large"


class SizeCapUploadHandler(FileUploadHandler):
    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.declared_too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A declared body far over the cap: not one chunk of the file will be stored. The
        # form fields before the file (the CSRF token, the kind) are still parsed.
        # (Form fields and multipart framing take a few kB on top of the file itself.)
        self.declared_too_large = content_length > self.limit + 64 * 1024
        return None  # the normal parser goes on

    def receive_data_chunk(self, raw_data, start):
        if self.declared_too_large or start + len(raw_data) > self.limit:
            self._refuse()
        return raw_data  # on to the next handler, which stores it

    def file_complete(self, file_size):
        return None  # the next handler makes the file

    def _refuse(self):
        setattr(self.request, TOO_LARGE_ATTR, True)
        raise StopUpload(connection_reset=False)
