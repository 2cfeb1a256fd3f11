"""Encoder and decoder builders: pure functions returning new Keras models."""

from vaekit.builders.conv import build_conv_decoder, build_conv_encoder
from vaekit.builders.custom import custom_architecture, load_builder
from vaekit.builders.dense import build_dense_decoder, build_dense_encoder
from vaekit.builders.recurrent import build_recurrent_decoder, build_recurrent_encoder
from vaekit.builders.registry import ARCHITECTURES, Architecture, get_architecture

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "build_conv_decoder",
    "build_conv_encoder",
    "build_dense_decoder",
    "build_dense_encoder",
    "build_recurrent_decoder",
    "build_recurrent_encoder",
    "custom_architecture",
    "get_architecture",
    "load_builder",
]
