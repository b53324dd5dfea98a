"""Collect from a folder of student folders and from an LMS zip (nbgrader zip_collect), timestamps kept."""

from __future__ import annotations

import re
import zipfile

import autograder_helpers as h
import pytest

from autograder import api
from autograder.collect import DEFAULT_PATTERN


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collect")
    course = tmp / "course"
    api.release(course_dir=course, source=h.write_source(tmp / "src"), due="2026-12-01 17:00:00 UTC")
    h.make_class(course, tmp / "class", {"ada": {"tiny_a": "solved"}, "bob": {}})
    return course, tmp / "class"


def test_collect_from_folders_keeps_timestamp_txt(course):
    course, klass = course
    (klass / "ada" / "timestamp.txt").write_text("2026-12-01 18:30:00 UTC")
    res = api.collect(course_dir=course, source=klass)
    assert res.students == ["ada", "bob"]
    assert res.timestamps == {"ada": "2026-12-01 18:30:00 UTC", "bob": None}
    sub = course / "submitted" / "ada" / h.ASSIGNMENT
    assert sorted(p.name for p in sub.iterdir()) == ["timestamp.txt", "tiny_a.ipynb", "tiny_b.ipynb"]


def test_collect_from_lms_zip_writes_timestamps(course, tmp_path):
    course, klass = course
    zpath = tmp_path / "lms_download.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for student, stamp in (("cyd", "20261201T160000"), ("dee", "20261202T090000")):
            for nb in ("tiny_a", "tiny_b"):
                zf.write(klass / "ada" / f"{nb}.ipynb", f"submissions/{student}_{stamp}_{nb}.ipynb")
    res = api.collect(course_dir=course, source=zpath)
    assert res.students == ["cyd", "dee"]
    assert res.timestamps == {"cyd": "2026-12-01 16:00:00", "dee": "2026-12-02 09:00:00"}
    assert (course / "submitted" / "dee" / h.ASSIGNMENT / "tiny_b.ipynb").exists()


def test_collect_with_a_pattern_that_matches_nothing_names_the_option(course, tmp_path):
    course, klass = course
    zpath = tmp_path / "odd.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(klass / "ada" / "tiny_a.ipynb", "whatever.ipynb")
    with pytest.raises(api.AutograderError, match="--pattern"):
        api.collect(course_dir=course, source=zpath)


def test_collect_before_release_names_the_release_command(tmp_path):
    with pytest.raises(api.AutograderError, match="python -m autograder release"):
        api.collect(course_dir=tmp_path / "nothing", source=tmp_path)


def test_default_pattern_groups():
    m = re.match(DEFAULT_PATTERN, "/x/y/ada.l-1_20261201T170000_02_svm.ipynb")
    assert m.group("student_id", "timestamp", "file_id") == ("ada.l-1", "20261201T170000", "02_svm.ipynb")
