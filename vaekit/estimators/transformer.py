"""``VAETransformer``: a VAE as a scikit-learn transformer (rows in, latent means out)."""

from __future__ import annotations

import logging
import math
from numbers import Integral, Real

import keras
import numpy as np

# _fit_context, _param_validation: private, no public equivalent yet (scikit-learn#28963).
from sklearn.base import TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from vaekit.estimators._base import COMMON_PARAMETER_CONSTRAINTS, BaseVAEEstimator
from vaekit.estimators._generative import VAEGenerativeMixin
from vaekit.estimators._long_use import EpochSnapshot, build_optimizer, stop_at_last_epoch
from vaekit.estimators._seeding import draw_seed, seeded
from vaekit.estimators._validation_split import split_validation
from vaekit.distribution import Distribution, get_distribution
from vaekit.evaluation import ACTIVE_UNIT_NATS
from vaekit.models import build_vae
from vaekit.training.neighbour_targets import neighbour_batches

logger = logging.getLogger(__name__)

#: Automatic training length: passes, and the fewest optimizer steps.
AUTO_EPOCHS, AUTO_MIN_STEPS = 30, 400
#: Training rows the KL of each latent unit is measured on.
KL_SAMPLE_ROWS = 10_000


class VAETransformer(TransformerMixin, VAEGenerativeMixin, BaseVAEEstimator):
    """Variational autoencoder as a scikit-learn transformer.

    ``fit`` trains a VAE on the rows of ``X`` (no labels needed),
    ``transform`` maps rows to their latent means, ``inverse_transform``
    decodes latent codes back to rows, ``sample`` draws new rows and
    ``score`` gives the mean evidence lower bound (ELBO). Works in a
    :class:`~sklearn.pipeline.Pipeline`, with ``GridSearchCV``, pandas
    DataFrames and ``set_output(transform="pandas")``.

    Parameters
    ----------
    latent_dim : int, default=16
        Number of latent features that ``transform`` returns.
    architecture : {"dense", "conv", "recurrent"} or Architecture, default="dense"
        Encoder/decoder family. ``"conv"`` and ``"recurrent"`` need
        ``input_shape`` to view each flat row as an image or a sequence.
        Your own network: an :class:`~vaekit.builders.Architecture` from
        :func:`vaekit.builders.custom_architecture` (your Keras models or the
        functions that build them); ``hidden_units`` does not apply to it.
    hidden_units : sequence of int or None, default=None
        Widths of the hidden layers, from the input towards the latent space:
        units of the dense layers, filters of the conv blocks or units of the
        recurrent layers. ``None`` uses the architecture's default
        (``(512, 256)``, ``(32, 64)``, ``(64,)``).
    architecture_options : dict or None, default=None
        Further builder options, e.g. ``{"cell": "gru"}`` for ``"recurrent"``,
        ``{"dense_units": 128}`` for ``"conv"``; see :mod:`vaekit.builders`.
    beta : float, default=0.5
        Weight of the KL term (``beta``-VAE). Below 1 the latent space keeps
        more of the input, which is what features are for (``score`` still
        reports the ELBO with ``beta = 1``).
    free_bits : float, default=0.5
        Per-dimension KL floor in nats (Kingma et al. 2016): a latent unit is
        not pushed towards the prior below it, which keeps units active (see
        ``n_active_units_``). 0 disables it.
    n_neighbors : "auto" or int, default="auto"
        Neighbour reconstruction: each pass, every row's code is decoded
        towards one of its ``n_neighbors`` nearest training rows (Euclidean,
        drawn afresh each pass) instead of towards the row itself, so rows of
        one neighbourhood get one code, and a linear model on few labels
        separates them (Yeh et al. 2018's neighbor-encoder). ``"auto"``: one
        neighbour per 200 training rows, between 1 and 10 (few rows mean small
        groups, whose rows must not borrow their neighbours from other groups;
        see :func:`vaekit.training.neighbour_targets.auto_neighbours`). The
        neighbours are searched once, before training, among at most 20,000
        rows (a seeded sample above that). 0 trains a plain VAE that
        reconstructs each row; ``score`` and ``inverse_transform`` always
        compare with the row itself.
    reconstruction : {"auto", "bce", "mse"}, default="auto"
        Reconstruction loss. ``"auto"`` picks ``"bce"`` (Bernoulli) when all
        of the training ``X`` lies in [0, 1], such as pixels scaled by 1/255,
        and ``"mse"`` otherwise, such as standardised tables. The choice is
        stored in ``reconstruction_``.
    epochs : int or None, default=None
        Passes over the data (an upper bound when ``early_stopping=True``).
        ``None``: 30 passes, or more on small data so that training makes at
        least 400 optimizer steps (100 passes on 1,257 digits).
    batch_size : int, default=256
        Rows per gradient step.
    learning_rate : float, default=1e-3
        Adam learning rate.
    validation_fraction : float, default=0.1
        Share of rows held out, at random, to decide early stopping. Used
        only when ``early_stopping=True``.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs, and keep the best weights.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    input_shape : tuple of int or None, default=None
        Shape of one sample, e.g. ``(28, 28, 1)`` for flat MNIST rows or
        ``(timesteps, features)`` for sequences; its product must equal the
        number of features. ``None`` views each row as a vector.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, sampling and the validation
        split: the same int gives the same model. Fitting reseeds Keras'
        global generator (the backend's global seed is left at this value);
        Python's and NumPy's global generators are restored afterwards.
    verbose : int, default=0
        0 is silent, 1 shows a progress bar per epoch, 2 one line per epoch.
    warm_start : bool, default=False
        When True, ``fit`` on a fitted transformer trains the same model for
        ``epochs`` more epochs instead of starting anew (``beta`` and
        ``learning_rate`` changes apply; structural ones raise ``ValueError``).
    distribution : {"mirrored", "data_parallel", "multi_worker", "none"} or None, \
default=None
        Train on several devices (``"mirrored"``: TensorFlow's
        ``MirroredStrategy`` or Keras' ``DataParallel`` on JAX) or machines
        (``"multi_worker"``, JAX only); see :mod:`vaekit.distribution`.
        ``batch_size`` stays the global batch and must divide evenly across
        the replicas. ``None`` trains on one device.

    Attributes
    ----------
    vae_ : vaekit.VAE
        The fitted Keras model.
    encoder_ : keras.Model
        ``vae_.encoder``: rows to ``[z_mean, z_log_var]``.
    decoder_ : keras.Model
        ``vae_.decoder``: latent codes to reconstructions.
    history_ : dict of list
        Loss per epoch (``loss``, ``reconstruction_loss``, ``kl_loss`` and the
        ``val_`` versions with early stopping), over all warm-started fits.
    reconstruction_ : str
        The reconstruction loss used, ``"bce"`` or ``"mse"``.
    epochs_ : int
        Passes over the data that the last ``fit`` asked for.
    kl_per_dimension_ : ndarray of shape (latent_dim,)
        Mean KL (nats) of each latent unit over the training rows (at most
        10,000 of them): how much each feature carries.
    n_neighbors_ : int
        Neighbours per row the last ``fit`` reconstructed towards (0: the rows
        themselves).
    n_active_units_ : int
        Latent units whose ``kl_per_dimension_`` exceeds 0.01 nats; inactive
        units equal the prior for every row and carry no information.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit``, when ``X`` had string column names.

    See Also
    --------
    vaekit.estimators.VAEClassifier : pretrain on all rows, fine-tune on the labelled ones.
    sklearn.decomposition.PCA : the linear counterpart.

    Notes
    -----
    The defaults are a 784-512-256-16 dense VAE for MNIST rows, trained with
    batches of 256 and Adam at 1e-3, ``beta=0.5`` and free bits 0.5: both keep
    latent units active, which made the features of a linear model better on
    scikit-learn's digits (``bench/flat_rows.py`` measures them against raw
    pixels, PCA and BernoulliRBM). Fitting time grows linearly with rows and
    epochs.

    The fitted Keras models travel inside ``pickle`` and ``joblib`` files as
    ``.keras`` archives, so a pickled transformer loads in any process that
    can import vaekit. A pickle runs code when loaded: to share a fitted
    transformer use ``save(path)`` and ``VAETransformer.load(path)`` (a zip of
    ``.keras`` models and JSON, loaded in Keras' safe mode). Both leave out
    the optimizer's state unless ``save(path, include_optimizer=True)``, which
    ``warm_start`` after loading needs.

    ``KeyboardInterrupt`` (Ctrl-C) during ``fit`` restores the weights of the
    last finished epoch, completes the fitted attributes from the epochs that
    finished, and is raised again; before the first epoch finishes, the
    transformer is left as it was before ``fit``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from vaekit.estimators import VAETransformer
    >>> X = load_digits().data / 16.0
    >>> vae = VAETransformer(latent_dim=2, epochs=2, random_state=0).fit(X)
    >>> vae.transform(X[:3]).shape
    (3, 2)
    >>> vae.get_feature_names_out()
    array(['vae0', 'vae1'], dtype=object)
    """

    _parameter_constraints: dict = {
        **COMMON_PARAMETER_CONSTRAINTS,
        "epochs": [Interval(Integral, 1, None, closed="left"), None],
        "free_bits": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }
    _keras_models = ("vae_",)
    _keras_parts = {"encoder_": ("vae_", "encoder"), "decoder_": ("vae_", "decoder")}

    def __init__(
        self,
        latent_dim=16,
        *,
        architecture="dense",
        hidden_units=None,
        architecture_options=None,
        beta=0.5,
        free_bits=0.5,
        n_neighbors="auto",
        reconstruction="auto",
        epochs=None,
        batch_size=256,
        learning_rate=1e-3,
        validation_fraction=0.1,
        early_stopping=False,
        n_iter_no_change=5,
        input_shape=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        distribution=None,
    ):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.hidden_units = hidden_units
        self.architecture_options = architecture_options
        self.beta = beta
        self.free_bits = free_bits
        self.n_neighbors = n_neighbors
        self.reconstruction = reconstruction
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.input_shape = input_shape
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.distribution = distribution

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the VAE on the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; NumPy array, pandas DataFrame or anything
            array-like. Must be finite; in [0, 1] for ``reconstruction="bce"``.
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : VAETransformer
            The fitted transformer.
        """
        before = dict(vars(self))  # what Ctrl-C before the first epoch's end goes back to
        warm = self._check_warm_start()
        X, x = self._validate_X(X, reset=not warm)
        seed = draw_seed(self.random_state)
        plan = get_distribution(self.distribution)
        plan.check_batch_size(self.batch_size)
        snapshot = EpochSnapshot()
        try:
            with seeded(seed), plan.scope():
                history = self._fit_model(x, seed, plan, warm, snapshot)
        except KeyboardInterrupt:
            if stop_at_last_epoch(self, before, snapshot):
                self._finish_fit(x, snapshot.history)
            raise
        self._finish_fit(x, history)
        return self

    def _fit_model(self, x: np.ndarray, seed: int, plan: Distribution, warm: bool,
                   snapshot: EpochSnapshot) -> dict:
        """Build the VAE (or take the fitted one for a warm start) and train it."""
        if warm:
            self.vae_.kl_divergence.beta.assign(float(self.beta))
            self.vae_.optimizer.learning_rate.assign(float(self.learning_rate))
            if self.vae_.kl_divergence.free_bits != float(self.free_bits):
                self.vae_.kl_divergence.free_bits = float(self.free_bits)
                self.vae_.train_function = None  # the floor is a constant of the step
        else:
            self.reconstruction_ = self._resolve_reconstruction(x)
            self.vae_ = build_vae(
                x.shape[1:], self.latent_dim, self.architecture,
                self.reconstruction_, self.beta, free_bits=float(self.free_bits),
                learning_rate=self.learning_rate, seed=seed,
                **self._architecture_options(),
            )
            build_optimizer(self.vae_)
            self.encoder_, self.decoder_ = self.vae_.encoder, self.vae_.decoder
            self.history_ = {}
            self._fitted_structure = self._structure()
        return self._train(x, seed, plan, [snapshot])

    def _finish_fit(self, x: np.ndarray, history: dict) -> None:
        """Fitted attributes that follow from the trained VAE and this fit's logs."""
        self.kl_per_dimension_ = self.vae_.kl_per_dimension(
            x[:KL_SAMPLE_ROWS]).astype(np.float64)
        self.n_active_units_ = int(np.sum(self.kl_per_dimension_ > ACTIVE_UNIT_NATS))
        for key, values in history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)

    def _resolved_epochs(self, n_rows: int) -> int:
        """``epochs``, or the automatic 30 passes / 400 steps when it is None."""
        if self.epochs is not None:
            return int(self.epochs)
        steps_per_pass = max(1, n_rows // min(self.batch_size, n_rows))
        return max(AUTO_EPOCHS, math.ceil(AUTO_MIN_STEPS / steps_per_pass))

    def _train(self, x: np.ndarray, seed: int, plan: Distribution,
               callbacks: list | None = None) -> dict:
        """Run Keras' fit, with a random validation split when early stopping.

        Each process of a ``multi_worker`` job trains on its share of the rows
        with its share of the global batch (:meth:`Distribution.local_rows`).
        """
        callbacks, validation_data = list(callbacks or []), None
        if self.early_stopping:
            train, val = split_validation(len(x), self.validation_fraction, seed)
            x, validation_data = x[train], (plan.local_rows(x[val]),)
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=self.n_iter_no_change,
                restore_best_weights=True,
            ))
        self.epochs_ = self._resolved_epochs(len(x))
        rows, batch_size = plan.local_rows(x), plan.local_batch_size(self.batch_size)
        data = neighbour_batches(rows, self.n_neighbors, batch_size, seed,
                                 first_epoch=len(next(iter(self.history_.values()), [])))
        self.n_neighbors_ = 0 if data is None else data.neighbours.shape[1]
        history = self.vae_.fit(
            data if data is not None else rows, epochs=self.epochs_,
            batch_size=None if data is not None else batch_size, shuffle=data is None,
            validation_data=validation_data, callbacks=callbacks,
            verbose=min(int(self.verbose), 2),
        )
        return history.history

    # ------------------------------------------------------------------ transform
    def transform(self, X):
        """Latent means of the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
            In ``X``'s dtype (float32 or float64); a DataFrame with columns
            ``vae0 ...`` after ``set_output(transform="pandas")``.
        """
        return self._latent_means(X)
