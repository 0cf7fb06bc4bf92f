"""pylic: a learned image codec from training to a real-time FPGA deployment."""

import warnings

# CompressAI decorates a helper with torch.jit.script, which torch >= 2.10 reports on every import;
# the message is about CompressAI's code, not the user's, so pylic hides exactly that one.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)

__version__ = "0.1.0"
