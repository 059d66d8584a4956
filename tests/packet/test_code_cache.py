"""The compiled code of the layers' generated functions, kept on disk (packet/code_cache.py)."""

from __future__ import annotations

import marshal
import subprocess
import sys
from pathlib import Path

import pytest

from netprobe.packet import code_cache

SOURCE = "def f(x):\n    return x * 3\n"
NAME = "<netprobe.test.Thing.f>"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "generated"
    monkeypatch.setattr(code_cache, "CACHE_DIR", str(directory))
    return directory


def _run(code: object) -> int:
    namespace: dict[str, object] = {}
    exec(code, namespace)
    return namespace["f"](5)  # type: ignore[operator]


def test_a_compiled_function_is_kept_and_read_back(cache_dir: Path) -> None:
    first = code_cache.compiled(SOURCE, NAME, write=True)
    files = list(cache_dir.iterdir())
    assert len(files) == 1 and files[0].name.startswith("netprobe.test.Thing.f.")
    version, source, _code = marshal.loads(files[0].read_bytes())
    assert (version, source) == (sys.version, SOURCE)
    again = code_cache.compiled(SOURCE, NAME)
    assert again == first and again.co_filename == NAME
    assert _run(again) == 15


def test_a_changed_source_is_compiled_again_and_rewritten(cache_dir: Path) -> None:
    code_cache.compiled(SOURCE, NAME, write=True)
    changed = SOURCE.replace("3", "4")
    assert _run(code_cache.compiled(changed, NAME, write=True)) == 20
    (only,) = cache_dir.iterdir()
    assert marshal.loads(only.read_bytes())[1] == changed


def test_a_damaged_or_foreign_file_is_compiled_over(cache_dir: Path) -> None:
    code_cache.compiled(SOURCE, NAME, write=True)
    (only,) = cache_dir.iterdir()
    for damage in (b"\x00garbage", b"", marshal.dumps(("2.7.18", SOURCE, None))):
        only.write_bytes(damage)
        assert _run(code_cache.compiled(SOURCE, NAME, write=False)) == 15


def test_only_netprobe_classes_are_written_by_default(cache_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    code_cache.compiled(SOURCE, "<__main__.MyProto.f>")
    assert not cache_dir.exists()  # a script's own classes stay out of netprobe's directory
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    code_cache.compiled(SOURCE, NAME)
    assert not cache_dir.exists()  # PYTHONDONTWRITEBYTECODE is respected
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    code_cache.compiled(SOURCE, NAME)
    assert len(list(cache_dir.iterdir())) == 1


def test_an_unwritable_directory_only_means_no_cache(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setattr(code_cache, "CACHE_DIR", str(blocker / "generated"))
    assert _run(code_cache.compiled(SOURCE, NAME, write=True)) == 15


def test_layers_built_from_the_cache_build_the_same_bytes(tmp_path: Path) -> None:
    """A fresh process that reads every generated function from a filled cache builds and
    dissects what a process compiling them does."""
    script = (
        "import sys\n"
        "from netprobe.packet import code_cache\n"
        f"code_cache.CACHE_DIR = {str(tmp_path / 'gen')!r}\n"
        "if sys.argv[1] == 'fill':\n"
        "    print(code_cache.fill())\n"
        "    raise SystemExit\n"
        "from netprobe.all import Ether, IP, TCP, UDP, DNS, DNSQR, ARP\n"
        "calls = []\n"
        "import builtins\n"
        "real = builtins.compile\n"
        "code_cache.compile = lambda *a: calls.append(a[1]) or real(*a)\n"
        "p = Ether(dst='02:00:00:00:00:01', src='02:00:00:00:00:02')/IP(src='198.18.0.1', "
        "dst='198.18.0.2')/UDP(sport=5353)/DNS(qd=DNSQR(qname='a.example'))\n"
        "q = Ether()/ARP(psrc='198.18.0.1', pdst='198.18.0.2')\n"
        "t = IP(src='198.18.0.1', dst='198.18.0.2')/TCP(flags='S', options=[('MSS', 1460)])\n"
        "print(bytes(p).hex(), bytes(q).hex(), bytes(t).hex(), repr(Ether(bytes(p))), "
        "len([c for c in calls if c.startswith('<netprobe.')]))\n"
    )
    run = [sys.executable, "-c", script]
    plain = subprocess.run([*run, "none"], capture_output=True, text=True, timeout=120,
                           check=True).stdout.split()
    filled = subprocess.run([*run, "fill"], capture_output=True, text=True, timeout=120,
                            check=True).stdout
    assert int(filled) > 500  # every family's classes
    cached = subprocess.run([*run, "none"], capture_output=True, text=True, timeout=120,
                            check=True).stdout.split()
    assert plain[:-1] == cached[:-1]
    assert int(plain[-1]) > 0 and cached[-1] == "0"  # nothing left to compile
