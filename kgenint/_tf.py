"""TensorFlow start-up without its start-up noise on the user's terminal.

Importing TensorFlow prints several lines on stderr that a user cannot act on (absl's "All log
messages before absl::InitializeLog()", oneDNN notices, "Could not find cuda drivers", a
``cuInit`` error on machines without a GPU).  ``TF_CPP_MIN_LOG_LEVEL`` does not silence the
ones written before absl's logging is initialised, so :func:`import_tensorflow_quietly`
redirects file descriptor 2 while TensorFlow is imported and its devices are listed, then puts
it back.  The captured text is shown with ``kgenint -v``, and always when the import fails.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile

log = logging.getLogger("kgenint")


def import_tensorflow_quietly(show: bool = False) -> list[str]:
    """Import TensorFlow (and Keras) with C-level stderr captured.

    Parameters
    ----------
    show : bool
        Write what TensorFlow printed to stderr after all (``kgenint -v``).

    Returns
    -------
    list of str
        Device types TensorFlow found (e.g. ``["CPU"]`` or ``["CPU", "GPU"]``); empty when
        TensorFlow was already imported (nothing to capture then).
    """
    if "tensorflow" in sys.modules:
        return []
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (embedded interpreter)
        import tensorflow as tf

        return sorted({d.device_type for d in tf.config.list_physical_devices()})
    with tempfile.TemporaryFile(mode="w+b") as cap:
        os.dup2(cap.fileno(), 2)
        failed = True
        try:
            import tensorflow as tf  # noqa: F401 - the point is the side effect

            import keras  # noqa: F401

            devices = sorted({d.device_type for d in tf.config.list_physical_devices()})
            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            cap.seek(0)
            text = cap.read().decode("utf-8", "replace")
            if text and (show or failed):
                sys.stderr.write(text)
                sys.stderr.flush()
    log.debug("TensorFlow %s, devices: %s", tf.__version__, ", ".join(devices))
    return devices
