"""The grader against a hostile class: real release, real sandboxes, nbgrader's real gradebook.

One module-scoped run releases the assignment into a temporary course, writes the sample class of
:mod:`autograder.samples` (full, partial, untouched and every hostile kind), grades it with 2 workers and
short time limits, then regrades a few students. The tests below check, per student and notebook, the
score in nbgrader's SQLite gradebook (and every autograded cell's), the status the grader reports, that
nothing is lost or locked, that the grading host is untouched (canary folder, marker files, host port,
stray processes) and that regrading changes nothing.

Environment: ``HOSTILE_COMPANIONS=full`` makes every hostile student hand in all four notebooks (slower;
default ``missing``: only the attacked notebooks); ``HOSTILE_KINDS=a,b`` grades a subset (plus full).
Run: ``.venv/bin/python -m pytest tests/test_hostile.py -m slow -s``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import samples

pytestmark = pytest.mark.slow

WORKERS = 2
CELL_TIMEOUT = 20  # s; honest cells need < 3 s, the memory bomb up to ~15 s on a loaded 2-core machine
NOTEBOOK_TIMEOUT = 40.0  # what the uninterruptible sleeper costs one worker; honest notebooks need < 15 s
REGRADE = ["full", "partial", "untouched", "os_exit", "monkeypatch_numpy", "edited_tests", "eq_trick"]


class Listener:
    """A TCP server on the host's 127.0.0.1 that records every connection (the network_host student's target)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for port in range(23000, 23100):  # below the ephemeral range: no clash with kernels' ZMQ ports
            try:
                self.sock.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(256))
                    conn.sendall(b"canary\n")
                except OSError:
                    self.connections.append(b"?")

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def _ours(proc, roots) -> bool:
    """A process the hostile class left behind: marker name, or environment pointing into our course."""
    try:
        if proc.name().startswith(samples.MARKER[:15]):
            return True
        env = proc.environ()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
        return False
    return any(str(r) in v for v in env.values() for r in roots)


def _gradebook_scores(db: Path, assignment: str) -> dict[tuple[str, str], dict]:
    """{(student, notebook): {"score": float, "cells": {grade_id: score}}} read with nbgrader's Gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{db}", "cs231n_lite") as gb:
        for student in gb.students:
            for nb in gb.find_assignment(assignment).notebooks:
                try:
                    sub = gb.find_submission_notebook(nb.name, assignment, student.id)
                except Exception:  # noqa: BLE001 - a missing entry is what the test reports
                    continue
                out[student.id, nb.name] = {
                    "score": float(sub.score),
                    "max": float(sub.max_score),
                    "cells": {g.name: float(g.score) for g in sub.grades},
                }
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder import api, sandbox
    from autograder.grading import GradeOptions

    if sandbox.find_bwrap() is None:
        pytest.skip("bubblewrap cannot create a sandbox here: `apt-get install bubblewrap`")
    base = tmp_path_factory.mktemp("hostile")
    course, klass, canary = base / "course", base / "class", base / "canary"
    canary.mkdir()
    listener = Listener()
    kinds = os.environ.get("HOSTILE_KINDS")
    kinds = None if not kinds else sorted(set(kinds.split(",")) | {"full"})
    before = {p.pid for p in psutil.process_iter()}
    try:
        rel = api.release(course_dir=course)
        students = samples.make_sample_class(
            source_dir=course / "source" / rel.assignment,
            out_dir=klass,
            kinds=kinds,
            host_port=listener.port,
            canary_dir=canary,
            companions=os.environ.get("HOSTILE_COMPANIONS", "missing"),
            course_dir=course,
        )
        api.collect(course_dir=course, source=klass / "submitted")
        options = GradeOptions(cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT)
        t0 = time.monotonic()
        first = api.grade(course_dir=course, workers=WORKERS, options=options)
        seconds = time.monotonic() - t0
        first_scores = _gradebook_scores(course / "gradebook.db", rel.assignment)
        time.sleep(1)  # let the sandboxes' last processes be reaped before looking for leftovers
        leftovers = [p for p in psutil.process_iter() if p.pid not in before and _ours(p, [course, base])]
        again = [s.student_id for s in students if s.student_id in REGRADE]
        t1 = time.monotonic()
        second = api.grade(course_dir=course, workers=WORKERS, options=options, students=again)
        regrade_seconds = time.monotonic() - t1
        second_scores = _gradebook_scores(course / "gradebook.db", rel.assignment)
    finally:
        listener.close()
    data = {
        "release": rel,
        "course": course,
        "base": base,
        "canary": canary,
        "students": {s.student_id: s for s in students},
        "first": first,
        "seconds": seconds,
        "scores": first_scores,
        "leftovers": leftovers,
        "second": second,
        "regrade_seconds": regrade_seconds,
        "regraded": again,
        "scores_after": second_scores,
        "connections": list(listener.connections),
    }
    _report(data)
    yield data
    for p in leftovers:  # never leave a stray sleeper on the machine, even when the test failed
        try:
            p.kill()
        except psutil.Error:
            pass


def _row(result, student, notebook):
    return next(r for r in result.rows if r.student == student and r.notebook == notebook)


def test_untouched_student_is_the_real_release(graded):
    release_dir = graded["release"].release_dir
    for path in sorted(release_dir.glob("*.ipynb")):
        ours = nbformat.read(graded["course"] / "submitted" / "untouched" / samples.ASSIGNMENT / path.name, 4)
        theirs = nbformat.read(path, 4)
        assert [c.source for c in ours.cells] == [c.source for c in theirs.cells], path.name
        assert [c.metadata.get("nbgrader") for c in ours.cells] == [
            c.metadata.get("nbgrader") for c in theirs.cells
        ]


def test_nothing_lost_every_student_and_notebook_has_a_row_and_a_gradebook_entry(graded):
    notebooks = graded["release"].notebooks
    rows = {(r.student, r.notebook) for r in graded["first"].rows}
    expected = {(s, n) for s in graded["students"] for n in notebooks}
    assert rows == expected
    assert set(graded["scores"]) == expected, sorted(expected - set(graded["scores"]))
    with sqlite3.connect(graded["course"] / "gradebook.db") as db:
        (n,) = db.execute("SELECT COUNT(*) FROM submitted_notebook").fetchone()
    assert n == len(expected)


def test_scores_in_the_gradebook_match_each_kind(graded):
    problems = []
    for sid, student in graded["students"].items():
        for nb, exp in student.expected.items():
            got = graded["scores"][sid, nb]
            lo, hi = exp.score_range
            if not lo <= got["score"] <= hi or got["max"] != exp.max_score:
                problems.append(
                    f"{sid}/{nb}: score {got['score']:g}/{got['max']:g}, expected {lo:g}..{hi:g}"
                    f"/{exp.max_score:g} ({student.description})"
                )
            for gid, verdict in exp.cells.items():
                cell = got["cells"].get(gid)
                want = {"pass": exp.points[gid], "fail": 0.0}.get(verdict)
                if want is not None and cell != want:
                    problems.append(f"{sid}/{nb}/{gid}: {cell} points, expected {want:g} ({verdict})")
    assert not problems, "\n".join(problems)


def test_statuses_match_each_kind(graded):
    problems = []
    for sid, student in graded["students"].items():
        for nb, exp in student.expected.items():
            row = _row(graded["first"], sid, nb)
            if row.status != exp.status:
                problems.append(f"{sid}/{nb}: status {row.status!r} ({row.error}), expected {exp.status!r}")
    assert not problems, "\n".join(problems)


def test_full_student_gets_full_marks_next_to_hostile_ones(graded):
    full = graded["students"]["full"]
    for nb, exp in full.expected.items():
        row = _row(graded["first"], "full", nb)
        assert (row.status, row.score) == ("ok", sum(exp.points.values())), (nb, row.error)


def test_no_database_is_locked(graded):
    for result in (graded["first"], graded["second"]):
        assert not [r for r in result.rows if "locked" in r.error.lower()]


def test_export_marks_written_answers_as_waiting_for_a_ta(graded, tmp_path):
    import csv

    from autograder import api

    ex = api.export(course_dir=graded["course"], out_dir=tmp_path)
    q = {(r["notebook"], r["grade_cell"]): r for r in csv.DictReader(ex.questions_csv.open())}
    submitted_01 = sum(1 for (_, nb) in graded["scores"] if nb == "01_scores_and_losses")
    written = q["01_scores_and_losses", "q-car-score"]
    assert written["kind"] == "manual" and float(written["mean"]) == 0.0
    assert 0 < int(written["needs_grading"]) <= submitted_01
    test_cell = q["01_scores_and_losses", "hinge-loss-hidden"]
    assert test_cell["kind"] == "auto" and int(test_cell["needs_grading"]) == 0
    assert 0 < float(test_cell["pass_rate"]) < 1


def _outputs(path: Path) -> str:
    """All text the cells of an executed notebook printed or raised (sources excluded)."""
    if not path.exists():
        return ""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                # one print can arrive as several stream messages (ipykernel flushes on a timer): glue them
                text = out.get("text", "")
                parts.append(text if isinstance(text, str) else "".join(text))
                continue
            parts.append(f"\n{out.get('ename', '')}: {out.get('evalue', '')}\n")
            parts.append(json.dumps(out.get("data", {})) + "\n")
    return "".join(parts)


def test_no_leak_reported_by_any_hostile_notebook(graded):
    executed = graded["course"] / ".autograder" / "executed"
    leaks = []
    for path in sorted(executed.glob("*/*.ipynb")):
        for line in _outputs(path).splitlines():
            if f"{samples.MARKER} LEAK" in line:
                leaks.append(f"{path.parent.name}/{path.name}: {line[:200]}")
    assert not leaks, "\n".join(leaks)


def test_grading_host_is_untouched(graded):
    assert list(graded["canary"].iterdir()) == []
    assert graded["connections"] == [], "a notebook reached the host's 127.0.0.1"
    pattern = f"{samples.MARKER}-*"
    places = [graded["base"], samples.Path(samples.__file__).resolve().parents[1], Path.home(), Path("/tmp")]
    found = [str(p) for place in places for p in place.glob(pattern)]
    found += [str(p) for p in graded["base"].rglob(pattern)]
    assert not found
    assert graded["leftovers"] == [], "processes of the hostile class survived grading"
    assert not [p for p in psutil.process_iter() if _ours(p, [graded["course"]])]


def test_attacks_really_ran(graded):
    """The host checks mean something only if the forks, writes and connects happened (and failed) inside."""
    executed = graded["course"] / ".autograder" / "executed"
    evidence = {
        "fork_bomb": ("01_scores_and_losses", "processes in the sandbox:"),
        "orphan_daemon": ("03_softmax", "daemon forked"),
        "write_outside": ("02_svm", "wrote marker files in:"),
        "network_host": ("02_svm", "Error"),
        "network_outside": ("02_svm", "unreachable"),
        "memory_bomb": ("03_softmax", "MemoryError"),
        "read_reference": ("03_softmax", "FileNotFoundError: no reference solution found"),
        "read_hidden_tests": ("01_scores_and_losses", "FileNotFoundError: no hidden tests found"),
        "call_reference": ("02_svm", "ImportError: cs231n_lite.reference is not available"),
        "ref_from_thread": ("03_softmax", "LookupError: no reference softmax_loss_vectorized in memory"),
        "ref_code_object": ("02_svm", "LookupError: no reference code object for svm_loss_naive"),
        "ref_thread_frames": ("03_softmax", "LookupError: no softmax_loss_naive in other threads' frames"),
        "print_reference_source": ("02_svm", "sources printed: 0"),
        "print_reference_bytecode": ("03_softmax", "code objects disassembled: 0"),
        "shm_fill": ("04_optimization", "[Errno"),  # ENOSPC (64 MiB tmpfs) or EFBIG (RLIMIT_FSIZE)
    }
    missing = []
    for sid, (nb, needle) in evidence.items():
        if sid in graded["students"] and needle not in _outputs(executed / sid / f"{nb}.ipynb"):
            missing.append(f"{sid}/{nb}: no {needle!r} in the outputs")
    assert not missing, "\n".join(missing)


def test_tampered_notebooks_are_graded_and_name_the_changed_cell(graded):
    """Every metadata tampering: status `tampered`, a message naming the grade cell, the release's points."""
    from autograder import attacks

    problems = []
    for kind in [k for k in attacks.KINDS if k.op] + [k for k in samples.KINDS if k.name == "edited_tests"]:
        if kind.name not in graded["students"]:
            continue
        prefix, arg = kind.op[1], kind.op[2]
        nb = next(n for n in graded["release"].notebooks if n.startswith(prefix))
        row = _row(graded["first"], kind.name, nb)
        named = arg.split(":")[0] if kind.op[0] != "kernelspec" else "kernelspec"
        if kind.op[0] == "drop_tests":
            named = "was deleted"
        if row.status != "tampered" or (named != "*" and named not in row.error):
            problems.append(
                f"{kind.name}/{nb}: {row.status} {row.error!r}, expected tampered naming {named!r}"
            )
        if row.max_score != graded["students"][kind.name].expected[nb].max_score:
            problems.append(f"{kind.name}/{nb}: max score {row.max_score} (the student's points were kept)")
    assert not problems, "\n".join(problems)


def test_regrade_gives_identical_scores(graded):
    for sid in graded["regraded"]:
        for nb in graded["release"].notebooks:
            assert graded["scores_after"][sid, nb] == graded["scores"][sid, nb], (sid, nb)
            assert _row(graded["second"], sid, nb).status == _row(graded["first"], sid, nb).status, (sid, nb)
    untouched = set(graded["students"]) - set(graded["regraded"])
    for sid in untouched:  # students not regraded keep their grades
        for nb in graded["release"].notebooks:
            assert graded["scores_after"][sid, nb] == graded["scores"][sid, nb]


def _report(graded) -> None:
    """Print the per-kind table and the timings (see it with -s); also written to ``$HOSTILE_REPORT``."""
    lines = [f"{'kind':<20} {'notebook':<22} {'status':<17} {'score':>9} {'expected':>10} {'secs':>6}"]
    for sid, student in graded["students"].items():
        for nb, exp in student.expected.items():
            row = _row(graded["first"], sid, nb)
            lo, hi = exp.score_range
            want = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
            flag = (
                "" if lo <= row.score <= hi and row.status == exp.status else "  <-- expected " + exp.status
            )
            lines.append(
                f"{sid:<20} {nb:<22} {row.status:<17} {row.score:>4g}/{row.max_score:<4g} {want:>10} "
                f"{row.seconds:>6.1f}{flag}"
            )
    lines.append(
        f"graded {len(graded['first'].rows)} notebooks of {len(graded['students'])} students with {WORKERS} "
        f"workers in {graded['seconds']:.0f} s; regrade of {len(graded['regraded'])} students in "
        f"{graded['regrade_seconds']:.0f} s"
    )
    report = "\n".join(lines)
    Path(os.environ.get("HOSTILE_REPORT", graded["base"] / "hostile_report.txt")).write_text(report + "\n")
    print("\n" + report)
