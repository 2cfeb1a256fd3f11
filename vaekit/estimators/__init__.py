"""scikit-learn estimators: ``VAETransformer`` (unsupervised) and ``VAEClassifier``.

Both follow scikit-learn's rules (``clone``, ``get_params``, pipelines,
``GridSearchCV``, pandas output) and pickle their Keras models as ``.keras``
archives inside the estimator's own pickle.
"""

from vaekit.estimators.classifier import VAEClassifier
from vaekit.estimators.transformer import VAETransformer

__all__ = ["VAEClassifier", "VAETransformer"]
