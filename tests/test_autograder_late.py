"""The late policy: nbgrader's LateSubmissionPlugin with per-day percentages, a cap, zero after N days, grace."""

from __future__ import annotations

import autograder_helpers as h
import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograder import api
from autograder.late import DAY, LatePolicy

HOUR = 3600.0


@pytest.mark.parametrize(
    ("kw", "seconds_late", "fraction"),
    [
        ({"per_day": 0.1}, 0, 0.0),  # on time
        ({"per_day": 0.1}, HOUR, 0.1),  # 1 h late = first started day
        ({"per_day": 0.1}, 3 * DAY, 0.3),  # 3 days late
        ({"per_day": 0.1}, 3 * DAY + 1, 0.4),
        ({"per_day": 0.1, "max_fraction": 0.25}, 3 * DAY, 0.25),  # capped
        ({"zero_after_days": 2}, HOUR, 0.0),
        ({"zero_after_days": 2}, 3 * DAY, 1.0),  # zero after 2 days
        ({"per_day": 0.1, "zero_after_days": 7}, 3 * DAY, 0.3),
        ({"per_day": 0.1, "grace_minutes": 90}, HOUR, 0.0),  # inside the grace period
        ({"per_day": 0.1, "grace_minutes": 30}, HOUR, 0.1),
    ],
)
def test_fraction(kw, seconds_late, fraction):
    assert LatePolicy(**kw).fraction(seconds_late) == pytest.approx(fraction)


def test_penalty_is_the_fraction_of_the_score():
    assert LatePolicy(per_day=0.1).late_submission_penalty("ada", 7.0, HOUR) == pytest.approx(0.7)
    assert LatePolicy(per_day=0.1).late_submission_penalty("ada", 7.0, 0) == 0.0


def test_late_policy_is_written_into_the_nbgrader_config_and_replaced(tmp_path):
    course = tmp_path / "course"
    api.release(course_dir=course, source=h.write_source(tmp_path / "src"))
    res = api.late_policy(course_dir=course, per_day=0.1, max_fraction=0.5, due="2026-12-01 17:00:00 UTC")
    assert "10 % per started day late, at most 50 %" in str(res) and "2026-12-01 17:00:00" in str(res)
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    assert cfg.AssignLatePenalties.plugin_class == "autograder.late.LatePolicy"
    assert (cfg.LatePolicy.per_day, cfg.LatePolicy.max_fraction) == (0.1, 0.5)
    api.late_policy(course_dir=course, zero_after_days=3)
    text = (course / "nbgrader_config.py").read_text()
    assert text.count("autograder late policy (written") == 1 and "per_day" not in text
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    assert cfg.LatePolicy.zero_after_days == 3
    api.late_policy(course_dir=course)
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    assert "plugin_class" not in cfg.AssignLatePenalties
    with api._course.gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert str(gb.find_assignment(h.ASSIGNMENT).duedate) == "2026-12-01 17:00:00"


def test_bad_values_name_the_command(tmp_path):
    with pytest.raises(api.AutograderError, match="--per-day 10"):
        api.late_policy(course_dir=tmp_path, per_day=10)
    with pytest.raises(api.AutograderError, match="python -m autograder release"):
        api.late_policy(course_dir=tmp_path / "none", per_day=0.1)
