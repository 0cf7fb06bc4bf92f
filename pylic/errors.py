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


class BoardError(PylicError):
    """The board runtime cannot run: overlay files, kernel interface JSON, xmodels or fix positions disagree."""


class KernelTimeoutError(BoardError):
    """An HLS kernel was started and did not raise ap_done within its timeout (never a silent hang)."""


class PipelineError(PylicError):
    """A stage of the lane scheduler failed; the message names the stage, patch and lane, the cause is chained."""


class PipelineTimeoutError(PipelineError):
    """The lane scheduler did not finish within its timeout."""
