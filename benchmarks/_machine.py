"""What the benchmarks print with every time: the CPU model (``lscpu``'s "Model name")."""
from __future__ import annotations

import platform
import subprocess


def cpu_model() -> str:
    """``lscpu``'s model name; ``/proc/cpuinfo``'s, then ``platform.processor()``, when lscpu fails."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
