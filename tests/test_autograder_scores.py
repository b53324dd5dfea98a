"""The score split every report shows: autograded part, written answers graded or pending, late penalty."""

from __future__ import annotations

import pytest

from autograder.scores import Part, Standing


@pytest.mark.parametrize(
    ("part", "summary", "score", "final"),
    [
        (Part(20, 27, 0, 13, 13, 13), "autograded 20/27 · written answers pending (13 points)", 20, False),
        (Part(9, 9, 0, 1, 1, 1), "autograded 9/9 · written answers pending (1 point)", 9, False),
        (Part(27, 27, 1, 13, 12, 12), "autograded 27/27 · written 1/1 graded · 12 points pending", 28, False),
        (Part(27, 27, 11, 13), "38/40 (autograded 27/27 · written 11/13)", 38, True),
        (Part(6, 6, late_penalty=1.5), "4.5/6 (autograded 6 − late penalty 1.5)", 4.5, True),
        (Part(6, 6), "6/6", 6, True),
        (
            Part(27, 27, 13, 13, late_penalty=4),
            "36/40 (autograded 27/27 · written 13/13 − late penalty 4)",
            36,
            True,
        ),
    ],
)
def test_summary(part, summary, score, final):
    assert part.summary() == summary
    assert part.score == pytest.approx(score) and part.final is final


def test_standing_is_a_part_with_a_student():
    s = Standing("ada", auto_score=3, auto_max=6, manual_max=2, pending_points=2, pending_cells=1, name="Ada L")
    assert (s.student, s.name, s.max_score, s.final) == ("ada", "Ada L", 8, False)
    assert s.summary() == "autograded 3/6 · written answers pending (2 points)"
