"""Collect: every LMS layout from a generated download, the roster match, renamed notebooks, timestamps, errors."""

from __future__ import annotations

import re
import zipfile

import autograder_helpers as h
import lms_helpers as lms
import pytest

from autograder import api
from autograder.collect import DEFAULT_PATTERN, detect_layout, match_notebook

NBS = ["tiny_a", "tiny_b"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collect")
    course = tmp / "course"
    api.release(course_dir=course, source=h.write_source(tmp / "src"), due=lms.DUE_TEXT)
    h.make_class(course, tmp / "class", {"ada": {"tiny_a": "solved"}, "bob": {}})
    (tmp / "roster.csv").write_text(lms.ROSTER_CSV)
    api.roster(course_dir=course, path=tmp / "roster.csv")
    return course, tmp / "class"


def _nb(klass, name="tiny_a"):
    return klass / "ada" / f"{name}.ipynb"


def _submitted(course, student):
    d = course / "submitted" / student / h.ASSIGNMENT
    return sorted(p.name for p in d.iterdir())


def test_collect_from_folders_keeps_timestamp_txt(course):
    course, klass = course
    (klass / "ada" / "timestamp.txt").write_text("2026-12-01 18:30:00 UTC")
    res = api.collect(course_dir=course, source=klass)
    assert res.layout == "folders"
    assert res.students == ["ada", "bob"]
    assert res.timestamps == {"ada": "2026-12-01 18:30:00 UTC", "bob": None}
    assert _submitted(course, "ada") == ["timestamp.txt", "tiny_a.ipynb", "tiny_b.ipynb"]
    assert res.unknown == [] and not res.no_roster


def test_collect_canvas_zip_late_marker_resubmission_renamed_and_unknown(course, tmp_path):
    course, klass = course
    hand_ins = {
        "bob": lms.HandIn(
            {
                "tiny_a.ipynb": _nb(klass, "tiny_b"),
                "tiny_a-1.ipynb": _nb(klass),
                "tiny_B (1).ipynb": _nb(klass, "tiny_b"),
            },
            when=lms.ONE_HOUR_LATE,
            name="Charles Babbage",
            lms_id="1001",
            late=True,
        ),
        "ada": lms.HandIn({"tiny_a.ipynb": _nb(klass)}, when=lms.ON_TIME, name="Ada Lovelace", lms_id="1002"),
        "zed": lms.HandIn({"tiny_a.ipynb": _nb(klass)}, when=lms.ON_TIME, name="Konrad Zuse", lms_id="1003"),
    }
    z = lms.canvas_zip(tmp_path / "submissions.zip", hand_ins)
    res = api.collect(course_dir=course, source=z)
    assert res.layout == "canvas"
    # 1001 -> bob by lms_user_id; "lovelaceada" -> ada by name; 1003 is nobody on the roster
    assert res.students == ["1003", "ada", "bob"]
    assert res.unknown == ["zusekonrad (collected as 1003)"]
    assert res.lms_late == ["bob"]
    assert (
        res.timestamps["bob"] == "2026-12-01 18:00:00 UTC"
        and res.timestamps["ada"] == "2026-12-01 16:00:00 UTC"
    )
    assert "bob: tiny_B (1).ipynb -> tiny_b.ipynb" in res.renamed
    assert any(
        "bob: tiny_a.ipynb superseded by tiny_a.ipynb" in s for s in res.skipped
    )  # the -1 resubmission wins
    assert (course / "submitted" / "bob" / h.ASSIGNMENT / "tiny_a.ipynb").read_bytes() == _nb(
        klass
    ).read_bytes()
    assert res.missing == {"1003": ["tiny_b"], "ada": ["tiny_b"]}
    assert "NOT ON THE ROSTER (1): zusekonrad" in str(res)


def test_collect_moodle_zip_matches_names_and_keeps_entry_time(course, tmp_path):
    course, klass = course
    hand_ins = {
        "cyd": lms.HandIn(
            {"tiny_a.ipynb": _nb(klass), "Tiny_B.ipynb": _nb(klass, "tiny_b")},
            when=lms.THREE_DAYS_LATE,
            name="Marie Curie",
            lms_id="77",
        ),
        "x": lms.HandIn({"tiny_a.ipynb": _nb(klass)}, name="Émilie du Châtelet", lms_id="78"),
    }
    res = api.collect(course_dir=course, source=lms.moodle_zip(tmp_path / "moodle.zip", hand_ins))
    assert res.layout == "moodle"
    assert res.students == ["cyd", "emilie_du_chatelet"]
    assert res.timestamps["cyd"] == "2026-12-04 17:00:00 UTC"
    assert res.renamed == ["cyd: Tiny_B.ipynb -> tiny_b.ipynb"]
    assert res.unknown == ["Émilie du Châtelet (collected as emilie_du_chatelet)"]
    ts = (course / "submitted" / "cyd" / h.ASSIGNMENT / "timestamp.txt").read_text().strip()
    assert ts == "2026-12-04 17:00:00 UTC"


def test_collect_nbgrader_exchange_takes_the_latest(course, tmp_path):
    course, klass = course
    versions = [
        lms.HandIn({"tiny_a.ipynb": _nb(klass, "tiny_b")}, when=lms.ON_TIME - lms.dt.timedelta(days=1)),
        lms.HandIn({"tiny_a.ipynb": _nb(klass), "tiny_b.ipynb": _nb(klass, "tiny_b")}, when=lms.ON_TIME),
    ]
    root = lms.exchange_dir(
        tmp_path / "exchange", {"dee": versions}, course="cs231n_lite", assignment=h.ASSIGNMENT
    )
    res = api.collect(course_dir=course, source=root)
    assert res.layout == "exchange" and res.students == ["dee"]
    assert res.timestamps["dee"] == "2026-12-01 16:00:00 UTC"
    assert (course / "submitted" / "dee" / h.ASSIGNMENT / "tiny_a.ipynb").read_bytes() == _nb(
        klass
    ).read_bytes()


def test_collect_folders_zip_and_zip_collect_names(course, tmp_path):
    course, klass = course
    both = {"tiny_a.ipynb": _nb(klass), "tiny_b.ipynb": _nb(klass, "tiny_b")}
    res = api.collect(
        course_dir=course,
        source=lms.folders_zip(tmp_path / "f.zip", {"ada": lms.HandIn(both, when=lms.ON_TIME)}),
    )
    assert (res.layout, res.students, res.timestamps) == (
        "folders",
        ["ada"],
        {"ada": "2026-12-01 16:00:00 UTC"},
    )
    res = api.collect(
        course_dir=course,
        source=lms.zip_collect_zip(tmp_path / "z.zip", {"eve": lms.HandIn(both, when=lms.ONE_HOUR_LATE)}),
    )
    assert (res.layout, res.students, res.timestamps) == (
        "zip_collect",
        ["eve"],
        {"eve": "2026-12-01 18:00:00 UTC"},
    )
    assert _submitted(course, "eve") == ["timestamp.txt", "tiny_a.ipynb", "tiny_b.ipynb"]


def test_collect_with_a_pattern(course, tmp_path):
    course, klass = course
    z = tmp_path / "odd.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(_nb(klass), "hw/ps-fred-tiny_a.ipynb")
    res = api.collect(course_dir=course, source=z, pattern=r".*/ps-(?P<student_id>[a-z]+)-(?P<file_id>.+)$")
    assert (res.layout, res.students) == ("zip_collect", ["fred"])


def test_unrecognised_layout_lists_what_was_found_and_the_layouts(course, tmp_path):
    course, klass = course
    z = tmp_path / "odd.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(_nb(klass), "whatever.ipynb")
        zf.writestr("notes.txt", "hi")
    with pytest.raises(api.AutograderError) as err:
        api.collect(course_dir=course, source=z)
    msg = str(err.value)
    assert "whatever.ipynb" in msg and "notes.txt" in msg
    for layout in ("exchange", "moodle", "canvas", "zip_collect", "folders", "--pattern"):
        assert layout in msg


def test_zip_slip_entries_are_ignored(course, tmp_path):
    course, klass = course
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(_nb(klass), "../../escape_20261201T160000_tiny_a.ipynb")
        zf.write(_nb(klass), "ok/mal/tiny_a.ipynb")
    res = api.collect(course_dir=course, source=z)
    assert res.students == ["mal"]
    assert not (tmp_path / "escape_20261201T160000_tiny_a.ipynb").exists()


def test_collect_before_release_names_the_release_command(tmp_path):
    with pytest.raises(api.AutograderError, match="python -m autograder release"):
        api.collect(course_dir=tmp_path / "nothing", source=tmp_path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("02_svm.ipynb", ("02_svm", "exact")),
        ("02_svm (1).ipynb", ("02_svm", "renamed")),
        ("02_SVM.ipynb", ("02_svm", "renamed")),
        ("02_svm-1.ipynb", ("02_svm", "renamed")),
        ("02_svm - Copy.ipynb", ("02_svm", "renamed")),
        ("2_svm_final.ipynb", ("02_svm", "renamed")),
        ("03-softmax.ipynb", ("03_softmax", "renamed")),
        ("notes.ipynb", (None, "unknown")),
    ],
)
def test_match_notebook(name, expected):
    assert (
        match_notebook(name, ["01_scores_and_losses", "02_svm", "03_softmax", "04_optimization"]) == expected
    )


def test_detect_layout_on_plain_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.ipynb").write_text("{}")
    assert detect_layout(tmp_path, assignment="hw") == "folders"
    (tmp_path / "lovelaceada_12_34_x.ipynb").write_text("{}")
    assert detect_layout(tmp_path, assignment="hw") == "canvas"


def test_default_pattern_groups():
    m = re.match(DEFAULT_PATTERN, "/x/y/ada.l-1_20261201T170000_02_svm.ipynb")
    assert m.group("student_id", "timestamp", "file_id") == ("ada.l-1", "20261201T170000", "02_svm.ipynb")


def test_a_class_with_one_student_per_layout_and_lateness_case(course, tmp_path):
    """ada: folders zip, on time; bob: Canvas, 1 h late (`late` marker); cyd: Moodle, 3 days late; dee: exchange,
    on time; eve: zip_collect names, 1 h late. Every collected timestamp gives nbgrader the right lateness, and the
    course's late policy the right fraction."""
    from nbgrader.utils import parse_utc

    from autograder.late import LatePolicy

    course, klass = course
    both = {"tiny_a.ipynb": _nb(klass), "tiny_b.ipynb": _nb(klass, "tiny_b")}
    sources = [
        lms.folders_zip(tmp_path / "folders.zip", {"ada": lms.HandIn(both, when=lms.ON_TIME)}),
        lms.canvas_zip(
            tmp_path / "canvas.zip",
            {
                "bob": lms.HandIn(
                    both, when=lms.ONE_HOUR_LATE, name="Charles Babbage", lms_id="1001", late=True
                )
            },
        ),
        lms.moodle_zip(
            tmp_path / "moodle.zip",
            {"cyd": lms.HandIn(both, when=lms.THREE_DAYS_LATE, name="Marie Curie", lms_id="5")},
        ),
        lms.exchange_dir(
            tmp_path / "exchange",
            {"dee": [lms.HandIn(both, when=lms.ON_TIME)]},
            course="c",
            assignment=h.ASSIGNMENT,
        ),
        lms.zip_collect_zip(tmp_path / "zc.zip", {"eve": lms.HandIn(both, when=lms.ONE_HOUR_LATE)}),
    ]
    layouts = [api.collect(course_dir=course, source=src).layout for src in sources]
    assert layouts == ["folders", "canvas", "moodle", "exchange", "zip_collect"]
    due = parse_utc(lms.DUE_TEXT)
    policy = LatePolicy(per_day=0.1, zero_after_days=2)
    late, fraction = {}, {}
    for student in ("ada", "bob", "cyd", "dee", "eve"):
        stamp = (course / "submitted" / student / h.ASSIGNMENT / "timestamp.txt").read_text().strip()
        late[student] = max(0.0, (parse_utc(stamp) - due).total_seconds())
        fraction[student] = policy.fraction(late[student])
        assert _submitted(course, student) == ["timestamp.txt", "tiny_a.ipynb", "tiny_b.ipynb"]
    assert late == {"ada": 0.0, "bob": 3600.0, "cyd": 259200.0, "dee": 0.0, "eve": 3600.0}
    assert fraction == {"ada": 0.0, "bob": 0.1, "cyd": 1.0, "dee": 0.0, "eve": 0.1}


def test_a_student_who_uploaded_a_zip_of_notebooks_to_canvas(course, tmp_path):
    import io

    course, klass = course
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.write(_nb(klass), "my work/tiny_a.ipynb")
        zf.write(_nb(klass, "tiny_b"), "my work/Tiny_B (2).ipynb")
    z = tmp_path / "submissions.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("lovelaceada_1002_9001_my_work.zip", date_time=(2026, 12, 1, 16, 0, 0)),
            inner.getvalue(),
        )
        zf.writestr("curiemarie_1003_9002_tiny_a.ipynb", _nb(klass).read_bytes())
    res = api.collect(course_dir=course, source=z)
    assert (res.layout, res.students) == ("canvas", ["ada", "cyd"])
    assert res.timestamps["ada"] == "2026-12-01 16:00:00 UTC"
    assert _submitted(course, "ada") == ["timestamp.txt", "tiny_a.ipynb", "tiny_b.ipynb"]
    assert res.renamed == ["ada: Tiny_B (2).ipynb -> tiny_b.ipynb"]
