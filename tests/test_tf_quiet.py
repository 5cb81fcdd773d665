"""TensorFlow's start-up lines stay off the user's stderr unless -v (issue 17)."""
from __future__ import annotations

import subprocess
import sys

_SNIPPET = """
import sys
from kgenint._tf import import_tensorflow_quietly
devices = import_tensorflow_quietly(show={show})
import tensorflow as tf
tf.constant(1.0) + 1.0  # first op: would print device-initialisation errors
print("devices", devices)
"""


def _run(show: bool) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _SNIPPET.format(show=show)], capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "0"})


def test_tensorflow_import_is_silent_and_verbose_shows_it():
    quiet = _run(False)
    assert quiet.returncode == 0, quiet.stderr
    assert "CPU" in quiet.stdout
    # TF_CPP_MIN_LOG_LEVEL=0 makes TensorFlow print its info lines; none may reach stderr
    assert quiet.stderr.strip() == "", quiet.stderr
    loud = _run(True)
    assert loud.returncode == 0, loud.stderr
    # with show=True (kgenint -v) what TensorFlow printed during the import is passed through
    assert loud.stderr.strip() != ""
