"""Packaging for vaekit: variational autoencoders as feature learners for few-label data."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
# The version lives in vaekit/_version.py only; read it without importing vaekit.
VERSION: dict = {}
exec((HERE / "vaekit" / "_version.py").read_text(encoding="utf-8"), VERSION)

setup(
    name="vaekit",
    version=VERSION["__version__"],
    description=(
        "Variational autoencoders in Keras 3 for semi-supervised learning: pretrain on "
        "unlabeled data, fine-tune on a few labels, use from Keras, scikit-learn or a CLI."
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8")
    if (HERE / "README.md").exists()
    else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["vaekit", "vaekit.*"]),
    install_requires=[
        "keras>=3.8",
        "tensorflow>=2.18",
        "tensorflow-datasets>=4.9",
        # tensorflow-datasets imports importlib_resources when it builds or
        # downloads a data set but does not declare it (4.9.10).
        "importlib_resources>=6",
        "numpy>=1.26",
        "scipy>=1.11",
        "scikit-learn>=1.6",
        "pandas>=2.1",
        "matplotlib>=3.8",
        "pyyaml>=6.0",
        "tqdm>=4.66",  # the progress bar of `vaekit run`
        "tensorboard>=2.18",
    ],
    extras_require={
        "jax": ["jax>=0.4.30"],
        "parquet": ["pyarrow>=14"],
        "notebooks": ["jupyterlab>=4"],
        # vaekit.cluster: encode on a dask cluster (LocalCluster, Kubernetes, SLURM, ...).
        "cluster": ["dask[distributed,dataframe]>=2024.8", "pyarrow>=14"],
        # `make docs`: the API reference from the numpydoc docstrings, the notebooks rendered.
        "docs": [
            "mkdocs>=1.6",
            "mkdocs-material>=9.5",
            "mkdocstrings[python]>=0.26",
            "mkdocs-jupyter>=0.25",
        ],
        "dev": [
            "pytest>=8",
            "pytest-xdist>=3.5",
            "hypothesis>=6.100",
            "mlxtend>=0.23",
            "nbclient>=0.10",
            "nbformat>=5.10",
            "ipykernel>=6.29",
            "pyarrow>=14",
            "ruff>=0.6",
            "dask[distributed,dataframe]>=2024.8",
        ],
    },
    entry_points={"console_scripts": ["vaekit=vaekit.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
