"""Build script for kgenint's compiled core (``kgenint._ccore``, from ``csrc/*.c``).

All metadata lives in ``pyproject.toml``; this file only declares the C extension, writes
``csrc/alphabet.h`` from ``kgenint/_alphabet.py`` (the one letter-code table, so C and Python
cannot disagree) and turns a missing or broken C compiler into a message that says what to install.
"""
import glob
import importlib.util
import os
import sys

import numpy as np
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_HELP = (
    "kgenint could not build its compiled core (kgenint._ccore from csrc/*.c).\n"
    "It needs a C99 compiler and the Python development headers:\n"
    "  Debian/Ubuntu: apt-get install build-essential python3-dev\n"
    "  Fedora/RHEL:   dnf install gcc python3-devel\n"
    "  macOS:         xcode-select --install\n"
    "  conda:         conda install -c conda-forge c-compiler\n"
    "Original error: {err}"
)


class BuildExtWithHelp(build_ext):
    """``build_ext`` that explains how to get a compiler when there is none."""

    def run(self):
        try:
            super().run()
        except Exception as err:  # setuptools raises several distutils error types
            sys.stderr.write("\n" + _HELP.format(err=err) + "\n")
            raise

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as err:
            sys.stderr.write("\n" + _HELP.format(err=err) + "\n")
            raise


def _write_alphabet_header() -> None:
    """csrc/alphabet.h from kgenint/_alphabet.py (loaded by path: the package is not built yet)."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("_kgenint_alphabet", os.path.join(here, "kgenint", "_alphabet.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.write_c_header(os.path.join(here, "csrc", "alphabet.h"))


_write_alphabet_header()

ccore = Extension(
    "kgenint._ccore",
    sources=sorted(glob.glob("csrc/*.c")),
    depends=sorted(glob.glob("csrc/*.h")),
    include_dirs=[np.get_include(), "csrc"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-std=c99", "-O3", "-Wall", "-Wextra"] if sys.platform != "win32" else [],
)

setup(ext_modules=[ccore], cmdclass={"build_ext": BuildExtWithHelp})
