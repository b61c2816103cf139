"""The debug log: one-line messages for users, full tracebacks in the log."""

from __future__ import annotations

import logging
import warnings

from napari_molfield.cli.main import main
from napari_molfield.logs import ROOT, configure


def _reset() -> None:
    root = logging.getLogger(ROOT)
    for h in list(root.handlers):
        if getattr(h, "_molfield", False):
            root.removeHandler(h)
            h.close()


def test_a_user_error_is_one_line_and_its_traceback_is_in_the_log(tmp_path, capsys,
                                                                  monkeypatch):
    log = tmp_path / "molfield.log"
    monkeypatch.setenv("MOLFIELD_LOG", str(log))
    try:
        rc = main(["decode", str(tmp_path / "missing.safetensors"), "-o",
                   str(tmp_path / "x.npz")])
    finally:
        _reset()
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == [f"molfield: error: {tmp_path / 'missing.safetensors'}: "
                               "no such checkpoint file."]
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "models/files.py" in text


def test_a_bug_is_one_line_without_debug(monkeypatch, capsys, tmp_path):
    from napari_molfield.cli import decode

    def boom(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(decode, "cmd_decode", boom)
    rc = main(["decode", "x.safetensors", "-o", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "internal error: ZeroDivisionError" in err[0]


def test_warnings_are_one_molfield_line(monkeypatch, capsys, tmp_path):
    from napari_molfield.cli import decode

    def warns(args):
        warnings.warn("two atoms overlap", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(decode, "cmd_decode", warns)
    assert main(["decode", "x.safetensors", "-o", str(tmp_path / "x.npz")]) == 0
    assert capsys.readouterr().err.strip().splitlines() == ["molfield: warning: two atoms "
                                                            "overlap"]


def test_configure_adds_no_duplicate_handlers(tmp_path):
    try:
        configure(path=tmp_path / "a.log")
        configure(path=tmp_path / "a.log")
        mine = [h for h in logging.getLogger(ROOT).handlers if getattr(h, "_molfield", False)]
        assert len(mine) == 1
    finally:
        _reset()
