"""Start JupyterLab and Debian's Chromium for the browser tests, and stop everything again.

Used by ``tests/test_browser.py`` only. Three pieces:

* :class:`LabServer` runs ``jupyter lab`` on 127.0.0.1 (free port, token chosen here, temp
  ``JUPYTER_CONFIG_DIR`` / ``JUPYTER_RUNTIME_DIR`` / ``HOME``) in its own process group;
  :meth:`LabServer.stop` ends it, its kernels and anything else it started.
* :func:`open_browser` launches ``/usr/bin/chromium`` through Playwright (never a downloaded
  browser) with a fresh ``--user-data-dir`` and the flags that keep it off the network.
* :func:`leftover_processes` lists still-running processes that belong to one test run, so a
  test can assert that nothing survived it.

Everything a run creates lives under one temp folder whose path is unique; each process is
recognised by that path in its command line (the server's root dir, the kernels' connection
files in the runtime dir, Chromium's user data dir) or by being a child of the test process.

Examples
--------
>>> import tempfile
>>> base = Path(tempfile.mkdtemp())
>>> with LabServer(base / "jupyter", base) as server, open_browser(base / "chromium") as page:  # doctest: +SKIP
...     _ = page.goto(server.lab_url())
>>> leftover_processes(str(base))
[]
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil

#: Debian's Chromium (``apt-get install chromium``); another build through ``$CS231N_LITE_CHROMIUM``.
CHROMIUM = Path(os.environ.get("CS231N_LITE_CHROMIUM", "/usr/bin/chromium"))
VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "browser"

#: Chromium flags: no sandbox (CI runs as root), and nothing that reaches the internet.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-gpu",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
)

#: JupyterLab user settings: no news/update checks (offline), every cell attached to the DOM (windowing "none"),
#: no autoclosing brackets so typed code lands exactly as typed.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/codemirror-extension/plugin.jupyterlab-settings": {
        "defaultConfig": {"autoClosingBrackets": False}
    },
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now.

    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_lab_settings(settings_dir: Path) -> None:
    for name, value in LAB_SETTINGS.items():
        plugin, file_name = name.rsplit("/", 1)
        target = settings_dir / plugin / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value, indent=1))


class LabServer:
    """One ``jupyter lab`` process with an isolated Jupyter/home environment (a context manager).

    Parameters
    ----------
    base : Path
        An empty temp folder; config, runtime, settings and home folders are made inside it.
    root_dir : Path
        What the file browser shows (``--ServerApp.root_dir``).
    cwd : Path, optional
        Working directory of the server (nbgrader reads ``nbgrader_config.py`` from there);
        defaults to ``root_dir``.
    env : dict, optional
        Extra environment variables for the server and its kernels.
    nbgrader_config : str, optional
        Text written to ``<JUPYTER_CONFIG_DIR>/nbgrader_config.py``.
    """

    def __init__(
        self,
        base: Path,
        root_dir: Path,
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        nbgrader_config: str | None = None,
    ):
        self.base = Path(base)
        self.root_dir = Path(root_dir)
        self.cwd = Path(cwd) if cwd else self.root_dir
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base / "jupyter-lab.log"
        self.proc: subprocess.Popen | None = None
        self._known: dict[int, psutil.Process] = {}
        self._extra_env = dict(env or {})
        self._nbgrader_config = nbgrader_config
        self._log = None

    # -- environment ---------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The environment of the server: isolated Jupyter dirs under ``base``, venv first on PATH."""
        dirs = {
            "HOME": "home",
            "JUPYTER_CONFIG_DIR": "jupyter-config",
            "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
            "JUPYTER_DATA_DIR": "jupyter-data",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
            "IPYTHONDIR": "ipython",
            "MPLCONFIGDIR": "mplconfig",
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER", "PYTEST"))}
        for var, sub in dirs.items():
            path = self.base / sub
            path.mkdir(parents=True, exist_ok=True)
            env[var] = str(path)
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self._extra_env)
        return env

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, *, timeout: float = 90.0) -> LabServer:
        """Start the server and wait until ``/api/status`` answers; raise with the log tail if not."""
        env = self.environment()
        _write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
        if self._nbgrader_config is not None:
            (Path(env["JUPYTER_CONFIG_DIR"]) / "nbgrader_config.py").write_text(self._nbgrader_config)
        cmd = [
            str(VENV_BIN / "jupyter-lab"),
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            "--allow-root",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.open_browser=False",
            "--ServerApp.shutdown_no_activity_timeout=600",
            "--MappingKernelManager.cull_idle_timeout=0",
        ]
        log = open(self.log_path, "wb")  # noqa: SIM115 -- closed in stop()
        self._log = log
        self.proc = subprocess.Popen(
            cmd, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._remember(self.proc.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.proc.returncode} before it was ready.\n"
                    f"Log ({self.log_path}):\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise TimeoutError(f"jupyter lab did not answer within {timeout:.0f} s.\nLog:\n{self.log_tail()}")

    def __enter__(self) -> LabServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def lab_url(self, path: str = "") -> str:
        """URL of ``/lab`` (or ``/lab/tree/<path>``) with the token."""
        tail = f"/tree/{path}" if path else ""
        return f"{self.url}/lab{tail}?token={self.token}"

    def api(self, path: str, *, method: str = "GET") -> object:
        """Call the REST API (``/api/...``) and return the decoded JSON (None when empty)."""
        req = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def _remember(self, pid: int) -> None:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            self._known[pid] = proc
            for child in proc.children(recursive=True):
                self._known[child.pid] = child

    def stop(self, *, grace: float = 8.0) -> None:
        """Stop the server, its kernels and any other child; escalate to SIGKILL after ``grace`` s."""
        if self.proc is None:
            self._close_log()
            return
        self._remember(self.proc.pid)
        with contextlib.suppress(ProcessLookupError):  # SIGTERM: the server shuts its kernels down
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        kill_processes(list(self._known.values()) + leftover_processes(str(self.base)))
        self._close_log()
        self.proc = None

    def _close_log(self) -> None:
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None


def kill_processes(procs: list[psutil.Process], *, timeout: float = 5.0) -> None:
    """SIGKILL each still-running process (kernels run in their own sessions) and reap it."""
    alive = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
                alive.append(proc)
    psutil.wait_procs(alive, timeout=timeout)


def leftover_processes(marker: str, *, pids: list[int] = ()) -> list[psutil.Process]:
    """Running (non-zombie) processes whose command line contains ``marker`` or whose pid is in ``pids``."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        info = proc.info
        if info["pid"] == me or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = " ".join(info["cmdline"] or ())
        if marker in cmdline or info["pid"] in pids:
            found.append(proc)
    return found


def describe(procs: list[psutil.Process]) -> str:
    """One line per process: pid and command line."""
    lines = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            lines.append(f"{proc.pid}: {' '.join(proc.cmdline())[:200]}")
    return "\n".join(lines)


@contextlib.contextmanager
def screenshot_on_failure(page, path: Path) -> Iterator[None]:
    """Save a screenshot of ``page`` to ``path`` when the block raises (then re-raise)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(path))
        raise


def _new_subtrees(before: set[int]) -> list[psutil.Process]:
    """Direct children of this process not in ``before`` (Playwright's driver), with their descendants."""
    found = []
    for child in psutil.Process().children():
        if child.pid not in before:
            found.append(child)
            with contextlib.suppress(psutil.Error):
                found.extend(child.children(recursive=True))
    return found


@contextlib.contextmanager
def open_browser(user_data_dir: Path, *, timeout_ms: int = 30_000) -> Iterator[object]:
    """Yield a Playwright page in ``/usr/bin/chromium`` (headless); close browser and driver after.

    The persistent context gives Chromium a fresh ``--user-data-dir`` of our choosing
    (``launch()`` would pick its own profile folder).
    """
    from playwright.sync_api import sync_playwright

    user_data_dir = Path(user_data_dir)
    user_data_dir.mkdir(parents=True, exist_ok=True)
    before = {p.pid for p in psutil.Process().children()}
    pw = sync_playwright().start()
    context = None
    started: list[psutil.Process] = []
    try:
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": 1400, "height": 1000},
            timeout=timeout_ms,
            handle_sigint=False,
        )
        started = _new_subtrees(before)
        context.set_default_timeout(timeout_ms)
        page = context.pages[0] if context.pages else context.new_page()
        yield page
    finally:
        started += _new_subtrees(before)
        with contextlib.suppress(Exception):
            if context is not None:
                context.close()
        with contextlib.suppress(Exception):
            pw.stop()
        kill_processes(started + leftover_processes(str(user_data_dir)))


# -- JupyterLab notebook UI (real clicks and keystrokes) -----------------------------------------


def cells(page):
    """Locator of all notebook cells of the active notebook, in order."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")


def kernel_status(page) -> str | None:
    """The active notebook's kernel status as its toolbar indicator shows it (``idle``, ``busy``, ...)."""
    indicator = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator")
    return indicator.first.get_attribute("data-status") if indicator.count() else None


def wait_kernel_idle(page, *, timeout: float = 60.0) -> None:
    """Wait until the kernel indicator says ``idle`` and no cell shows ``[*]``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown, state = prompts(page), kernel_status(page)
        if state == "idle" and not any("*" in p for p in shown):
            return
        time.sleep(0.25)
    raise TimeoutError(f"kernel not idle after {timeout:.0f} s: status {state!r}, prompts {shown}")


def menu(page, top: str, command: str) -> None:
    """Click ``top`` in the main menu bar, then the item that runs ``command`` (a JupyterLab command id)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(f'.lm-Menu:visible li[data-command="{command}"]').first.click()


def cell_text(cell) -> str:
    """Current source of a cell as the editor shows it (one ``.cm-line`` per line)."""
    lines = cell.locator(".cm-content .cm-line").all_inner_texts()  # an empty line reads as "\n"
    return "\n".join(t.replace("\u200b", "").rstrip("\n") for t in lines)


def cell_outputs(cell) -> str:
    """All text output of a cell (stdout, stderr, tracebacks, results)."""
    return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())


def cell_errors(cell) -> str:
    """Text of the cell's error/stderr outputs (tracebacks render as stderr)."""
    sel = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    return "\n".join(cell.locator(sel).all_inner_texts())


def prompts(page) -> list[str]:
    """The input prompts (``[3]:``, ``[*]:``, ``[ ]:``) of all cells, in order."""
    return cells(page).locator(".jp-InputPrompt").all_inner_texts()


def run_and_wait(page, action, *, start_timeout: float = 30.0, timeout: float = 120.0) -> None:
    """Do ``action`` (clicks/keys that execute cells), then wait until execution has started and ended.

    Started: some prompt changed (raises TimeoutError after ``start_timeout`` s if none did);
    ended: no ``[*]`` prompt and the kernel indicator says idle.
    """
    before = prompts(page)
    action()
    deadline = time.monotonic() + start_timeout
    while prompts(page) == before:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"no cell started running within {start_timeout:.0f} s; kernel status {kernel_status(page)!r}"
            )
        time.sleep(0.1)
    wait_kernel_idle(page, timeout=timeout)


def type_lines(page, cell, *, replace_line: str, code: str) -> None:
    """Replace the line containing ``replace_line`` in ``cell`` with ``code``, typed key by key.

    The first line is typed after the existing indentation; each further line starts with Enter,
    after which the editor's auto-indent is selected (Shift+Home) and overtyped by the line's own
    indentation, so the result is ``code`` whatever the editor inserts (blank lines may keep
    the auto-indent: compare lines with trailing whitespace stripped).
    """
    line = cell.locator(".cm-line", has_text=replace_line).first
    line.click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")  # selects the line's text after its indentation
    lines = code.splitlines()
    first = lines[0].lstrip()
    page.keyboard.type(first)
    for text in lines[1:]:
        page.keyboard.press("Enter")
        page.keyboard.press("Shift+Home")  # the auto-inserted indentation (no-op on an empty line)
        if text.strip():
            page.keyboard.type(text)
