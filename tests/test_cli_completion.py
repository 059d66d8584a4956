"""``netprobe completion SHELL``, what the scripts offer, man pages' exit codes, packaging.

The bash script is run by a real bash with COMP_WORDS set as bash sets them
while a user presses Tab, so what it offers is what a user gets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
BASH = shutil.which("bash")


def netprobe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netprobe", *args], capture_output=True,
                          text=True, timeout=120, env=ENV, check=False)


@pytest.mark.parametrize(("shell", "path"), [("bash", "completions/netprobe.bash"),
                                             ("zsh", "completions/_netprobe"),
                                             ("fish", "completions/netprobe.fish")])
def test_completion_command_prints_the_installed_script(shell: str, path: str) -> None:
    done = netprobe("completion", shell)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (REPO / path).read_text(encoding="utf-8")


def test_completion_of_an_unknown_shell_is_a_usage_error() -> None:
    done = netprobe("completion", "tcsh")
    assert done.returncode == 2
    assert done.stderr == ("netprobe: error: completion: SHELL: 'tcsh' is not one of bash, "
                           "fish, zsh\n")


def _offered(*words: str) -> list[str]:
    """What bash completion offers after ``netprobe WORDS`` (the last word being typed)."""
    assert BASH, "bash is needed"
    line = ["netprobe", *words]
    script = (f"source {REPO / 'completions/netprobe.bash'}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in line)})\n"
              f"COMP_CWORD={len(line) - 1}\n"
              "_netprobe\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run([BASH, "--norc", "-c", script], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_offers_the_machines_interfaces() -> None:
    interfaces = sorted(os.listdir("/sys/class/net"))
    assert interfaces
    for words in (("sniff", "-i", ""), ("arpscan", "--iface", ""), ("craft", "-i", "")):
        offered = _offered(*words)
        assert set(interfaces) <= set(offered), (words, offered)


def test_bash_offers_choices_and_suggested_values() -> None:
    assert _offered("traceroute", "-P", "") == ["udp", "icmp", "tcp"]
    assert {"sr", "hosts", "routers"} <= set(_offered("interpret", "--as", ""))
    assert "synack" in _offered("craft", "--flags", "")
    assert _offered("completion", "") == ["bash", "fish", "zsh"]


def test_bash_offers_layer_names() -> None:
    from netprobe.packet import layer_classes

    offered = _offered("craft", "--del", "Dot")
    assert offered and set(offered) == {n for n in layer_classes() if n.startswith("Dot")}


def test_bash_offers_the_vocabulary_names_not_the_old_ones() -> None:
    offered = _offered("arpscan", "-")
    assert "--iface" in offered and "-W" in offered and "--retries" in offered
    assert "--interface" not in offered and "--retry" not in offered
    assert {"--json", "--no-json"} <= set(_offered("traceroute", "--"))


def test_every_man_page_has_an_exit_status_table() -> None:
    pages = sorted((REPO / "man").glob("netprobe*.1"))
    assert len(pages) > 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert ".SH EXIT STATUS" in text, page.name
        assert "\\fB2\\fR" in text, page.name
    assert "\\fB1\\fR" not in (REPO / "man/netprobe-read.1").read_text(encoding="utf-8")
    assert "\\fB1\\fR" in (REPO / "man/netprobe-portscan.1").read_text(encoding="utf-8")


def test_pip_installs_man_pages_and_completions_as_data_files() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["data-files"]
    want = {"share/man/man1", "share/bash-completion/completions",
            "share/zsh/site-functions", "share/fish/vendor_completions.d"}
    assert want == set(data)
    for patterns in data.values():
        for pattern in patterns:
            assert sorted(REPO.glob(pattern)), pattern
    pages = {p.name for p in REPO.glob(data["share/man/man1"][0])}
    assert "netprobe.1" in pages and "netprobe-read.1" in pages
