"""Scoring on a streamed test split: the whole split through the models, a batch at a time.

With ``data.streaming`` the test split is not loaded. Its rows pass through the
fine-tuned classifier (and, for the probes, the pretrained encoders) in batches
of :data:`SCORE_BATCH`; only one integer per row (true and predicted class) and
the latent means (``latent_dim`` floats per row) stay in memory. Streaming the
whole split rather than scoring a bounded sample keeps the test scores of a
streamed run the same numbers an in-memory run would report, and costs one
forward pass over the split per classifier, far less than the fine-tuning
before it.

The scikit-learn baselines are the exception: they fit on rows in memory, so
they train on the bounded in-memory training rows and are scored on the bounded
test sample (:data:`vaekit.runner.streamed_inputs.SAMPLE_ROWS` rows); the
evaluation rows say so (:func:`baseline_rows`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SCORE_BATCH", "baseline_rows", "streamed_codes", "streamed_predictions"]

#: Test rows per forward pass when scoring a stream.
SCORE_BATCH = 512


def _batches(test_stream):
    from vaekit.streaming.bad_records import explain_stream_errors

    with explain_stream_errors(test_stream):
        yield from test_stream.batch(SCORE_BATCH).as_numpy_iterator()


def streamed_predictions(classifier, test_stream) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted class of every row of a streamed test split.

    Parameters
    ----------
    classifier : SemiSupervisedClassifier
        A fine-tuned classifier.
    test_stream : tf.data.Dataset
        ``(row, label)`` pairs.

    Returns
    -------
    y_true, y_pred : numpy.ndarray
        int64, one per test row.
    """
    true, predicted = [], []
    for x, y in _batches(test_stream):
        true.append(y.astype(np.int64))
        predicted.append(np.asarray(classifier.predict_classes(x), dtype=np.int64))
    return np.concatenate(true), np.concatenate(predicted)


def streamed_codes(model, test_stream) -> tuple[np.ndarray, np.ndarray]:
    """Latent means of every row of a streamed test split, and the rows' classes.

    Parameters
    ----------
    model : VAE or AutoEncoder
        A pretrained model with ``encode``.
    test_stream : tf.data.Dataset
        ``(row, label)`` pairs.

    Returns
    -------
    codes : numpy.ndarray
        ``(n, latent_dim)``.
    y : numpy.ndarray
        int64 classes.
    """
    codes, labels = [], []
    for x, y in _batches(test_stream):
        codes.append(model.encode(x))
        labels.append(y.astype(np.int64))
    return np.concatenate(codes), np.concatenate(labels)


def baseline_rows(data) -> dict:
    """What the baselines of a streamed run are fitted and scored on, for its metrics row.

    Parameters
    ----------
    data : PreparedData
        The run's data, streamed.

    Returns
    -------
    dict
        ``{"train_rows", "test_rows", "note"}``.
    """
    return {"train_rows": int(len(data.x_train)), "test_rows": int(len(data.x_test)),
            "note": (f"data.streaming: baselines fit on the {len(data.x_train)} training "
                     f"rows kept in memory and are scored on the first {len(data.x_test)} "
                     f"of the {data.n_test} test rows; vaekit's scores use every test row")}
