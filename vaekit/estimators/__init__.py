"""scikit-learn estimators: ``VAETransformer`` (unsupervised) and ``VAEClassifier``.

Both follow scikit-learn's rules (``clone``, ``get_params``, pipelines,
``GridSearchCV``, pandas output) and pickle their Keras models as ``.keras``
archives inside the estimator's own pickle. ``save(path)`` and ``load(path)``
(or :func:`load_estimator`) write and read a zip of ``.keras`` models and
JSON instead, which runs no code when loaded.
"""

from vaekit.estimators._persistence import load_estimator
from vaekit.estimators.classifier import VAEClassifier
from vaekit.estimators.transformer import VAETransformer

__all__ = ["VAEClassifier", "VAETransformer", "load_estimator"]
