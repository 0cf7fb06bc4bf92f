"""HLS code generation and tool steps: Jinja-rendered kernels (hls/), bit-exact csim with g++, and the
Vitis HLS synthesis / co-simulation runner. Pure generation is apart from tool invocation (tools.py)."""
