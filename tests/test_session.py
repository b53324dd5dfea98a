"""cs231n_lite.session: mode from the environment, sizes, banner, results store."""

from __future__ import annotations

import pytest

from cs231n_lite import session


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("CS231N_LITE_DATASET", raising=False)
    monkeypatch.setenv("CS231N_LITE_RESULTS_DIR", str(tmp_path / "results"))
    return monkeypatch


@pytest.mark.parametrize(
    ("grading", "dataset", "mode"),
    [
        (None, None, "full"),
        (None, "cifar10", "full"),
        (None, "synthetic", "synthetic"),
        ("validate", "synthetic", "grading"),
        ("autograde", None, "grading"),
        ("", "synthetic", "synthetic"),
    ],
)
def test_mode_from_environment(clean_env, grading, dataset, mode):
    if grading is not None:
        clean_env.setenv("NBGRADER_EXECUTION", grading)
    if dataset is not None:
        clean_env.setenv("CS231N_LITE_DATASET", dataset)
    assert session.current_mode() == mode
    S = session.start("x", quiet=True)
    assert S.mode == mode and S.sizes == session.SIZES[mode]
    assert S.dataset == (dataset or "cifar10")
    assert S.grading == (mode == "grading")


def test_bad_dataset_name_says_what_to_do(clean_env):
    clean_env.setenv("CS231N_LITE_DATASET", "imagenet")
    with pytest.raises(ValueError, match=r"'cifar10' or 'synthetic'.*export CS231N_LITE_DATASET=synthetic"):
        session.start("x", quiet=True)


def test_full_sizes_are_the_lecture_split():
    assert session.SIZES["full"] == {
        "num_training": 49000,
        "num_validation": 1000,
        "num_test": 1000,
        "num_dev": 500,
    }
    grading = session.SIZES["grading"]
    assert all(grading[k] < session.SIZES["synthetic"][k] <= session.SIZES["full"][k] for k in grading)


def test_pick_per_mode():
    assert session.Session("n", "full", "cifar10").pick(full=1500, synthetic=300, grading=20) == 1500
    assert session.Session("n", "synthetic", "synthetic").pick(full=1500, synthetic=300, grading=20) == 300
    assert session.Session("n", "grading", "synthetic").pick(full=1500, synthetic=300, grading=20) == 20
    # missing values fall back: grading -> synthetic -> full
    assert session.Session("n", "grading", "synthetic").pick(full=1500, synthetic=300) == 300
    assert session.Session("n", "grading", "synthetic").pick(full=1500) == 1500
    assert session.Session("n", "synthetic", "synthetic").pick(full=7) == 7


def test_banner_names_notebook_data_and_mode(clean_env, capsys):
    clean_env.setenv("CS231N_LITE_DATASET", "synthetic")
    clean_env.setenv("NBGRADER_EXECUTION", "validate")
    session.start("02_svm")
    out = capsys.readouterr().out
    assert out.startswith("[cs231n-lite] 02_svm: data = ")
    assert "synthetic" in out and "checking run (nbgrader validate): small subset (500 training images)" in out


@pytest.mark.parametrize("dataset", ["synthetic", None])
def test_banner_speaks_student_terms(clean_env, capsys, tmp_path, dataset):
    """No CI or repository jargon; without the data the banner says where it goes and how to get it."""
    clean_env.setenv("CS231N_LITE_DATA_DIR", str(tmp_path))
    if dataset:
        clean_env.setenv("CS231N_LITE_DATASET", dataset)
    session.start("03_softmax")
    out = capsys.readouterr().out
    for jargon in ("(CI)", " CI ", "repository", "medium sizes"):
        assert jargon not in out, out
    if dataset == "synthetic":
        assert "synthetic practice data shaped like CIFAR-10 (generated, not real photos" in out
        assert "practice sizes (4000 training images" in out and "unset it for the real CIFAR-10" in out
    else:
        assert f"CIFAR-10 NOT FOUND in {tmp_path} (set by CS231N_LITE_DATA_DIR)" in out
        assert f"to get it, run `python -m cs231n_lite.datasets fetch --data-dir {tmp_path}` in a terminal" in out
        assert "cifar-10-python.tar.gz" in out and "CS231N_LITE_DATASET=synthetic before starting Jupyter" in out
        assert "full lecture sizes (49000 training images)" in out


def test_results_round_trip_per_mode(clean_env):
    S = session.start("02_svm", quiet=True)
    assert S.load_result("svm") is None
    S.save_result("svm", {"test_accuracy": 0.25})
    S.save_result("other", {"a": 1})
    assert S.load_result("svm") == {"test_accuracy": 0.25}
    clean_env.setenv("CS231N_LITE_DATASET", "synthetic")
    assert session.start("03_softmax", quiet=True).load_result("svm") is None


def test_results_unwritable_folder_is_ignored(clean_env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    clean_env.setenv("CS231N_LITE_RESULTS_DIR", str(blocker))
    S = session.start("x", quiet=True)
    S.save_result("svm", {"x": 1})
    assert S.load_result("svm") is None


def test_load_data_uses_session_sizes(clean_env, tmp_path):
    clean_env.setenv("CS231N_LITE_DATASET", "synthetic")
    clean_env.setenv("NBGRADER_EXECUTION", "validate")
    clean_env.setenv("CS231N_LITE_DATA_DIR", str(tmp_path / "data"))
    data = session.start("x", quiet=True).load_data(num_dev=20)
    assert data["X_train"].shape == (500, 3073) and data["X_val"].shape == (100, 3073)
    assert data["X_test"].shape == (100, 3073) and data["X_dev"].shape == (20, 3073)


def test_blas_threads_limited_by_default_and_configurable(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.delenv("CS231N_LITE_BLAS_THREADS", raising=False)
    with threadpoolctl.threadpool_limits(limits=None):  # restore the process-wide setting afterwards
        assert session.limit_blas_threads() == 1
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
        monkeypatch.setenv("CS231N_LITE_BLAS_THREADS", "0")
        assert session.limit_blas_threads() is None
        monkeypatch.setenv("CS231N_LITE_BLAS_THREADS", "two")
        with pytest.raises(ValueError, match="must be an integer"):
            session.limit_blas_threads()
