"""The fit's child process, started from a user's script (no Qt needed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_script_without_main_guard_is_not_run_again_in_the_fit_process(tmp_path):
    """*spawn* would re-run an unguarded script in the child (a second viewer, or
    multiprocessing's bootstrapping error); the fit must finish and the script run once."""
    marker = tmp_path / "runs.txt"
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(f"""
        import pathlib, time
        with pathlib.Path({str(marker)!r}).open("a") as fh:
            fh.write("ran\\n")
        from napari_molfield._napari.fit_process import FitProcess, FitRequest
        from napari_molfield.chem.smiles import from_smiles

        mol = from_smiles("CCO", name="ethanol", seed=0)
        settings = dict(channels="C,O", split=False, add_hydrogens=False, preset="tiny",
                        resolution=12, steps=5, time_budget=None, device="cpu")
        req = FitRequest([mol], settings, {str(tmp_path / "m.safetensors")!r},
                         float("inf"), 8)
        proc = FitProcess(req).start()
        kinds, t0 = [], time.time()
        while time.time() - t0 < 240 and not proc.finished:
            kinds += [m["kind"] for m in proc.poll()]
            time.sleep(0.1)
        proc.close()
        print("KINDS", kinds)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "'done'" in out.stdout and "'error'" not in out.stdout, out.stdout + out.stderr
    assert marker.read_text() == "ran\n"  # once: the child did not run the script
