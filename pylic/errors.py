"""Typed errors: every failure a user can cause maps to exactly one of these."""


class PylicError(Exception):
    """Base class for errors caused by bad input or a missing resource, not by a bug."""


class BitstreamError(PylicError):
    """A `.plic` bitstream is malformed, truncated, corrupt or made for another model."""


class ImageError(PylicError):
    """An input image cannot be read or has a mode/size pylic cannot code."""


class ModelError(PylicError):
    """A model name, checkpoint or weight file is unknown, missing or inconsistent."""


class ToolError(PylicError):
    """An external tool (g++, vitis_hls, vivado, v++, vai_c_xir) is missing or failed."""


class TrainingError(PylicError):
    """A training run diverged (non-finite losses or weights); nothing non-finite is ever saved."""
