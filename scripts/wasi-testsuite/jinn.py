"""wasi-testsuite runtime adapter for `jinn run --raw`.

The suite's runner loads this file as a module; JINN names the `jinn`
binary (default: `jinn` on PATH).
"""
import os
import shlex
import subprocess
from typing import Dict, List, Optional, Tuple

JINN = shlex.split(os.getenv("JINN", "jinn"))


def get_name() -> str:
    return "jinn"


def get_version() -> str:
    result = subprocess.run(JINN + ["--version"], encoding="UTF-8",
                            capture_output=True, check=True)
    return result.stdout.split()[-1]


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command"]


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Optional[str]],
                 proposals: List[str],
                 wasi_world: str,
                 wasi_version: str) -> List[str]:
    del proposals, wasi_world, wasi_version
    args, env, root = args_env_root
    argv = JINN + ["run", "--raw", test_path]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    if root:
        argv += ["--dir", f"{root}::/"]
    for arg in args:
        argv += ["--arg", arg]
    return argv
