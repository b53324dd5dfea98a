"""The linear-classifier playground in real JupyterLab, driven in Debian's headless Chromium.

A folder laid out like the student bundle (``cs231n_lite`` WITHOUT ``reference/``) holds a notebook
made of a session setup cell and the playground cell of ``notebooks/03_softmax.ipynb`` (as built from
its source; it starts the Weston–Watkins SVM at λ = 0.1 from the demo's ``W`` and ``b``).  Run All
renders the ipywidgets UI and the ipympl canvas (the labextensions of the pip packages, nothing
installed by hand); then

- a real mouse drag of the ``W[0,0]`` slider changes the shown total loss, the slider's readout
  and the canvas image;
- a click on **step** lowers the shown total loss (and redraws the canvas in place);
- **many steps** lowers it further;
- choosing softmax in the loss menu changes the total (and the canvas).

The shown numbers are also checked against :func:`cs231n_lite.playground.evaluate` on the
slider values the page shows.  Screenshots land in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest
from browser_helpers import (
    ARTIFACTS,
    CHROMIUM,
    REPO,
    LabServer,
    cell_errors,
    cells,
    describe,
    leftover_processes,
    menu,
    open_browser,
    run_and_wait,
    screenshot_on_failure,
    wait_kernel_idle,
)

from cs231n_lite.playground import DEMO_B, DEMO_W, DEMO_X, DEMO_Y, LOSSES, evaluate

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `apt-get install chromium` (.ci/run installs it) to run browser tests",
    ),
]

NOTEBOOK = "playground.ipynb"
#: the course notebook whose playground cell the test runs, as built from notebooks/src/03_softmax.py
COURSE_NOTEBOOK = REPO / "notebooks" / "03_softmax.ipynb"
SETUP = "from cs231n_lite import session\n\nS = session.start('03_softmax')"


def _playground_cell() -> str:
    """The source of 03_softmax's live playground cell (the one that calls ``playground(loss=...)``)."""
    nb = nbformat.read(COURSE_NOTEBOOK, as_version=4)
    found = [c.source for c in nb.cells if c.cell_type == "code" and "\nplayground(loss=" in c.source]
    assert len(found) == 1, f"{COURSE_NOTEBOOK} should have one playground cell; found {len(found)}"
    return found[0]


@pytest.fixture
def stack(tmp_path):
    """An ExitStack for the server and browser; teardown stops both, then asserts nothing is left."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as es:
        yield es
    time.sleep(0.2)
    new_children = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and _alive(p)]
    left = leftover_processes(str(tmp_path)) + new_children
    assert not left, f"processes left running after the test:\n{describe(left)}"


def _alive(proc: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return proc.status() != psutil.STATUS_ZOMBIE
    return False


def _student_like_root(tmp_path: Path) -> Path:
    """cs231n_lite as the student bundle ships it (no reference/) and a notebook: setup + 03's playground cell."""
    root = tmp_path / "student"
    shutil.copytree(
        REPO / "cs231n_lite",
        root / "cs231n_lite",
        ignore=shutil.ignore_patterns("reference", "__pycache__"),
    )
    cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(_playground_cell())]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(nb, root / NOTEBOOK)
    return root


def _wait_kernel_connected(server: LabServer, *, timeout: float = 60.0) -> None:
    """Wait until the server has a kernel that is idle with the page connected (the toolbar says idle earlier)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = server.api("/api/kernels") or []
        if any(k.get("execution_state") == "idle" and k.get("connections", 0) >= 1 for k in kernels):
            return
        time.sleep(0.25)
    raise TimeoutError(f"no idle, connected kernel after {timeout:.0f} s: {kernels}")


def _total(page) -> float:
    text = page.locator(".playground-total-value").inner_text()
    return float(text)


def _wait_total_change(page, old: float, *, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = _total(page)
        if value != old:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"total loss still shows {old} after {timeout:.0f} s")


def _readouts(page) -> np.ndarray:
    """W (3, 2) and b (3,) as the sliders' readouts show them (two decimals)."""
    texts = page.locator(".playground-param .widget-readout").all_inner_texts()
    values = [float(t.replace("\u2212", "-")) for t in texts]  # d3-format writes a real minus sign
    assert len(values) == 9, values
    W = np.array([values[3 * c : 3 * c + 2] for c in range(3)])
    b = np.array([values[3 * c + 2] for c in range(3)])
    return W, b


def _wait_consistent(page, *, timeout: float = 30.0):
    """Wait until the shown total equals :func:`evaluate` on the shown slider values; return (total, W, b).

    A dragged slider snaps to its step (0.01), so its two-decimal readout is its exact value.
    """
    deadline = time.monotonic() + timeout
    while True:
        W, b = _readouts(page)
        shown, expected = _total(page), evaluate(W, b, DEMO_X, DEMO_Y, loss="svm", reg=0.1).loss
        if abs(shown - expected) < 1e-5:
            return shown, W, b
        if time.monotonic() > deadline:
            raise AssertionError(
                f"total loss shows {shown}, but the sliders {W.tolist()}, {b.tolist()} give {expected}"
            )
        time.sleep(0.2)


def _canvas_png(page) -> bytes:
    return page.locator(".cs231n-playground canvas").first.screenshot()


def _wait_canvas_change(page, old: bytes, *, timeout: float = 20.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        png = _canvas_png(page)
        if png != old:
            return png
        time.sleep(0.2)
    raise TimeoutError(f"the playground's canvas did not redraw within {timeout:.0f} s")


def test_slider_changes_loss_and_step_lowers_it(tmp_path, stack):
    root = _student_like_root(tmp_path)
    stack.callback(
        lambda: (
            shutil.copy(tmp_path / "jupyter" / "jupyter-lab.log", ARTIFACTS / "playground-jupyter-lab.log")
            if (tmp_path / "jupyter" / "jupyter-lab.log").exists()
            else None
        )
    )
    # MPLBACKEND="" undoes a headless Agg from the test runner's environment (as a student's Lab has none).
    env = {
        "PYTHONPATH": str(root),
        "MPLBACKEND": "",
        "CS231N_LITE_PLAYGROUND": "",
        "CS231N_LITE_DATASET": "synthetic",
    }
    server = stack.enter_context(LabServer(tmp_path / "jupyter", root, env=env))
    page = stack.enter_context(open_browser(tmp_path / "chromium"))
    with screenshot_on_failure(page, ARTIFACTS / "playground-FAILED.png"):
        page.goto(server.lab_url(NOTEBOOK))
        cells(page).first.locator(".cm-content").wait_for()
        _wait_kernel_connected(server)
        wait_kernel_idle(page)

        run_and_wait(page, lambda: menu(page, "Run", "runmenu:run-all"))
        for i in range(cells(page).count()):
            assert "Error" not in cell_errors(cells(page).nth(i)), cell_errors(cells(page).nth(i))
        page.locator(".cs231n-playground .playground-total-value").wait_for(timeout=60_000)
        page.locator(".cs231n-playground canvas").first.wait_for()
        start = _total(page)
        expected = evaluate(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="svm", reg=0.1).loss
        assert start == pytest.approx(expected, abs=1e-6)
        assert page.locator(".playground-losses tbody tr").count() == len(DEMO_X)
        time.sleep(1.0)  # let the first canvas image arrive
        canvas0 = _canvas_png(page)
        page.screenshot(path=str(ARTIFACTS / "playground-1-start.png"))

        # Drag the W[0,0] slider's handle to the right with the mouse.
        slider = page.locator(".playground-param", has_text="W[0,0]")
        readout = slider.locator(".widget-readout")
        before = readout.inner_text()
        handle = slider.locator(".noUi-handle")
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        for dx in range(5, 45, 5):
            page.mouse.move(x + dx, y)
        page.mouse.up()
        _wait_total_change(page, start)
        assert readout.inner_text() != before, "the slider's readout did not move"
        moved, W, b = _wait_consistent(page)  # continuous updates: the kernel catches up with the last value
        assert W[0, 0] > DEMO_W[0, 0] and moved != pytest.approx(start, abs=1e-3)
        canvas1 = _wait_canvas_change(page, canvas0)
        page.screenshot(path=str(ARTIFACTS / "playground-2-slider-moved.png"))

        # One gradient step: the total loss falls and the plot redraws.
        page.locator(".playground-step").click()
        stepped = _wait_total_change(page, moved)
        assert stepped < moved, (moved, stepped)
        canvas2 = _wait_canvas_change(page, canvas1)
        page.screenshot(path=str(ARTIFACTS / "playground-3-one-step.png"))

        # Many steps: lower still.
        page.locator(".playground-many").click()
        many = _wait_total_change(page, stepped)
        assert many < stepped, (stepped, many)
        assert re.fullmatch(r"[-\u2212]?\d+\.\d{2}", readout.inner_text())
        _wait_canvas_change(page, canvas2)
        time.sleep(1.0)  # the image may come in more than one piece: let the last one land for the screenshot
        page.screenshot(path=str(ARTIFACTS / "playground-4-many-steps.png"))

        # Another loss from the menu: the same W and b, a different total (softmax never reaches 0).
        canvas3 = _canvas_png(page)
        page.locator(".playground-loss select").select_option(label=LOSSES["softmax"])
        soft = _wait_total_change(page, many)
        assert soft > 0 and soft != pytest.approx(many, abs=1e-6)
        _wait_canvas_change(page, canvas3)  # the title names the loss
        page.screenshot(path=str(ARTIFACTS / "playground-5-softmax.png"))
