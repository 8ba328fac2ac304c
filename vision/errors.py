"""User-facing errors.

Every error a user can cause (a bad file, an unknown id, a missing model) is a StretchGuardError whose
message is one line that names the problem and the fix. The CLI and the app print that message and never
a traceback.
"""


class StretchGuardError(Exception):
    """An error the user can act on; str(error) is the one-line message shown to them."""


class BadInputError(StretchGuardError):
    """A video, image, upload or other input that cannot be used."""


class TrackFileError(StretchGuardError):
    """A track (.npz) file that is missing keys or has the wrong shape or dtype."""


class ModelUnavailableError(StretchGuardError):
    """No PoseLandmarker bundle could be found, downloaded or built."""
