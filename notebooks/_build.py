"""Build the nbgrader SOURCE notebooks of the `linear_classifiers` assignment.

The notebooks are authored here (one function per notebook) and written as .ipynb next to this
file; the .ipynb files are committed WITH outputs from a run in the CI configuration
(``CS231N_LITE_DATASET=synthetic``, ``NBGRADER_EXECUTION`` unset) so that ``pytest --nbval-lax``
compares the cells marked ``# NBVAL_CHECK_OUTPUT``.

Usage (from the repo root)::

    .venv/bin/python notebooks/_build.py              # write the four notebooks (no outputs)
    .venv/bin/python notebooks/_build.py --execute    # ... and execute them, storing outputs
    .venv/bin/python notebooks/_build.py --execute 02 # only notebooks whose name starts with 02

Cell kinds (nbgrader schema 3 metadata):

- ``todo``: autograded answer (solution code between ``### BEGIN SOLUTION``/``### END SOLUTION``);
- ``visible``: graded test cell a student can run (asserts via :mod:`cs231n_lite.testing`);
- ``hidden``: graded test cell whose body is exactly the one-line ``checks.check`` call;
- ``answer``: manually graded markdown answer with a model answer between the solution markers.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
CHECK = "# NBVAL_CHECK_OUTPUT"


def _nbg(*, grade: bool, solution: bool, locked: bool, grade_id: str, points: float | None = None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _join(*parts: str) -> str:
    """Dedent each snippet and join them with a blank line."""
    return "\n\n".join(_src(p) for p in parts)


def _grade_line(function: str, cases: str) -> str:
    """The trusted grade line ending every autograded test cell (hidden from students by nbgrader)."""
    return (
        "### BEGIN HIDDEN TESTS\n"
        f'from autograder import checks; checks.check("{function}", {function}, cases="{cases}")\n'
        "### END HIDDEN TESTS"
    )


class Notebook:
    """A list of cells with nbgrader-aware constructors."""

    def __init__(self, name: str):
        self.name = name
        self.cells = []
        self.ids: set[str] = set()

    def _id(self, grade_id: str) -> str:
        assert grade_id not in self.ids, grade_id
        self.ids.add(grade_id)
        return grade_id

    def md(self, text: str) -> None:
        self.cells.append(new_markdown_cell(_src(text)))

    def code(self, text: str, *, check_output: bool = False) -> None:
        src = _src(text)
        if check_output:
            src = f"{CHECK}\n{src}"
        self.cells.append(new_code_cell(src))

    def todo(self, grade_id: str, text: str) -> None:
        meta = _nbg(grade=False, solution=True, locked=False, grade_id=self._id(grade_id))
        self.cells.append(new_code_cell(_src(text), metadata=meta))

    def visible(self, grade_id: str, text: str, *, points: float = 1, function: str | None = None) -> None:
        """Visible graded test of `function` (default: the function the last TODO cell defines). Its point is
        decided by the trusted check on the public cases (the trailing hidden line), never by these asserts."""
        function = function or self._last_def()
        src = _src(text) + "\n" + _grade_line(function, "visible")
        meta = _nbg(grade=True, solution=False, locked=True, grade_id=self._id(grade_id), points=points)
        self.cells.append(new_code_cell(src, metadata=meta))

    def _last_def(self) -> str:
        for cell in reversed(self.cells):
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
                for line in cell.source.splitlines():
                    if line.startswith("def "):
                        return line[4:].split("(", 1)[0]
        raise ValueError("visible(): no TODO cell with a `def` before it; pass function=")

    def hidden(self, grade_id: str, function: str, *, points: float = 2) -> None:
        src = f"# Hidden tests: the grader checks `{function}` on more cases here.\n" + _grade_line(function, "hidden")
        meta = _nbg(grade=True, solution=False, locked=True, grade_id=self._id(grade_id), points=points)
        self.cells.append(new_code_cell(src, metadata=meta))

    def answer(self, grade_id: str, model_answer: str, *, points: float = 1) -> None:
        src = "### BEGIN SOLUTION\n" + _src(model_answer) + "\n### END SOLUTION"
        meta = _nbg(grade=True, solution=True, locked=False, grade_id=self._id(grade_id), points=points)
        self.cells.append(new_markdown_cell(src, metadata=meta))

    def notebook(self):
        nb = new_notebook(cells=self.cells)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nb.metadata["language_info"] = {"name": "python"}
        return nb


SETUP = """
    import numpy as np

    from cs231n_lite import session, testing
    from cs231n_lite.testing import require

    S = session.start("{name}")
    np.set_printoptions(precision=4, suppress=True)
"""

SETUP_PLOTS = """
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    from cs231n_lite import gradient_check, session, testing
    from cs231n_lite.testing import require

    S = session.start("{name}")
    np.set_printoptions(precision=4, suppress=True)
    S.setup_plots(figsize=(8, 3))   # in grading mode figures are built but not drawn
"""


# ---------------------------------------------------------------------------------------------
# 01 — scores and losses
# ---------------------------------------------------------------------------------------------
def nb01() -> Notebook:
    nb = Notebook("01_scores_and_losses")
    nb.md(
        r"""
        # 01 · Linear scores and loss functions

        A linear classifier gives every class a **score** and a **loss function** says how unhappy we are with
        those scores. This notebook rebuilds every worked number of the lecture from code you run: the
        2-pixel bias trick, the cat/car/frog score table, the multiclass SVM (hinge) loss, regularization and
        the softmax / cross-entropy loss.

        **Your TODOs** (each followed by a test cell you can run, plus hidden tests the grader runs):
        `hinge_loss` · `softmax` · `cross_entropy_loss`. Cells titled **Your answer** are read by a TA:
        two or three sentences are enough.

        Run the cells in order. Cells that need an unfinished TODO stop with
        `finish TODO ... first` and name the cell to complete.
        """
    )
    nb.code(SETUP.format(name="01_scores_and_losses"))

    nb.md(
        r"""
        ## 1. The score function $f(x, W) = Wx + b$

        `W` has one row per class, so $Wx$ is one score per class, and `b` shifts each class's score
        independently of the input. The lecture's toy image has 2 pixels and there are 2 classes.

        **Bias trick.** Appending a constant 1 to $x$ and the column $b$ to $W$ gives the same scores with a
        single matrix product $[W\,|\,b]\,[x; 1]$: the classifier then has only one parameter array.
        """
    )
    nb.code(
        """
        x = np.array([2.0, 2.0])
        W = np.array([[1.0, 4.0], [5.0, 3.0]])
        b = np.array([-12.0, 0.0])

        scores = W @ x + b
        W_ext = np.hstack([W, b[:, None]])   # (C, D+1): bias as the last column
        x_ext = np.append(x, 1.0)            # (D+1,): constant 1 as the last entry
        scores_ext = W_ext @ x_ext

        print("Wx + b        =", scores)
        print("[W|b] [x; 1]  =", scores_ext)
        assert np.array_equal(scores, scores_ext)
        """,
        check_output=True,
    )

    nb.md(
        r"""
        ## 2. Three images, three classes

        The lecture's table: one **column per example** (a cat, a car and a frog image), one row per class
        score. We keep it as an array `S_table` of shape (C, N) = (3, 3) so `S_table[:, i]` is the score
        vector of example `i`.
        """
    )
    nb.code(
        """
        classes = ["cat", "car", "frog"]
        S_table = np.array([[3.2, 1.3, 2.2],
                            [5.1, 4.9, 2.5],
                            [-1.7, 2.0, -3.1]])
        y_table = np.array([0, 1, 2])   # the cat image is a cat, the car a car, the frog a frog

        print("score     " + "".join(f"{c + ' image':>12}" for c in classes))
        for c, row in zip(classes, S_table, strict=True):
            print(f"{c:<10}" + "".join(f"{v:>12.1f}" for v in row))
        """,
        check_output=True,
    )

    nb.md(
        r"""
        ## 3. Multiclass SVM (hinge) loss

        For one example with score vector $s$ and correct class $y$, every wrong class $j$ that is not at
        least a margin $\Delta = 1$ below the correct score adds its shortfall:

        $$L = \sum_{j \neq y} \max(0,\; s_j - s_y + 1).$$

        ### TODO `hinge_loss`
        Write `hinge_loss(scores, y)` for **one** example: `scores` is an array of shape (C,), `y` an int.
        Return a Python `float`. A loop over classes is fine; a vectorized line is nicer. Do not count the
        correct class.
        """
    )
    nb.todo(
        "hinge-loss",
        '''
        def hinge_loss(scores, y):
            """Multiclass SVM loss of one example (margin 1).

            scores : array of shape (C,); y : int in [0, C). Returns a float.
            """
            ### BEGIN SOLUTION
            scores = np.asarray(scores, dtype=float)
            margins = np.maximum(0.0, scores - scores[y] + 1.0)
            margins[y] = 0.0
            return float(margins.sum())
            ### END SOLUTION
        ''',
    )
    nb.visible(
        "hinge-loss-visible",
        """
        # Visible tests for hinge_loss: the three columns of the lecture's table.
        for i, expected in enumerate([2.9, 0.0, 12.9]):
            testing.assert_close(hinge_loss(S_table[:, i], y_table[i]), expected,
                                 name=f"hinge_loss({classes[i]} column)",
                                 hint="Sum max(0, s_j - s_y + 1) over the WRONG classes j only.")
        testing.assert_close(hinge_loss(np.zeros(10), 3), 9.0, name="hinge_loss(all scores equal, C=10)",
                             hint="With equal scores every wrong class adds exactly 1.")
        assert isinstance(hinge_loss(S_table[:, 0], 0), float), "hinge_loss must return a Python float"
        print("hinge_loss: visible tests passed")
        """,
    )
    nb.hidden("hinge-loss-hidden", "hinge_loss")

    nb.md("The loss over the data set is the **mean** of the per-example losses:")
    nb.code(
        """
        require(hinge_loss)
        per_example = [hinge_loss(S_table[:, i], y_table[i]) for i in range(3)]
        print("per-example losses:", ", ".join(f"{v:.1f}" for v in per_example))
        print(f"L = ({' + '.join(f'{v:.1f}' for v in per_example)}) / 3 = {np.mean(per_example):.2f}")
        """,
        check_output=True,
    )

    # --- the lecture's questions -------------------------------------------------------------
    nb.md(
        r"""
        ## 4. Questions about the hinge loss, as experiments

        Each question below has a cell that tries it out. Run it, then answer in your own words.

        **Q1.** The car image already has loss 0. What happens if its car score drops a little, by 0.5?
        """
    )
    nb.code(
        """
        require(hinge_loss)
        car = S_table[:, 1].copy()
        car_moved = car.copy()
        car_moved[1] -= 0.5
        print("car column", car, "-> loss", hinge_loss(car, 1))
        print("car score -0.5", car_moved, "-> loss", hinge_loss(car_moved, 1))
        """,
        check_output=True,
    )
    nb.answer(
        "q-car-score",
        """
        Nothing changes: the car score (4.9) beats the others by more than the margin (1.3 + 1 and
        2.0 + 1), so after lowering it to 4.4 every term is still max(0, negative) = 0. The hinge loss
        ignores changes that keep all margins satisfied.
        """,
    )
    nb.md(
        """
        **Q2.** What are the smallest and largest possible values of the hinge loss?
        """
    )
    nb.code(
        """
        require(hinge_loss)
        for big in [10, 100, 1000]:
            print(f"correct score +{big:<5} loss = {hinge_loss(np.array([big, 0.0, 0.0]), 0):8.1f}   "
                  f"wrong score +{big:<5} loss = {hinge_loss(np.array([0.0, big, 0.0]), 0):8.1f}")
        """,
        check_output=True,
    )
    nb.answer(
        "q-min-max",
        """
        The minimum is 0 (every wrong class at least 1 below the correct one); there is no maximum: the
        loss grows linearly without bound as a wrong score rises above the correct one, so the range is
        [0, ∞).
        """,
    )
    nb.md(
        """
        **Q3.** At initialization `W` is small, so all scores are close to 0. What loss do you expect?
        """
    )
    nb.code(
        """
        require(hinge_loss)
        rng = np.random.default_rng(0)
        for C in [3, 10]:
            losses = [hinge_loss(0.001 * rng.standard_normal(C), int(rng.integers(C))) for _ in range(1000)]
            print(f"C = {C:2d}: mean loss with tiny scores = {np.mean(losses):.2f}  (C - 1 = {C - 1})")
        """,
        check_output=True,
    )
    nb.answer(
        "q-init-loss",
        """
        About C − 1: each of the C − 1 wrong classes contributes max(0, 0 − 0 + 1) = 1. Seeing ≈ C − 1
        (9 for CIFAR-10) at the first iteration is a cheap sanity check of a new implementation.
        """,
    )
    nb.md(
        """
        **Q4.** What if the sum also included the correct class $j = y$?
        """
    )
    nb.code(
        """
        require(hinge_loss)
        def hinge_all_classes(scores, y):
            return float(np.sum(np.maximum(0.0, scores - scores[y] + 1.0)))

        for i in range(3):
            s = S_table[:, i]
            print(f"{classes[i]:>4}: without j=y {hinge_loss(s, y_table[i]):5.2f}   "
                  f"with j=y {hinge_all_classes(s, y_table[i]):5.2f}")
        """,
        check_output=True,
    )
    nb.answer(
        "q-all-classes",
        """
        The extra term is max(0, s_y − s_y + 1) = 1 for every example, so the loss goes up by exactly 1
        (mean 6.27 instead of 5.27). The best W does not change, but the minimum becomes 1 instead of 0,
        which is why the convention leaves j = y out.
        """,
    )
    nb.md(
        """
        **Q5.** What if we summed the per-example losses instead of taking the mean?
        """
    )
    nb.code(
        """
        require(hinge_loss)
        per_example = np.array([hinge_loss(S_table[:, i], y_table[i]) for i in range(3)])
        print(f"mean = {per_example.mean():.2f}, sum = {per_example.sum():.2f}, ratio = {per_example.sum() / per_example.mean():.0f} (= N)")
        """,
        check_output=True,
    )
    nb.answer(
        "q-mean-sum",
        """
        The sum is N times the mean: a constant rescaling, so the same W minimizes both. In practice it only
        changes the scale of the gradient, i.e. which learning rate (and regularization strength) works.
        """,
    )
    nb.md(
        r"""
        **Q6.** What about the squared hinge $\sum_{j\neq y} \max(0, s_j - s_y + 1)^2$?

        Two score vectors, correct class 0: (a) one wrong class 1.5 above the correct one; (b) two wrong
        classes 0.5 above it.
        """
    )
    nb.code(
        """
        require(hinge_loss)
        def squared_hinge(scores, y):
            m = np.maximum(0.0, scores - scores[y] + 1.0)
            m[y] = 0.0
            return float(np.sum(m ** 2))

        a = np.array([0.0, 1.5, -5.0])
        b = np.array([0.0, 0.5, 0.5])
        for name, s in [("a", a), ("b", b)]:
            print(f"({name}) hinge = {hinge_loss(s, 0):.2f}   squared hinge = {squared_hinge(s, 0):.2f}")
        """,
        check_output=True,
    )
    nb.answer(
        "q-squared-hinge",
        """
        It is a different loss, not a rescaling: squaring punishes one large violation much more than several
        small ones. Above, the plain hinge prefers (a) (2.50 < 3.00) while the squared hinge prefers (b)
        (4.50 < 6.25), so the two losses can pick different weights.
        """,
    )
    nb.md(
        """
        **Q7.** Suppose some W gives zero loss. Is it unique? Try 2W on the car example (scores scale with W).
        """
    )
    nb.code(
        """
        require(hinge_loss)
        car = S_table[:, 1]
        for k in [1, 2, 10]:
            print(f"{k:2d}W: scores {k * car} -> loss {hinge_loss(k * car, 1):.1f}")
        """,
        check_output=True,
    )
    nb.answer(
        "q-2w",
        """
        No: scaling W scales every score and every margin, so 2W (and any λW with λ ≥ 1) also has zero loss.
        The data loss alone cannot choose among them; regularization expresses which one we prefer
        (e.g. the smallest weights).
        """,
    )

    # --- regularization ----------------------------------------------------------------------
    nb.md(
        r"""
        ## 5. Regularization

        The full loss adds a penalty on the weights: $L = \frac1N\sum_i L_i + \lambda R(W)$ with

        - L2: $R(W) = \sum W^2$ (spreads weight over many inputs),
        - L1: $R(W) = \sum |W|$ (prefers few non-zero weights),
        - elastic net: $R(W) = \sum \beta W^2 + |W|$.

        The lecture's example: two weight vectors give **the same score** on $x = [1, 1, 1, 1]$.
        """
    )
    nb.code(
        """
        def l2(w):
            return float(np.sum(w * w))

        def l1(w):
            return float(np.sum(np.abs(w)))

        def elastic_net(w, beta=0.5):
            return float(np.sum(beta * w * w + np.abs(w)))

        x = np.ones(4)
        w1 = np.array([1.0, 0.0, 0.0, 0.0])
        w2 = np.array([0.25, 0.25, 0.25, 0.25])
        print(f"scores: w1.x = {w1 @ x:.2f}, w2.x = {w2 @ x:.2f}")
        for name, R in [("L2", l2), ("L1", l1), ("elastic (beta=0.5)", elastic_net)]:
            r1, r2 = R(w1), R(w2)
            pref = "prefers w1" if r1 < r2 else "prefers w2" if r2 < r1 else "tie"
            print(f"{name:<19} R(w1) = {r1:.3f}  R(w2) = {r2:.3f}  -> {pref}")
        """,
        check_output=True,
    )
    nb.md(
        """
        L2 prefers `w2`, which uses all four inputs a little, over `w1`, which relies on a single one: spread-out
        weights make the classifier less sensitive to any one pixel. L1 cannot tell them apart here.
        """
    )

    # --- softmax -----------------------------------------------------------------------------
    nb.md(
        r"""
        ## 6. Softmax and cross-entropy

        Softmax reads the scores as unnormalized log-probabilities:
        $P(Y = k \mid x) = e^{s_k} / \sum_j e^{s_j}$. The cross-entropy loss of one example is the negative
        (natural) log of the probability of the correct class, $L = -\log P(Y = y \mid x)$.

        **Numerical stability.** $e^{1000}$ overflows. Because softmax does not change when the same constant
        is subtracted from all scores, compute it on `scores - scores.max()` (the largest exponent is then
        $e^0 = 1$).

        ### TODO `softmax`
        `softmax(scores)`: `scores` is an array of shape (C,) **or** (N, C); return the probabilities along the
        last axis, same shape and dtype (float32 in, float32 out). Use the max-shift.
        """
    )
    nb.todo(
        "softmax",
        '''
        def softmax(scores):
            """Probabilities along the last axis of an array of shape (C,) or (N, C) (max-shifted)."""
            ### BEGIN SOLUTION
            shifted = scores - np.max(scores, axis=-1, keepdims=True)
            e = np.exp(shifted)
            return e / np.sum(e, axis=-1, keepdims=True)
            ### END SOLUTION
        ''',
    )
    nb.visible(
        "softmax-visible",
        """
        # Visible tests for softmax.
        cat = S_table[:, 0]
        testing.assert_close(softmax(cat), [0.13, 0.87, 0.00], name="softmax(cat column)", atol=0.005,
                             hint="exp each score, then divide by the sum of the exps.")
        testing.assert_close(softmax(np.array([1000.0, 1000.0])), [0.5, 0.5], name="softmax([1000, 1000])",
                             hint="Subtract scores.max() before np.exp to avoid overflow.")
        batch = softmax(S_table.T)   # (N, C): one example per row
        testing.assert_close(batch.sum(axis=1), np.ones(3), name="row sums of softmax(array (N, C))",
                             hint="Normalize along the LAST axis (axis=-1, keepdims=True).")
        testing.assert_close(batch[0], softmax(cat), name="softmax row 0 vs softmax of one example")
        assert softmax(S_table.T.astype(np.float32)).dtype == np.float32, "keep the dtype of scores (float32 in, float32 out)"
        print("softmax: visible tests passed")
        """,
    )
    nb.hidden("softmax-hidden", "softmax")
    nb.md(
        """
        ### TODO `cross_entropy_loss`
        `cross_entropy_loss(scores, y)` for one example (scores of shape (C,), int `y`): return
        $-\\log$ (natural log) of the softmax probability of class `y` as a float. It must stay finite for huge
        scores: use $\\log \\sum_j e^{s_j - m} + m - s_y$ with $m = \\max_j s_j$ rather than the log of a
        probability that underflowed to 0.
        """
    )
    nb.todo(
        "cross-entropy",
        '''
        def cross_entropy_loss(scores, y):
            """Softmax cross-entropy loss of one example (natural log), computed stably."""
            ### BEGIN SOLUTION
            scores = np.asarray(scores, dtype=float)
            shifted = scores - scores.max()
            return float(np.log(np.sum(np.exp(shifted))) - shifted[y])
            ### END SOLUTION
        ''',
    )
    nb.visible(
        "cross-entropy-visible",
        """
        # Visible tests for cross_entropy_loss.
        testing.assert_close(cross_entropy_loss(S_table[:, 0], 0), 2.0404, name="cross_entropy_loss(cat column)",
                             atol=1e-3, hint="-log(softmax(scores)[y]) with the NATURAL log (np.log).")
        testing.assert_close(cross_entropy_loss(np.zeros(10), 4), np.log(10), name="cross_entropy_loss(zeros, C=10)")
        testing.assert_close(cross_entropy_loss(np.array([0.0, 1000.0]), 0), 1000.0,
                             name="cross_entropy_loss([0, 1000], y=0)",
                             hint="Work with shifted scores: log(sum(exp(s - m))) - (s_y - m).")
        assert isinstance(cross_entropy_loss(S_table[:, 0], 0), float), "return a Python float"
        print("cross_entropy_loss: visible tests passed")
        """,
    )
    nb.hidden("cross-entropy-hidden", "cross_entropy_loss")
    nb.md("The lecture's cat example, step by step: scores → exp → normalize → −log.")
    nb.code(
        """
        require(softmax, cross_entropy_loss)
        cat = S_table[:, 0]
        e = np.exp(cat)
        print("scores        ", cat)
        print("exp           ", ", ".join(f"{v:.2f}" for v in e))
        print("probabilities ", ", ".join(f"{v:.2f}" for v in softmax(cat)))
        print(f"L_cat = -ln({softmax(cat)[0]:.2f}) = {cross_entropy_loss(cat, 0):.2f}")
        """,
        check_output=True,
    )
    nb.md(
        """
        **Q8.** What are the smallest and largest values of the cross-entropy loss? And what is it at
        initialization, when all scores are about equal?
        """
    )
    nb.code(
        """
        require(cross_entropy_loss)
        for big in [1, 10, 100]:
            print(f"correct score +{big:<4} loss = {cross_entropy_loss(np.array([big, 0.0, 0.0]), 0):.4g}   "
                  f"correct score -{big:<4} loss = {cross_entropy_loss(np.array([-big, 0.0, 0.0]), 0):.4g}")
        rng = np.random.default_rng(0)
        init = np.mean([cross_entropy_loss(0.001 * rng.standard_normal(10), 3) for _ in range(1000)])
        print(f"C = 10, tiny scores: loss = {init:.3f}, log(10) = {np.log(10):.3f}")
        """,
        check_output=True,
    )
    nb.answer(
        "q-softmax-range",
        """
        The loss lies in [0, ∞): it approaches 0 only as the correct probability approaches 1 (never reached
        with finite scores), and grows without bound as that probability goes to 0. With equal scores every
        class has probability 1/C, so the first loss should be log C ≈ 2.30 for CIFAR-10.
        """,
    )

    nb.md(
        r"""
        ### Cross-entropy is a KL divergence to the one-hot target

        With a target distribution $p^*$ (all mass on the correct class) and the model's $\hat p$,
        $KL(p^* \| \hat p) = \sum_y p^*(y)\log p^*(y) - \sum_y p^*(y)\log \hat p(y) = -H(p^*) + H(p^*, \hat p)$.
        A one-hot $p^*$ has entropy $H(p^*) = 0$, so minimizing the KL divergence is minimizing the
        cross-entropy $-\log \hat p(y)$. The lecture's 8-class example has the correct class 4:
        """
    )
    nb.code(
        """
        p_hat = np.array([0.5, 0.01, 0.01, 0.01, 0.01, 0.01, 0.15, 0.3])
        p_star = np.zeros(8)
        p_star[3] = 1.0   # class 4 (index 3)
        nz = p_star > 0   # 0 * log 0 counts as 0
        entropy = 0.0 - float(np.sum(p_star[nz] * np.log(p_star[nz]))) + 0.0   # + 0.0 turns -0.0 into 0.0
        kl = np.sum(p_star[nz] * np.log(p_star[nz] / p_hat[nz]))
        cross_entropy = -np.sum(p_star[nz] * np.log(p_hat[nz]))
        print(f"sum(p_hat) = {p_hat.sum():.2f}")
        print(f"H(p*) = {entropy:.2f}, KL(p*||p_hat) = {kl:.4f}, H(p*, p_hat) = {cross_entropy:.4f} = -ln(0.01)")
        """,
        check_output=True,
    )

    nb.md(
        """
        ## 7. SVM versus softmax on the same scores

        The lecture's example: scores (−2.85, 0.86, 0.28) and the **third** class is correct.
        """
    )
    nb.code(
        """
        require(hinge_loss, softmax, cross_entropy_loss)
        s = np.array([-2.85, 0.86, 0.28])
        y = 2
        p = softmax(s)
        print("exp          ", ", ".join(f"{v:.3f}" for v in np.exp(s)))
        print("probabilities", ", ".join(f"{v:.3f}" for v in p))
        print(f"hinge loss         = {hinge_loss(s, y):.2f}")
        print(f"cross-entropy loss = -ln({p[y]:.3f}) = {cross_entropy_loss(s, y):.2f}")
        print(f"the slide's 0.452  = -log10({p[y]:.3f}) = {-np.log10(p[y]):.3f}")
        """,
        check_output=True,
    )
    nb.md(
        """
        The slide shows 0.452, which is the base-10 logarithm of 0.353. The loss — and the gradient formulas,
        and the `log C ≈ 2.3` sanity check — use the **natural** logarithm, giving 1.04.

        Next, three score vectors with class 0 correct, and then the same with the correct score raised from 10
        to 20:
        """
    )
    nb.code(
        """
        require(hinge_loss, cross_entropy_loss)
        vectors = [np.array([10.0, -2.0, 3.0]), np.array([10.0, 9.0, 9.0]), np.array([10.0, -100.0, -100.0])]
        print(f"{'scores':<24}{'hinge':>8}{'softmax':>12}")
        for base in [10.0, 20.0]:
            for v in vectors:
                v = v.copy()
                v[0] = base
                print(f"{str(v.tolist()):<24}{hinge_loss(v, 0):>8.2f}{cross_entropy_loss(v, 0):>12.2e}")
        """,
        check_output=True,
    )
    nb.answer(
        "q-svm-vs-softmax",
        """
        The hinge loss is 0 for all six vectors: once the correct class wins by the margin it stops caring, so
        raising 10 to 20 changes nothing. The softmax loss is positive for every vector, largest for
        [10, 9, 9] (the close call), and it keeps shrinking when the correct score goes to 20: it always wants
        more separation.
        """,
    )
    nb.md(
        """
        ## 8. Why the max-shift matters

        Scores in the hundreds are common early in training with a large learning rate. Compare a direct
        implementation with yours:
        """
    )
    nb.code(
        """
        require(softmax)
        big = np.array([1000.0, 1001.0, 999.0])
        with np.errstate(over="ignore", invalid="ignore"):
            print("exp(1000)             =", np.exp(big[0]))
            direct = np.exp(big) / np.exp(big).sum()
        print("direct softmax        =", direct)
        print("max-shifted (yours)   =", softmax(big))
        print("shifted scores        =", big - big.max())
        """,
        check_output=True,
    )
    nb.md(
        """
        `exp(1000)` is larger than the biggest float64 (about 1.8e308), so the direct formula computes inf/inf =
        nan. After subtracting the maximum the exponents are at most 0, the largest term is exactly 1 and the
        sum lies between 1 and C, so nothing overflows and the probabilities are unchanged (the common factor
        $e^{-m}$ cancels).

        **Done.** Next: `02_svm.ipynb` trains a multiclass SVM on CIFAR-10.
        """
    )
    return nb


# ---------------------------------------------------------------------------------------------
# shared snippets for 02 and 03
# ---------------------------------------------------------------------------------------------
LOAD_DATA = """
    data = S.load_data()
    X_train, y_train = data["X_train"], data["y_train"]
    X_val, y_val = data["X_val"], data["y_val"]
    X_test, y_test = data["X_test"], data["y_test"]
    X_dev, y_dev = data["X_dev"], data["y_dev"]
    class_names = data["class_names"]
    for split in ["train", "val", "test", "dev"]:
        print(f"X_{split:<5} {str(data['X_' + split].shape):<13} {data['X_' + split].dtype}   "
              f"y_{split:<5} {data['y_' + split].shape}")
"""

SHOW_SAMPLES = """
    def show_samples(X, y, mean_image, class_names, per_class=5, seed=0):
        \"\"\"A grid with `per_class` random training images of each class (columns = classes).\"\"\"
        rng = np.random.default_rng(seed)
        fig, axes = plt.subplots(per_class, len(class_names), figsize=(1.1 * len(class_names), 1.1 * per_class))
        for c, name in enumerate(class_names):
            idx = rng.choice(np.flatnonzero(y == c), per_class, replace=False)
            for r, i in enumerate(idx):
                img = (X[i, :3072] + mean_image).reshape(32, 32, 3)
                axes[r, c].imshow(np.clip(img, 0, 255).astype(np.uint8))
                axes[r, c].axis("off")
            axes[0, c].set_title(name, fontsize=8)
        plt.show()

    show_samples(X_train, y_train, data["mean_image"], class_names, per_class=S.pick(full=5, grading=2))
"""

MEAN_IMAGE = """
    mean_image = data["mean_image"]
    plt.figure(figsize=(2, 2))
    plt.imshow(mean_image.reshape(32, 32, 3).astype(np.uint8))
    plt.axis("off")
    plt.title("mean training image", fontsize=8)
    plt.show()
    print(f"mean of X_train pixels after subtracting: {X_train[:, :3072].mean():.2e}")
    print("bias column (last) is all ones:", bool(np.all(X_train[:, -1] == 1) and np.all(X_test[:, -1] == 1)))
"""

SHOW_WEIGHTS = """
    def show_weights(W, class_names):
        \"\"\"Each class's weights (bias row dropped) rescaled to 0..255 and shown as a 32x32 image.\"\"\"
        w = W[:3072, :].reshape(32, 32, 3, -1)
        lo, hi = w.min(), w.max()
        fig, axes = plt.subplots(1, len(class_names), figsize=(1.1 * len(class_names), 1.4))
        for c, name in enumerate(class_names):
            axes[c].imshow((255.0 * (w[:, :, :, c] - lo) / (hi - lo)).astype(np.uint8))
            axes[c].axis("off")
            axes[c].set_title(name, fontsize=8)
        plt.show()
"""


def _twin_timing(naive: str, vectorized: str) -> str:
    """Code timing a naive loss against its vectorized twin on the dev set (notebooks 02 and 03 share it)."""
    return f"""def best_time(fn, repeats=3):
            \"\"\"Result of fn(W, X_dev, y_dev, 5e-6) and the fastest of `repeats` runs in seconds.\"\"\"
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                out = fn(W, X_dev, y_dev, 5e-6)
                times.append(time.perf_counter() - t0)
            return out, min(times)

        (loss_naive, grad_naive), t_naive = best_time({naive})
        (loss_vec, grad_vec), t_vec = best_time({vectorized})
        print(f"naive:      loss {{loss_naive:.6f}} in {{1e3 * t_naive:7.2f}} ms")
        print(f"vectorized: loss {{loss_vec:.6f}} in {{1e3 * t_vec:7.2f}} ms  ({{t_naive / t_vec:.0f}}x faster)")
        print(f"loss difference {{abs(loss_naive - loss_vec):.1e}}, gradient difference (Frobenius) "
              f"{{np.linalg.norm(grad_naive - grad_vec):.1e}}")
        """


SVM_VECTORIZED_SOLUTION = """
            ### BEGIN SOLUTION
            N = X.shape[0]
            scores = X @ W
            correct = scores[np.arange(N), y][:, None]
            margins = np.maximum(0, scores - correct + 1)
            margins[np.arange(N), y] = 0
            loss = margins.sum() / N + reg * np.sum(W * W)
            mask = (margins > 0).astype(W.dtype)
            mask[np.arange(N), y] = -mask.sum(axis=1)
            dW = (X.T @ mask) / N + 2 * reg * W
            return float(loss), dW.astype(W.dtype, copy=False)
            ### END SOLUTION
        """


def _svm_vectorized_cell(doc: str) -> str:
    """The `svm_loss_vectorized` TODO cell: 02 grades it, 04 asks students to paste theirs (same solution)."""
    head = f"""
        def svm_loss_vectorized(W, X, y, reg):
            \"\"\"{doc}\"\"\"
"""
    return head + SVM_VECTORIZED_SOLUTION.lstrip("\n")


# ---------------------------------------------------------------------------------------------
# 02 — multiclass SVM
# ---------------------------------------------------------------------------------------------
def nb02() -> Notebook:
    nb = Notebook("02_svm")
    nb.md(
        r"""
        # 02 · A multiclass SVM on CIFAR-10

        The full pipeline for the hinge loss of notebook 01: load and preprocess the images, compute the loss
        and its gradient (first with loops, then vectorized), check the gradient numerically, train with
        minibatch SGD, tune the learning rate and regularization on the validation set, report test accuracy
        and look at the learned weights.

        **Your TODOs:** the gradient in `svm_loss_naive` · `svm_loss_vectorized` · `train_sgd`, plus one
        written answer. Conventions (same as `cs231n_lite`): `W` is an array of shape (D, C), `X` of shape
        (N, D) with the bias column last, `y` of shape (N,); a loss returns `(loss, dW)` with
        `loss = mean data loss + reg * sum(W * W)`.
        """
    )
    nb.code(SETUP_PLOTS.format(name="02_svm"))
    nb.md(
        """
        ## 1. Data

        The training images are split into **train** (first 49,000) and **validation** (next 1,000); **test** is
        the first 1,000 test images and **dev** a random 500 of train for quick experiments. (In grading mode
        and on the synthetic set the sizes are smaller; the first line above says which.)
        """
    )
    nb.code(LOAD_DATA)
    nb.code(SHOW_SAMPLES)
    nb.md(
        """
        **Preprocessing.** Every image is a row of 32·32·3 = 3072 pixel values. We subtract the **mean training
        image** from all splits (so the scores start centred around 0), and append a constant 1 as the last
        column — the bias trick from notebook 01 — so D = 3073 and the last row of `W` is the bias.
        """
    )
    nb.code(MEAN_IMAGE)

    nb.md(
        r"""
        ## 2. The loss with loops: `svm_loss_naive`

        For example $i$ with scores $s = x_i W$, every wrong class $j$ with margin $s_j - s_{y_i} + 1 > 0$ adds
        the margin to the loss. Differentiating that term:

        - with respect to column $j$ of `W`: $+x_i$;
        - with respect to column $y_i$: $-x_i$.

        The loss is averaged over the N examples and the regularization $\lambda \sum W^2$ adds
        $2\lambda W$ to the gradient.

        ### TODO gradient of `svm_loss_naive`
        The loss is already computed; fill in `dW` where marked.
        """
    )
    nb.todo(
        "svm-naive",
        '''
        def svm_loss_naive(W, X, y, reg):
            """Multiclass SVM loss with loops.

            W : array of shape (D, C); X : array of shape (N, D); y : array of shape (N,); reg : float.
            Returns (loss, dW) with dW of the shape and dtype of W.
            """
            dW = np.zeros_like(W)
            num_classes = W.shape[1]
            num_train = X.shape[0]
            loss = 0.0
            for i in range(num_train):
                scores = X[i].dot(W)
                correct_class_score = scores[y[i]]
                for j in range(num_classes):
                    if j == y[i]:
                        continue
                    margin = scores[j] - correct_class_score + 1  # delta = 1
                    if margin > 0:
                        loss += margin
                        # gradient of this margin with respect to columns j and y[i] of W
                        ### BEGIN SOLUTION
                        dW[:, j] += X[i]
                        dW[:, y[i]] -= X[i]
                        ### END SOLUTION
            loss /= num_train
            loss += reg * np.sum(W * W)
            # average the data gradient and add the regularization gradient
            ### BEGIN SOLUTION
            dW /= num_train
            dW += 2 * reg * W
            ### END SOLUTION
            return float(loss), dW
        ''',
    )
    nb.visible(
        "svm-naive-visible",
        """
        # Visible tests for svm_loss_naive.
        # (a) the lecture's table: with X = identity, row i of W is the score vector of example i.
        W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
        loss, dW = svm_loss_naive(W_lecture, np.eye(3), np.array([0, 1, 2]), 0.0)
        testing.assert_close(loss, 5.2667, name="svm_loss_naive(lecture table) loss", atol=1e-3)
        # (b) zero weights: every wrong class adds 1, so the loss is C - 1 = 9
        loss, dW = svm_loss_naive(np.zeros((X_dev.shape[1], 10), X_dev.dtype), X_dev, y_dev, 0.0)
        testing.assert_close(loss, 9.0, name="svm_loss_naive(W = 0) loss", rtol=1e-6)
        assert dW.shape == (X_dev.shape[1], 10) and dW.dtype == X_dev.dtype, "dW must have W's shape and dtype"
        # (c) the gradient against a numerical one, without and with regularization (float64, small problem)
        rng = np.random.default_rng(1)
        W_small, X_small, y_small = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
        testing.assert_gradient(svm_loss_naive, W_small, X_small, y_small, 0.0, name="svm_loss_naive gradient, reg=0")
        testing.assert_gradient(svm_loss_naive, W_small, X_small, y_small, 0.3, name="svm_loss_naive gradient, reg=0.3",
                                )
        print("svm_loss_naive: visible tests passed")
        """,
    )
    nb.hidden("svm-naive-hidden", "svm_loss_naive")
    nb.md(
        """
        ### Gradient check on real data

        With small random weights the loss should be close to C − 1 = 9 (notebook 01, Q3). Then we compare
        the analytic gradient with centered differences at 10 random entries of `W`, first without and then with
        regularization. We work in float64: float32 rounding alone would give relative errors around 1e-3.
        """
    )
    nb.code(
        """
        require(svm_loss_naive)
        rng = np.random.default_rng(S.seed)
        W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
        X_dev64 = X_dev.astype(np.float64)
        loss, grad = svm_loss_naive(W, X_dev64, y_dev, 0.0)
        print(f"loss at small random W: {loss:.3f} (expected about 9)")
        for reg in [0.0, 5e1]:
            loss, grad = svm_loss_naive(W, X_dev64, y_dev, reg)
            errors = gradient_check.grad_check_sparse(lambda w, reg=reg: svm_loss_naive(w, X_dev64, y_dev, reg)[0], W, grad,
                                                      num_checks=10, seed=S.seed)
            print(f"reg = {reg:g}: relative errors", " ".join(f"{e:.1e}" for e in errors))
        """
    )
    nb.md(
        """
        **Q1 (kinks).** Occasionally one entry of the gradient check does not match. Run the cell below: it
        checks $f(x) = \\max(0, x)$ — the shape of every hinge term — at points just next to $x = 0$.
        Why can this happen, and is it something to worry about? How could you make it less frequent?
        """
    )
    nb.code(
        """
        def relu(x):
            return max(0.0, x)

        h = 1e-5
        for x0 in [-1e-6, 1e-6, 1e-4]:
            numerical = (relu(x0 + h) - relu(x0 - h)) / (2 * h)
            analytic = 1.0 if x0 > 0 else 0.0
            print(f"x = {x0:8.0e}: numerical {numerical:.2f}, analytic {analytic:.0f}")
        """,
        check_output=True,
    )
    nb.answer(
        "q-kink",
        """
        The hinge loss is not differentiable where a margin is exactly 0 (a kink). If a margin lies within h of
        0, the centered difference straddles the kink and averages the two slopes (0.55 instead of 1 above),
        while the analytic gradient uses one side. That is a flaw of the check, not of the gradient, so an
        occasional mismatch is fine. It becomes rarer with a smaller h, fewer examples (fewer margins near
        0), or by checking that no margin crossed 0 between x − h and x + h; with regularization the extra
        smooth term also makes the relative error of such entries smaller.
        """,
    )

    nb.md(
        r"""
        ## 3. No loops: `svm_loss_vectorized`

        Compute all scores at once (`X @ W`, shape (N, C)), pick the correct-class scores with fancy indexing,
        form the margins, zero the correct class. For the gradient, build a matrix of shape (N, C) with a 1
        where a margin is positive and $-(\text{number of positive margins})$ in the correct class; then
        `dW = X.T @ that / N + 2 reg W`.

        ### TODO `svm_loss_vectorized`
        """
    )
    nb.todo(
        "svm-vectorized",
        _svm_vectorized_cell("Multiclass SVM loss without loops; same inputs and outputs as svm_loss_naive."),
    )
    nb.visible(
        "svm-vectorized-visible",
        """
        # Visible tests for svm_loss_vectorized: it must agree with svm_loss_naive.
        require(svm_loss_naive)
        W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
        loss, _ = svm_loss_vectorized(W_lecture, np.eye(3), np.array([0, 1, 2]), 0.0)
        testing.assert_close(loss, 5.2667, name="svm_loss_vectorized(lecture table) loss", atol=1e-3)
        rng = np.random.default_rng(2)
        W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
        for reg in [0.0, 5e1]:
            testing.assert_same_loss(svm_loss_naive, svm_loss_vectorized, W, X_dev.astype(np.float64), y_dev, reg)
        _, dW32 = svm_loss_vectorized(W.astype(np.float32), X_dev, y_dev, 0.0)
        assert dW32.dtype == np.float32, f"dW must keep W's dtype float32, got {dW32.dtype}"
        print("svm_loss_vectorized: visible tests passed")
        """,
    )
    nb.hidden("svm-vectorized-hidden", "svm_loss_vectorized")
    nb.md("How much faster? Both versions on the dev set:")
    nb.code(
        """
        require(svm_loss_naive, svm_loss_vectorized)
        W = 0.0001 * np.random.default_rng(S.seed).standard_normal((X_dev.shape[1], 10)).astype(np.float32)

        """
        + _twin_timing("svm_loss_naive", "svm_loss_vectorized")
    )

    nb.md(
        r"""
        ## 4. Minibatch SGD

        The gradient of the full training loss is a mean over 49,000 examples; a random **minibatch** of a few
        hundred gives a noisy but unbiased estimate at a fraction of the cost. One step:
        $W \leftarrow W - \eta\, \nabla_W L_{\text{batch}}$.

        ### TODO `train_sgd`
        `train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0)` returns
        `(W_new, loss_history)`. Follow this recipe **exactly** (the tests replay it):

        1. `rng = np.random.default_rng(seed)` once;
        2. each iteration: `idx = rng.choice(N, size=batch_size, replace=True)`, then
           `loss, dW = loss_fn(W, X[idx], y[idx], reg)`, `W = W - learning_rate * dW`, and append
           `float(loss)` to the history;
        3. do not modify the `W` you were given (`W = W - ...` makes a new array; `W -= ...` would not).
        """
    )
    nb.todo(
        "train-sgd",
        '''
        def train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
            """Minibatch SGD. Returns (W_new, loss_history: list of float); W is not modified."""
            ### BEGIN SOLUTION
            rng = np.random.default_rng(seed)
            N = X.shape[0]
            history = []
            for _ in range(num_iters):
                idx = rng.choice(N, size=batch_size, replace=True)
                loss, dW = loss_fn(W, X[idx], y[idx], reg)
                W = W - learning_rate * dW
                history.append(float(loss))
            return W, history
            ### END SOLUTION
        ''',
    )
    nb.visible(
        "train-sgd-visible",
        """
        # Visible tests for train_sgd.
        # (a) on L(W) = sum(W^2) each step multiplies W by (1 - 2 * learning_rate)
        def quadratic(W, X, y, reg):
            return float(np.sum(W * W)), 2 * W
        W0 = np.ones((3, 2))
        W_new, history = train_sgd(quadratic, W0, np.zeros((5, 3)), np.zeros(5, int),
                                   learning_rate=0.1, reg=0.0, num_iters=4, batch_size=2)
        testing.assert_close(W_new, 0.8 ** 4 * np.ones((3, 2)), name="W after 4 steps on sum(W^2)")
        testing.assert_close(history, [6 * 0.8 ** (2 * k) for k in range(4)], name="loss_history",
                             hint="Append the loss of each step BEFORE the update.")
        testing.assert_close(W0, np.ones((3, 2)), name="the W passed in", hint="Do not modify it in place.")
        assert isinstance(history, list) and all(isinstance(v, float) for v in history), "history: list of float"
        # (b) the minibatches follow the recipe: X = row numbers, so the batch reveals the indices
        seen = []
        def spy(W, X, y, reg):
            seen.append(X[:, 0].astype(int).tolist())
            return 0.0, np.zeros_like(W)
        train_sgd(spy, np.zeros((1, 2)), np.arange(10.0)[:, None], np.zeros(10, int),
                  learning_rate=1.0, reg=0.0, num_iters=3, batch_size=4, seed=7)
        rng = np.random.default_rng(7)
        expected = [rng.choice(10, size=4, replace=True).tolist() for _ in range(3)]
        assert seen == expected, (f"minibatch indices {seen}, expected {expected}: create the rng once with "
                                  "np.random.default_rng(seed) and call rng.choice(N, size=batch_size, replace=True)")
        print("train_sgd: visible tests passed")
        """,
    )
    nb.hidden("train-sgd-hidden", "train_sgd")
    nb.md(
        """
        ### Training

        Small random weights, learning rate 1e-7, regularization 2.5e4, batches of 200. The loss should start
        near 9 + the regularization term and fall quickly.
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized, train_sgd)

        def predict(W, X):
            return np.argmax(X @ W, axis=1)

        W0 = (0.0001 * np.random.default_rng(S.seed).standard_normal((X_train.shape[1], 10))).astype(np.float32)
        t0 = time.perf_counter()
        W_svm, loss_history = train_sgd(svm_loss_vectorized, W0, X_train, y_train, learning_rate=1e-7, reg=2.5e4,
                                        num_iters=S.pick(full=1500, synthetic=200, grading=10), batch_size=200)
        print(f"{len(loss_history)} iterations in {time.perf_counter() - t0:.1f} s; "
              f"loss {loss_history[0]:.2f} -> {loss_history[-1]:.2f}")
        print(f"train accuracy {np.mean(predict(W_svm, X_train) == y_train):.3f}, "
              f"validation accuracy {np.mean(predict(W_svm, X_val) == y_val):.3f}")
        plt.plot(loss_history)
        plt.xlabel("iteration")
        plt.ylabel("minibatch loss")
        plt.title("SVM training loss")
        plt.show()
        """
    )

    nb.md(
        """
        ## 5. Choosing the learning rate and regularization

        Train one model per (learning rate, regularization) pair, keep the one with the best **validation**
        accuracy. The test set is touched only once, at the very end.
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized, train_sgd)
        learning_rates = S.pick(full=[1e-7, 5e-7], grading=[1e-7])
        regularization_strengths = [2.5e4, 5e4]
        iters = S.pick(full=1000, synthetic=100, grading=5)
        results, best = {}, (-1.0, None, None)
        for lr in learning_rates:
            for reg in regularization_strengths:
                W, _ = train_sgd(svm_loss_vectorized, W0, X_train, y_train, learning_rate=lr, reg=reg,
                                 num_iters=iters, batch_size=200)
                train_acc = np.mean(predict(W, X_train) == y_train)
                val_acc = np.mean(predict(W, X_val) == y_val)
                results[(lr, reg)] = (train_acc, val_acc)
                if val_acc > best[0]:
                    best = (val_acc, (lr, reg), W)
        print(f"{'learning rate':>14}{'reg':>10}{'train acc':>11}{'val acc':>9}")
        for (lr, reg), (tr, va) in sorted(results.items()):
            print(f"{lr:>14.0e}{reg:>10.1e}{tr:>11.3f}{va:>9.3f}")
        best_val, best_params, W_best = best
        print(f"best: learning rate {best_params[0]:.0e}, reg {best_params[1]:.1e}, validation accuracy {best_val:.3f}")
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized, train_sgd)
        test_acc = float(np.mean(predict(W_best, X_test) == y_test))
        print(f"SVM test accuracy: {test_acc:.3f}")
        S.save_result("svm", {"val_accuracy": float(best_val), "test_accuracy": test_acc,
                              "learning_rate": best_params[0], "reg": best_params[1]})
        """
    )
    nb.md(
        """
        ## 6. The weights as class templates

        Each column of `W` (without the bias row) has one weight per pixel and colour, so it can be shown as a
        32×32 image: the template an image is matched against for that class.
        """
    )
    nb.code(_join(SHOW_WEIGHTS, "require(svm_loss_vectorized, train_sgd)\nshow_weights(W_best, class_names)"))
    nb.md(
        """
        On real CIFAR-10 the templates look like blurry averages: a car template is reddish with a windshield, a
        horse template may have two heads (horses face both ways), planes and ships are mostly blue. One
        template per class can only capture one "average" mode — a limit of linear classifiers.

        **Done.** Next: `03_softmax.ipynb`.
        """
    )
    return nb


# ---------------------------------------------------------------------------------------------
# 03 — softmax
# ---------------------------------------------------------------------------------------------
def nb03() -> Notebook:
    nb = Notebook("03_softmax")
    nb.md(
        r"""
        # 03 · A softmax classifier on CIFAR-10

        The same path as notebook 02 with the cross-entropy loss of notebook 01: loss and gradient with loops,
        a sanity check, a gradient check, a vectorized version, training, tuning, test accuracy, templates —
        and a comparison with the SVM.

        **Your TODOs:** `softmax_loss_naive` · `softmax_loss_vectorized`, plus written answers.
        Training uses `cs231n_lite.classifiers.Softmax`, which runs minibatch SGD with **your** loss function.
        """
    )
    nb.code(SETUP_PLOTS.format(name="03_softmax"))
    nb.code(LOAD_DATA)
    nb.md(
        r"""
        ## 1. The loss with loops: `softmax_loss_naive`

        For example $i$ with scores $s = x_i W$ and probabilities $p = \mathrm{softmax}(s)$ the loss is
        $-\log p_{y_i}$, and its gradient with respect to column $j$ of `W` is $(p_j - [j = y_i])\, x_i$:
        every class pulls on the weights in proportion to its probability, and the correct class is pushed
        the other way by 1. Average over the examples and add $\lambda\sum W^2$ (gradient $2\lambda W$).
        Use the max-shift for stability.

        ### TODO `softmax_loss_naive`
        Loop over the examples (a loop over the classes inside is fine too).
        """
    )
    nb.todo(
        "softmax-naive",
        '''
        def softmax_loss_naive(W, X, y, reg):
            """Softmax (cross-entropy) loss with loops.

            W : array of shape (D, C); X : array of shape (N, D); y : array of shape (N,); reg : float.
            Returns (loss, dW) with dW of the shape and dtype of W.
            """
            loss = 0.0
            dW = np.zeros_like(W)
            ### BEGIN SOLUTION
            num_train, num_classes = X.shape[0], W.shape[1]
            for i in range(num_train):
                scores = X[i].dot(W).astype(np.float64)
                scores -= scores.max()
                log_sum = np.log(np.sum(np.exp(scores)))
                loss += log_sum - scores[y[i]]
                probs = np.exp(scores - log_sum)
                for j in range(num_classes):
                    dW[:, j] += (probs[j] - (j == y[i])) * X[i]
            loss = loss / num_train + reg * np.sum(W * W)
            dW = dW / num_train + 2 * reg * W
            ### END SOLUTION
            return float(loss), dW
        ''',
    )
    nb.visible(
        "softmax-naive-visible",
        """
        # Visible tests for softmax_loss_naive.
        # (a) the lecture's cat: X = [[1]] so the single row of W is the score vector
        loss, dW = softmax_loss_naive(np.array([[3.2, 5.1, -1.7]]), np.array([[1.0]]), np.array([0]), 0.0)
        testing.assert_close(loss, 2.0404, name="softmax_loss_naive(cat scores) loss", atol=1e-3,
                             hint="-log of the softmax probability of the correct class, natural log.")
        testing.assert_close(dW, [[0.13 - 1, 0.87, 0.0]], name="its dW", atol=0.005,
                             hint="dW[:, j] += (p_j - [j == y_i]) * x_i")
        # (b) zero weights: all classes equally likely, loss = log(10)
        loss, dW = softmax_loss_naive(np.zeros((X_dev.shape[1], 10), X_dev.dtype), X_dev, y_dev, 0.0)
        testing.assert_close(loss, np.log(10), name="softmax_loss_naive(W = 0) loss", rtol=1e-5)
        assert dW.shape == (X_dev.shape[1], 10) and dW.dtype == X_dev.dtype, "dW must have W's shape and dtype"
        # (c) huge scores stay finite (max-shift), and the gradient matches a numerical one
        loss, _ = softmax_loss_naive(np.array([[1000.0, 0.0]]), np.array([[1.0]]), np.array([1]), 0.0)
        testing.assert_close(loss, 1000.0, name="softmax_loss_naive with scores [1000, 0]", hint="Subtract the max.")
        rng = np.random.default_rng(1)
        W_small, X_small, y_small = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
        for reg in [0.0, 0.3]:
            testing.assert_gradient(softmax_loss_naive, W_small, X_small, y_small, reg,
                                    name=f"softmax_loss_naive gradient, reg={reg}")
        print("softmax_loss_naive: visible tests passed")
        """,
    )
    nb.hidden("softmax-naive-hidden", "softmax_loss_naive")
    nb.md("**Sanity check.** With small random weights the loss should be close to $-\\log(0.1)$:")
    nb.code(
        """
        require(softmax_loss_naive)
        rng = np.random.default_rng(S.seed)
        W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
        X_dev64 = X_dev.astype(np.float64)
        loss, grad = softmax_loss_naive(W, X_dev64, y_dev, 0.0)
        print(f"loss: {loss:.4f}   -log(0.1) = {-np.log(0.1):.4f}")
        for reg in [0.0, 5e1]:
            loss, grad = softmax_loss_naive(W, X_dev64, y_dev, reg)
            errors = gradient_check.grad_check_sparse(lambda w, reg=reg: softmax_loss_naive(w, X_dev64, y_dev, reg)[0], W, grad,
                                                      num_checks=10, seed=S.seed)
            print(f"gradient check, reg = {reg:g}: relative errors", " ".join(f"{e:.1e}" for e in errors))
        """
    )
    nb.md("**Q1.** Why do we expect a loss near $-\\log(0.1)$ here? Unlike the SVM, no kinks: why?")
    nb.answer(
        "q-log-ten",
        """
        Tiny weights make all ten scores nearly equal, so softmax gives each class probability ≈ 1/10 and the
        loss of every example is −log(0.1) = log 10 ≈ 2.303. The softmax loss is a smooth function of the
        scores (no max(0, ·)), so the centered difference has no kink to straddle and the relative errors stay
        small everywhere.
        """,
    )

    nb.md(
        r"""
        ## 2. No loops: `softmax_loss_vectorized`

        Scores for all examples at once (shape (N, C)), shift each row by its max, softmax along the rows, pick
        the correct-class probabilities with fancy indexing. For the gradient subtract 1 from the correct class
        in the probability matrix and multiply by `X.T`.

        ### TODO `softmax_loss_vectorized`
        """
    )
    nb.todo(
        "softmax-vectorized",
        '''
        def softmax_loss_vectorized(W, X, y, reg):
            """Softmax loss without loops; same inputs and outputs as softmax_loss_naive."""
            ### BEGIN SOLUTION
            N = X.shape[0]
            scores = X @ W
            scores = scores - scores.max(axis=1, keepdims=True)
            log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
            loss = -log_probs[np.arange(N), y].mean() + reg * np.sum(W * W)
            dscores = np.exp(log_probs)
            dscores[np.arange(N), y] -= 1
            dW = (X.T @ dscores) / N + 2 * reg * W
            return float(loss), dW.astype(W.dtype, copy=False)
            ### END SOLUTION
        ''',
    )
    nb.visible(
        "softmax-vectorized-visible",
        """
        # Visible tests for softmax_loss_vectorized: it must agree with softmax_loss_naive.
        require(softmax_loss_naive)
        loss, _ = softmax_loss_vectorized(np.array([[3.2, 5.1, -1.7]]), np.array([[1.0]]), np.array([0]), 0.0)
        testing.assert_close(loss, 2.0404, name="softmax_loss_vectorized(cat scores) loss", atol=1e-3)
        loss, _ = softmax_loss_vectorized(np.array([[1000.0, 0.0]]), np.array([[1.0]]), np.array([1]), 0.0)
        testing.assert_close(loss, 1000.0, name="softmax_loss_vectorized with scores [1000, 0]", hint="Subtract the row max.")
        rng = np.random.default_rng(2)
        W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
        for reg in [0.0, 5e1]:
            testing.assert_same_loss(softmax_loss_naive, softmax_loss_vectorized, W, X_dev.astype(np.float64), y_dev, reg)
        _, dW32 = softmax_loss_vectorized(W.astype(np.float32), X_dev, y_dev, 0.0)
        assert dW32.dtype == np.float32, f"dW must keep W's dtype float32, got {dW32.dtype}"
        print("softmax_loss_vectorized: visible tests passed")
        """,
    )
    nb.hidden("softmax-vectorized-hidden", "softmax_loss_vectorized")
    nb.code(
        """
        require(softmax_loss_naive, softmax_loss_vectorized)
        W = (0.0001 * np.random.default_rng(S.seed).standard_normal((X_dev.shape[1], 10))).astype(np.float32)

        """
        + _twin_timing("softmax_loss_naive", "softmax_loss_vectorized")
    )

    nb.md(
        """
        ## 3. Training and tuning

        `Softmax(loss_fn=softmax_loss_vectorized).train(...)` runs minibatch SGD (batches of 200, sampled with
        replacement) with your loss and returns the loss history; `.predict(X)` is the argmax of the scores.
        As in 02, choose learning rate and regularization on the validation set.
        """
    )
    nb.code(
        """
        require(softmax_loss_vectorized)
        from cs231n_lite.classifiers import Softmax

        learning_rates = S.pick(full=[1e-7, 5e-7], grading=[1e-7])
        regularization_strengths = [2.5e4, 5e4]
        iters = S.pick(full=1000, synthetic=100, grading=5)
        results, best = {}, (-1.0, None, None)
        t0 = time.perf_counter()
        for lr in learning_rates:
            for reg in regularization_strengths:
                model = Softmax(loss_fn=softmax_loss_vectorized)
                history = model.train(X_train, y_train, learning_rate=lr, reg=reg, num_iters=iters,
                                      batch_size=200, seed=S.seed)
                train_acc = np.mean(model.predict(X_train) == y_train)
                val_acc = np.mean(model.predict(X_val) == y_val)
                results[(lr, reg)] = (train_acc, val_acc, history)
                if val_acc > best[0]:
                    best = (val_acc, (lr, reg), model)
        print(f"{len(results)} models x {iters} iterations in {time.perf_counter() - t0:.1f} s")
        print(f"{'learning rate':>14}{'reg':>10}{'train acc':>11}{'val acc':>9}")
        for (lr, reg), (tr, va, _) in sorted(results.items()):
            print(f"{lr:>14.0e}{reg:>10.1e}{tr:>11.3f}{va:>9.3f}")
        best_val, best_params, best_softmax = best
        print(f"best: learning rate {best_params[0]:.0e}, reg {best_params[1]:.1e}, validation accuracy {best_val:.3f}")
        plt.plot(results[best_params][2])
        plt.xlabel("iteration")
        plt.ylabel("minibatch loss")
        plt.title("softmax training loss (best setting)")
        plt.show()
        """
    )
    nb.code(
        _join(
            """
            require(softmax_loss_vectorized)
            test_acc = float(np.mean(best_softmax.predict(X_test) == y_test))
            print(f"softmax test accuracy: {test_acc:.3f}")
            """,
            SHOW_WEIGHTS,
            "show_weights(best_softmax.W, class_names)",
        )
    )
    nb.md(
        """
        ## 4. Softmax versus SVM

        Notebook 02 stores its result when it runs in the same mode on the same data; if it has, here are the
        two side by side.
        """
    )
    nb.code(
        """
        require(softmax_loss_vectorized)
        svm = S.load_result("svm")
        print(f"{'':10}{'val acc':>9}{'test acc':>10}")
        if svm is None:
            print("SVM: not available yet — run 02_svm.ipynb (same data, same mode) first")
        else:
            print(f"{'SVM':10}{svm['val_accuracy']:>9.3f}{svm['test_accuracy']:>10.3f}")
        print(f"{'softmax':10}{best_val:>9.3f}{test_acc:>10.3f}")
        """
    )
    nb.md(
        """
        **Q2.** Compare the two classifiers: accuracy, what each loss is trying to achieve (recall section 7 of
        notebook 01), and how their templates look.
        """
    )
    nb.answer(
        "q-svm-vs-softmax-cifar",
        """
        On CIFAR-10 both land in the same range (roughly 30–40 % on the real data, far above the 10 % of
        guessing; the linear model is the limit, not the loss). The SVM is satisfied once the correct class wins by the margin and ignores examples it
        already classifies well; softmax never is, it keeps pushing the correct probability toward 1, so every
        example contributes a little gradient. The templates are similar blurry class averages; the softmax
        ones tend to be a bit smoother.
        """,
    )
    nb.md("**Done.** Next: `04_optimization.ipynb`.")
    return nb


# ---------------------------------------------------------------------------------------------
# 04 — optimization
# ---------------------------------------------------------------------------------------------
def nb04() -> Notebook:
    nb = Notebook("04_optimization")
    nb.md(
        r"""
        # 04 · Optimization: finding good weights

        The loss tells us how good a `W` is; optimization finds a good one. This notebook looks at the loss
        landscape of the SVM, compares three strategies at the same budget of loss evaluations, computes
        gradients numerically (and sees what that costs), sweeps the step size, and races full-batch gradient
        descent against minibatch SGD.

        **Your TODO:** `numerical_gradient`. This notebook also needs your `svm_loss_vectorized` from
        02_svm: paste it into the cell marked `svm-paste`.
        """
    )
    nb.code(SETUP_PLOTS.format(name="04_optimization"))
    nb.code(
        """
        data = S.load_data(num_training=S.pick(full=10000, synthetic=4000, grading=500))
        X_train, y_train = data["X_train"], data["y_train"]
        X_test, y_test = data["X_test"], data["y_test"]
        D, C = X_train.shape[1], 10
        n_fit = S.pick(full=1000, synthetic=500, grading=100)
        X_fit, y_fit = X_train[:n_fit], y_train[:n_fit]   # the examples the searches below evaluate the loss on
        print(f"train {X_train.shape}, test {X_test.shape}; loss evaluations use {n_fit} training examples")

        def accuracy(W, X, y):
            return float(np.mean(np.argmax(X @ W, axis=1) == y))
        """
    )
    nb.md(
        """
        ## 0. Your SVM loss

        Paste your `svm_loss_vectorized` from 02_svm below (the whole `def`). Nothing here is graded; the rest of
        the notebook uses it.
        """
    )
    nb.todo(
        "svm-paste",
        _svm_vectorized_cell("Multiclass SVM loss (paste your version from 02_svm)."),
    )
    nb.code(
        """
        require(svm_loss_vectorized)
        W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
        testing.assert_close(svm_loss_vectorized(W_lecture, np.eye(3), np.array([0, 1, 2]), 0.0)[0], 5.2667,
                             name="pasted svm_loss_vectorized(lecture table)", atol=1e-3)

        def svm_loss(W, X=X_fit, y=y_fit):
            \"\"\"Data loss only (reg = 0) on the fitting examples: one 'loss evaluation'.\"\"\"
            return svm_loss_vectorized(W, X, y, 0.0)[0]
        print("svm_loss_vectorized works")
        """
    )

    nb.md(
        r"""
        ## 1. The loss landscape

        `W` has D × C = 30,730 numbers, far too many to plot. Instead we pick a random point `W` and random
        directions `W1`, `W2`, and plot the loss along the line $W + aW_1$ and on the plane $W + aW_1 + bW_2$.

        For **one example** the SVM loss is a sum of hinges, each linear in $a$: the slice is piecewise linear.
        Averaged over **100 examples** the many kinks blur into a bowl-shaped (convex) curve.
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized)
        rng = np.random.default_rng(S.seed)
        W, W1, W2 = (1e-4 * rng.standard_normal((D, C)).astype(np.float32) for _ in range(3))
        one, hundred = slice(0, 1), slice(0, 100)
        a = np.linspace(-10, 10, S.pick(full=101, synthetic=41, grading=11))
        fig, axes = plt.subplots(1, 2)
        for ax, part, title in [(axes[0], one, "one example"), (axes[1], hundred, "100 examples")]:
            losses = [svm_loss(W + ai * W1, X_train[part], y_train[part]) for ai in a]
            ax.plot(a, losses)
            ax.set_title(f"1-D slice, {title}", fontsize=9)
            ax.set_xlabel("a")
        plt.show()

        b = np.linspace(-10, 10, S.pick(full=31, synthetic=15, grading=5))
        fig, axes = plt.subplots(1, 2)
        for ax, part, title in [(axes[0], one, "one example"), (axes[1], hundred, "100 examples")]:
            grid = [[svm_loss(W + ai * W1 + bi * W2, X_train[part], y_train[part]) for ai in b] for bi in b]
            im = ax.imshow(grid, origin="lower", extent=(b[0], b[-1], b[0], b[-1]), cmap="jet")
            ax.set_title(f"2-D slice, {title}", fontsize=9)
            fig.colorbar(im, ax=ax)
        plt.show()
        """
    )

    nb.md(
        r"""
        ## 2. Three strategies, the same budget

        Each strategy gets the same number of **loss evaluations** (one evaluation = the loss, and for the
        gradient strategy also its gradient, on the fitting examples):

        1. **random search** — draw a fresh random `W` each time, keep the best;
        2. **random local search** — from the current `W`, try a small random step and keep it if the loss drops;
        3. **following the gradient** — step along $-\nabla L$.

        The course notes report 15.5 % (random search) and 21.4 % (random local search) test accuracy on
        CIFAR-10 with 1,000 evaluations. Here is what this data gives:
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized)
        budget = S.pick(full=1000, synthetic=150, grading=8)
        rng = np.random.default_rng(S.seed)

        def random_search(budget):
            best_W, best_loss = None, np.inf
            for _ in range(budget):
                W = 1e-4 * rng.standard_normal((D, C)).astype(np.float32)
                loss = svm_loss(W)
                if loss < best_loss:
                    best_W, best_loss = W, loss
            return best_W, best_loss

        def random_local_search(budget, step=1e-4):
            W = 1e-4 * rng.standard_normal((D, C)).astype(np.float32)
            best_loss = svm_loss(W)
            for _ in range(budget - 1):
                W_try = W + step * rng.standard_normal((D, C)).astype(np.float32)
                loss = svm_loss(W_try)
                if loss < best_loss:
                    W, best_loss = W_try, loss
            return W, best_loss

        def follow_gradient(budget, learning_rate=1e-6):
            W = 1e-4 * rng.standard_normal((D, C)).astype(np.float32)
            for _ in range(budget):
                loss, dW = svm_loss_vectorized(W, X_fit, y_fit, 0.0)
                W = W - learning_rate * dW
            return W, svm_loss(W)

        print(f"{budget} loss evaluations each, {n_fit} examples per evaluation")
        print(f"{'strategy':<24}{'final loss':>11}{'test acc':>10}{'time':>8}")
        for name, method in [("random search", random_search), ("random local search", random_local_search),
                             ("following the gradient", follow_gradient)]:
            t0 = time.perf_counter()
            W_found, loss = method(budget)
            print(f"{name:<24}{loss:>11.3f}{accuracy(W_found, X_test, y_test):>10.3f}"
                  f"{time.perf_counter() - t0:>7.1f}s")
        print(f"(chance level: {1 / C:.3f})")
        """
    )
    nb.md(
        """
        Random search only gets lucky; local search keeps what works but most random directions are useless in
        30,730 dimensions; the gradient gives a good direction at every step for the price of one evaluation.
        """
    )

    nb.md(
        r"""
        ## 3. The numerical gradient

        The derivative along coordinate $i$ is the limit of a finite difference. Two versions:

        - forward: $\dfrac{f(x + h e_i) - f(x)}{h}$ (error shrinks like $h$),
        - centered: $\dfrac{f(x + h e_i) - f(x - h e_i)}{2h}$ (error shrinks like $h^2$).

        ### TODO `numerical_gradient`
        `numerical_gradient(f, x, *, h=1e-5, method="centered")`: `f(x)` returns a float; `x` is a float array
        of any shape. Nudge one entry at a time **in place**, evaluate, and put the entry back exactly.
        Return an array of the shape and dtype of `x`. `method` is `"centered"` or `"forward"` (anything else:
        `ValueError`). The forward version evaluates `f(x)` once, up front, and reuses it.
        (`np.ndindex(x.shape)` walks every index of an array of any shape.)
        """
    )
    nb.todo(
        "numerical-gradient",
        '''
        def numerical_gradient(f, x, *, h=1e-5, method="centered"):
            """Finite-difference gradient of f at x (x is modified during the call and restored)."""
            ### BEGIN SOLUTION
            if method not in ("centered", "forward"):
                raise ValueError(f"method must be 'centered' or 'forward'; got {method!r}")
            grad = np.zeros_like(x)
            fx = float(f(x)) if method == "forward" else None
            for ix in np.ndindex(x.shape):
                old = x[ix].copy()
                x[ix] = old + h
                f_plus = float(f(x))
                if method == "centered":
                    x[ix] = old - h
                    grad[ix] = (f_plus - float(f(x))) / (2 * h)
                else:
                    grad[ix] = (f_plus - fx) / h
                x[ix] = old
            return grad
            ### END SOLUTION
        ''',
    )
    nb.visible(
        "numerical-gradient-visible",
        """
        # Visible tests for numerical_gradient.
        x = np.array([1.0, -2.0, 3.0])
        testing.assert_close(numerical_gradient(lambda v: float(np.sum(v ** 2)), x), [2.0, -4.0, 6.0],
                             name="centered gradient of sum(x^2) at [1, -2, 3]", atol=1e-6)
        testing.assert_close(x, [1.0, -2.0, 3.0], name="x after the call", hint="Put every entry back.")
        # the forward difference of x^3 at 1 is 3 + 3h + h^2: visibly different from the centered 3 + h^2
        g_fwd = numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0]), h=1e-3, method="forward")
        g_ctr = numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0]), h=1e-3, method="centered")
        testing.assert_close(g_fwd, [3.003001], name="forward difference of x^3 at 1 (h=1e-3)", rtol=1e-6)
        testing.assert_close(g_ctr, [3.000001], name="centered difference of x^3 at 1 (h=1e-3)", rtol=1e-6)
        # a 2-D x and the number of evaluations: forward D + 1, centered 2D
        calls = []
        def f_counted(v):
            calls.append(1)
            return float(np.sum(v * np.arange(6.0).reshape(2, 3)))
        g = numerical_gradient(f_counted, np.zeros((2, 3)), method="forward")
        testing.assert_close(g, np.arange(6.0).reshape(2, 3), name="forward gradient on a (2, 3) array", atol=1e-6)
        assert len(calls) == 7, f"forward differences on 6 entries should call f 7 times (D + 1), not {len(calls)}"
        calls.clear()
        numerical_gradient(f_counted, np.zeros((2, 3)))
        assert len(calls) == 12, f"centered differences on 6 entries should call f 12 times (2D), not {len(calls)}"
        try:
            numerical_gradient(f_counted, np.zeros(2), method="backward")
        except ValueError:
            pass
        else:
            raise AssertionError("method='backward' should raise ValueError")
        print("numerical_gradient: visible tests passed")
        """,
    )
    nb.hidden("numerical-gradient-hidden", "numerical_gradient")
    nb.md(
        """
        ### What it costs

        The gradient with respect to all of `W` needs D·C + 1 = 30,731 loss evaluations with forward differences
        (twice as many centered) — for **one** step. Below: the numerical gradient for the first `k` rows of `W`
        (k = 5 on the full run: 50 entries, the rest held fixed) against the analytic gradient of your SVM
        loss, the number of evaluations, and what the whole `W` would cost. A small `h` = 1e-7 keeps most
        margins from crossing a kink during the check.
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized, numerical_gradient)
        W = (1e-4 * np.random.default_rng(S.seed).standard_normal((D, C))).astype(np.float64)
        X64 = X_fit.astype(np.float64)
        _, dW = svm_loss_vectorized(W, X64, y_fit, 0.0)
        calls = []
        k = S.pick(full=5, synthetic=2, grading=1)   # rows of W to differentiate numerically

        def loss_of_top_rows(top):
            calls.append(1)
            W_full = W.copy()
            W_full[:k] = top
            return svm_loss_vectorized(W_full, X64, y_fit, 0.0)[0]

        top = W[:k].copy()
        for method in ["forward", "centered"]:
            calls.clear()
            t0 = time.perf_counter()
            g = numerical_gradient(loss_of_top_rows, top, h=1e-7, method=method)
            seconds = time.perf_counter() - t0
            err = np.linalg.norm(g - dW[:k]) / np.linalg.norm(g + dW[:k])
            print(f"{method:<9} {len(calls):4d} evaluations in {seconds:.2f} s, relative error vs analytic {err:.1e}")
        per_eval = seconds / len(calls)
        print(f"whole W, forward: {D * C + 1} evaluations ~ {per_eval * (D * C + 1):.0f} s for ONE gradient "
              f"(analytic: one evaluation, ~{1e3 * per_eval:.1f} ms)")
        """
    )

    nb.md(
        r"""
        ## 4. The step size

        The gradient gives a direction, not a distance. From a random `W`, take one step of size $\eta$ along
        $-\nabla L$ for $\eta = 10^{-10}, \dots, 10^{-1}$ and look at the new loss (the course notes show the
        same table for their data: tiny steps barely help, a middle range helps most, big steps overshoot).
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized)
        W = 1e-4 * np.random.default_rng(S.seed).standard_normal((D, C)).astype(np.float32)
        loss_original, df = svm_loss_vectorized(W, X_fit, y_fit, 0.0)
        print(f"original loss: {loss_original:.6f}")
        for step_size_log in range(-10, 0):
            step_size = 10.0 ** step_size_log
            loss_new = svm_loss(W - step_size * df)
            print(f"step size {step_size:.0e}  new loss {loss_new:14.6f}")
        """
    )

    nb.md(
        """
        ## 5. Full-batch gradient descent versus minibatch SGD

        Same learning rate, same regularization, the same wall-clock budget each. Full-batch descent computes the
        exact gradient on all training examples per step; minibatch SGD takes many cheap, noisy steps. The loss
        plotted is the full objective on the fitting examples, measured outside the timed part.
        """
    )
    nb.code(
        """
        require(svm_loss_vectorized)
        budget_s = S.pick(full=3.0, synthetic=0.5, grading=0.01)
        lr, reg = 1e-7, 2.5e4
        X_eval, y_eval = X_train[:n_fit], y_train[:n_fit]
        W0 = (1e-4 * np.random.default_rng(S.seed).standard_normal((D, C))).astype(np.float32)

        def race(batch_size):
            rng = np.random.default_rng(S.seed)
            W, elapsed, curve, steps = W0, 0.0, [], 0
            curve.append((0.0, svm_loss_vectorized(W, X_eval, y_eval, reg)[0]))
            while elapsed < budget_s:
                t0 = time.perf_counter()
                for _ in range(1 if batch_size is None else S.pick(full=20, synthetic=10, grading=5)):
                    if batch_size is None:
                        _, dW = svm_loss_vectorized(W, X_train, y_train, reg)
                    else:
                        idx = rng.choice(len(X_train), size=batch_size, replace=True)
                        _, dW = svm_loss_vectorized(W, X_train[idx], y_train[idx], reg)
                    W = W - lr * dW
                    steps += 1
                elapsed += time.perf_counter() - t0
                curve.append((elapsed, svm_loss_vectorized(W, X_eval, y_eval, reg)[0]))
            return np.array(curve), steps

        print(f"{'method':<22}{'steps':>7}{'final loss':>12}")
        for batch_size in [None, 32, 64, 128, 256]:
            curve, steps = race(batch_size)
            name = f"full batch ({len(X_train)})" if batch_size is None else f"SGD, batch {batch_size}"
            plt.plot(curve[:, 0], curve[:, 1], label=name)
            print(f"{name:<22}{steps:>7}{curve[-1, 1]:>12.3f}")
        plt.xlabel("seconds")
        plt.ylabel("loss")
        plt.yscale("log")
        plt.legend(fontsize=8)
        plt.title("loss against time", fontsize=9)
        plt.show()
        """
    )
    nb.md(
        """
        **Q1.** Which method reaches a low loss first, and why? What would change if we counted steps instead
        of seconds?
        """
    )
    nb.answer(
        "q-gd-vs-sgd",
        """
        Minibatch SGD wins on time: a step costs batch/N of a full-batch step, and because neighbouring images
        are redundant the small-batch gradient points almost as well downhill, so it makes many more useful
        steps in the same time. Per step, full-batch descent is better (its gradient is exact and its curve is
        smooth), and larger batches give less noisy SGD curves; the cost per step is what decides the race.
        """,
    )
    nb.md(
        "**Done.** That is the whole linear-classifier pipeline: scores, losses, gradients and optimization."
    )
    return nb


NOTEBOOKS = {"01_scores_and_losses": nb01, "02_svm": nb02, "03_softmax": nb03, "04_optimization": nb04}


def execute(path: Path) -> float:
    """Execute a notebook in the CI configuration and store its outputs; returns seconds."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_backup = dict(os.environ)
    os.environ["CS231N_LITE_DATASET"] = "synthetic"
    os.environ.pop("NBGRADER_EXECUTION", None)
    t0 = time.perf_counter()
    try:
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            allow_errors=True,
            record_timing=False,
            resources={"metadata": {"path": str(HERE)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    seconds = time.perf_counter() - t0
    nbformat.write(nb, path)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                print(f"  ERROR in {path.name} cell {i}: {out['ename']}: {out['evalue'][:300]}")
    return seconds


def main(argv: list[str]) -> int:
    run = "--execute" in argv
    prefixes = [a for a in argv if not a.startswith("--")]
    for name, build in NOTEBOOKS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        path = HERE / f"{name}.ipynb"
        nb = build().notebook()
        nbformat.validate(nb)
        nbformat.write(nb, path)
        msg = f"wrote {path.relative_to(HERE.parent)}"
        if run:
            msg += f" (executed in {execute(path):.1f} s)"
        print(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
