"""Roster import through nbgrader's gradebook API: names land in the gradebook, re-import updates, bad files stop."""

from __future__ import annotations

import autograder_helpers as h
import lms_helpers as lms
import pytest

from autograder import api
from autograder.roster import parse_roster_text


def _students(course):
    with api._course.gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gb.students}


def test_import_then_reimport_updates_without_duplicates(tmp_path):
    course = tmp_path / "course"
    api.release(course_dir=course, source=h.write_source(tmp_path / "src"))
    csv1 = tmp_path / "r1.csv"
    csv1.write_text(lms.ROSTER_CSV)
    res = api.roster(course_dir=course, path=csv1)
    assert (sorted(res.added), res.updated, res.total) == (["ada", "bob", "cyd", "dee", "eve"], [], 5)
    assert _students(course)["bob"] == ("Charles", "Babbage", "bob@uni.example", "1001")
    # second file: Ada's e-mail changes, columns in another order and case, a new student, Bob absent
    csv2 = tmp_path / "r2.csv"
    csv2.write_text(
        "Email,ID,Last_Name,First_Name\nada@new.example,ada,Lovelace,Ada\nfay@x.example,fay,Fay,F\n"
    )
    res = api.roster(course_dir=course, path=csv2)
    assert (res.added, res.updated, res.unchanged, res.total) == (["fay"], ["ada"], [], 6)
    st = _students(course)
    assert st["ada"] == ("Ada", "Lovelace", "ada@new.example", None)
    assert st["bob"] == ("Charles", "Babbage", "bob@uni.example", "1001")  # kept, not blanked
    res = api.roster(course_dir=course, path=csv2)
    assert (res.added, res.updated, sorted(res.unchanged)) == ([], [], ["ada", "fay"])


def test_a_bad_file_writes_nothing_and_lists_every_problem(tmp_path):
    course = tmp_path / "course"
    api.release(course_dir=course, source=h.write_source(tmp_path / "src"))
    bad = tmp_path / "bad.csv"
    bad.write_text("id,first_name,email\nok1,A,a@x.example\n,B,\nok1,C,\nbad/id,D,\nok2,E,not-an-email\n")
    with pytest.raises(api.AutograderError) as err:
        api.roster(course_dir=course, path=bad)
    msg = str(err.value)
    for part in (
        "line 3: empty id",
        "line 4: id 'ok1' already on line 2",
        "line 5: id 'bad/id'",
        "line 6: email 'not-an-email'",
        "nothing was written",
        "python -m autograder roster",
    ):
        assert part in msg, part
    assert _students(course) == {}


def test_missing_file_and_missing_id_column():
    with pytest.raises(api.AutograderError, match="id, first_name, last_name, email"):
        api.roster(path="/nonexistent/roster.csv")
    rows, problems = parse_roster_text("name,email\nAda,a@x.example\n")
    assert rows == [] and "missing column 'id'" in problems[0]
